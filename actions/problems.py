"""report_problem: a form, then the event the rules answer with an apology (README: rules)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.contributions import Validator
from actions.orders import corrected, match_order, order_named, requested, say_not_theirs
from actions.talk import account_of, announce, channel_of, customer_of, event_id, language_of
from engagement.contributions import MAX_BODY, problem_kind
from engagement.ports import Clock
from engagement.rewards import IncomingEvent
from engagement.services.account import AccountService
from engagement.services.orders import OrderBook
from engagement.services.rewards import RewardsService

PROBLEM_SLOTS = ("problem_order", "problem_kind", "problem_details")
DESCRIBED_WORDS = 5  # a first message this long that says what went wrong tells the story


class ValidateProblemForm(Validator):
    """Every answer the customer's messages already hold is taken: "mon canapé CMD-70009 est
    arrivé avec un pied cassé" gives the order, the kind and the description at once; the
    form asks only for what is missing."""

    def __init__(self, orders: OrderBook) -> None:
        self._orders = orders

    def name(self) -> str:
        return "validate_problem_form"

    async def extract_problem_order(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await order_named(self._orders, tracker, "problem_order")

    def extract_problem_kind(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """From the first message when it says what happened; at the "what happened?"
        question, from whatever the customer writes (a button or their own words)."""
        if tracker.get_slot("problem_kind"):
            return {}
        text = str(tracker.latest_message.get("text") or "")
        kind = problem_kind(text)
        if requested(tracker) == "problem_kind" or kind != "other":
            return {"problem_kind": kind}
        return {}

    def extract_problem_details(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A first message that tells the story ("arrivé avec un pied cassé") is the story."""
        text = str(tracker.latest_message.get("text") or "").strip()
        if tracker.get_slot("problem_details") or requested(tracker):
            return {}
        if problem_kind(text) != "other" and len(text.split()) >= DESCRIBED_WORDS:
            return {"problem_details": text}
        return {}

    async def validate_problem_order(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        customer = customer_of(tracker)
        if customer is None:  # anonymous: the form ends at once, the report says to sign in
            return {"problem_order": "-", "problem_kind": "other", "problem_details": "-"}
        match = await match_order(self._orders, tracker, customer, text=str(value or ""))
        if match.order is not None:
            return self.accept("problem_order", match.order.id)
        say_not_theirs(dispatcher, match, language_of(tracker))
        return {"problem_order": None}  # action_ask_problem_order offers theirs

    def validate_problem_kind(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if corrected(tracker, "problem_order"):
            return {"problem_kind": None}  # "pas celle-là : la 48216" says not what happened
        return self.accept("problem_kind", problem_kind(str(value or "")))

    def validate_problem_details(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.text("problem_details", value, 2, MAX_BODY, dispatcher, tracker)


class ActionReportProblem(Action):
    def __init__(self, rewards: RewardsService, account: AccountService, clock: Clock) -> None:
        self._rewards = rewards
        self._account = account
        self._clock = clock

    def name(self) -> str:
        return "action_report_problem"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        customer = account_of(tracker, dispatcher)
        if customer is None:
            return []
        order_id = str(tracker.get_slot("problem_order"))
        kind = str(tracker.get_slot("problem_kind") or "other")
        recorded = await self._rewards.record_event(
            IncomingEvent(
                id=event_id(tracker, "problem"), type="problem_report",
                customer_id=customer, occurred_at=self._clock.now(),
                source="conversation",
                facts={"kind": kind, "order": {"id": order_id}, "channel": channel_of(tracker)},
                payload={"kind": kind, "order_id": order_id,
                         "details": tracker.get_slot("problem_details")},
            )
        )  # fmt: skip
        dispatcher.utter_message(response="utter_problem_recorded", order_id=order_id)
        announce(
            dispatcher, recorded.awards, await self._account.badge_names(), language_of(tracker)
        )
        dispatcher.utter_message(response="utter_offer_human")
        return [SlotSet(slot, None) for slot in PROBLEM_SLOTS]
