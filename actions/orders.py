"""Finding the order a customer means, for every flow that needs one (engagement/orders.py
decides; this reads the tracker and says what was found)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.talk import customer_of, language_of
from engagement.orders import OrderMatch, order_by_number, resolve_order
from engagement.services.orders import OrderBook
from engagement.wording import format_date, format_list


async def match_order(
    orders: OrderBook, tracker: Tracker, customer: str, text: str | None = None
) -> OrderMatch:
    """The order of ``customer`` that ``text`` (default: the latest message) or the NLU's
    ``order_id`` entity names."""
    said = text if text is not None else str(tracker.latest_message.get("text") or "")
    entity = next(tracker.get_latest_entity_values("order_id"), None)
    return resolve_order(said, str(entity) if entity else None, await orders.known_orders(customer))


def requested(tracker: Tracker) -> str | None:
    """The slot the active form asked for, None on the message that opened it."""
    return tracker.get_slot("requested_slot")


async def order_named(orders: OrderBook, tracker: Tracker, slot: str) -> dict[str, Any]:
    """``slot`` filled with the order the customer's message names: the message that opens a
    form, by the order's number or an item in it; a later message, at another question, that
    writes the number of another of their orders corrects it ("non, pas celle-là : la 48216").
    At the slot's own question, the slot's mapping takes the answer."""
    customer = customer_of(tracker)
    asked, current = requested(tracker), tracker.get_slot(slot)
    if customer is None or asked == slot or (asked is None and current):
        return {}
    if asked is None:
        match = await match_order(orders, tracker, customer)
        return {slot: match.order.id} if match.order else {}
    if not current:
        return {}
    entity = next(tracker.get_latest_entity_values("order_id"), None)
    said = str(tracker.latest_message.get("text") or "")
    found = order_by_number(said, entity, await orders.known_orders(customer))
    return {slot: found.id} if found is not None and found.id != current else {}


def corrected(tracker: Tracker, order_slot: str) -> bool:
    """Whether the latest message corrected the form's order (see ``order_named``): it is
    then no answer to the question the form had asked."""
    asked = requested(tracker)
    return asked not in (None, order_slot) and order_slot in tracker.slots_to_validate()


def say_not_theirs(dispatcher: CollectingDispatcher, match: OrderMatch, language: str) -> bool:
    """Says so when the customer wrote an order number that is none of theirs, naming theirs."""
    if not match.not_theirs:
        return False
    theirs = format_list((o.id for o in match.offered), language)
    dispatcher.utter_message(
        response="utter_order_not_theirs" if theirs else "utter_no_orders_yet",
        number=match.not_theirs, orders=theirs,
    )  # fmt: skip
    return True


def offer_orders(dispatcher: CollectingDispatcher, match: OrderMatch, language: str) -> None:
    """The customer's latest orders as buttons (the only one, to confirm)."""
    if not match.offered:
        dispatcher.utter_message(response="utter_no_orders_yet")
        return
    buttons = [
        {"title": f"{o.id} · {format_date(o.placed_at, language)}", "payload": o.id}
        for o in match.offered
    ]
    response = "utter_confirm_only_order" if len(match.offered) == 1 else "utter_which_order"
    dispatcher.utter_message(response=response, order_id=match.offered[0].id, buttons=buttons)


class ActionAskProblemOrder(Action):
    """Asks which order a problem is about, offering the customer's latest ones."""

    def __init__(self, orders: OrderBook) -> None:
        self._orders = orders

    def name(self) -> str:
        return "action_ask_problem_order"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        customer = customer_of(tracker)
        if customer is None:
            dispatcher.utter_message(response="utter_ask_problem_order")
            return []
        offered = resolve_order(None, None, await self._orders.known_orders(customer))
        offer_orders(dispatcher, offered, language_of(tracker))
        return []
