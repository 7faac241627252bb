"""The customer's own account: points, badges, coupons, progress, orders, and "why not?"."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.orders import match_order, say_not_theirs
from actions.talk import account_of, language_of
from engagement.explanations import GENERIC_OUTCOMES, asked_about
from engagement.services.account import AccountService
from engagement.services.orders import OrderBook
from engagement.wording import format_amount, format_count, format_date, format_list, format_percent

Domain = dict[str, Any]


class AccountAction(Action):
    def __init__(self, account: AccountService) -> None:
        self._account = account


class ActionCheckPoints(AccountAction):
    def name(self) -> str:
        return "action_check_points"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Domain
    ) -> list[EventType]:
        customer = account_of(tracker, dispatcher)
        if customer is None:
            return []
        points = await self._account.points(customer)
        points_text = format_count(points, "point", language_of(tracker))
        dispatcher.utter_message(response="utter_points", points=points, points_text=points_text)
        return []


class ActionCheckBadges(AccountAction):
    def name(self) -> str:
        return "action_check_badges"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Domain
    ) -> list[EventType]:
        customer = account_of(tracker, dispatcher)
        if customer is None:
            return []
        badges = await self._account.badges(customer)
        if not badges:
            dispatcher.utter_message(response="utter_no_badges")
            return []
        language = language_of(tracker)
        names = [b.name_en if language == "en" else b.name_fr for b in badges]
        dispatcher.utter_message(
            response="utter_badges", badges=format_list(names, language), count=len(badges)
        )
        return []


class ActionListCoupons(AccountAction):
    def name(self) -> str:
        return "action_list_coupons"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Domain
    ) -> list[EventType]:
        customer = account_of(tracker, dispatcher)
        if customer is None:
            return []
        coupons = await self._account.coupons(customer)
        if not coupons:
            dispatcher.utter_message(response="utter_no_coupons")
        language = language_of(tracker)
        for coupon in coupons:
            if coupon.kind == "percent":
                discount = format_percent(coupon.value, language)
            else:
                discount = format_amount(coupon.value, language)
            dispatcher.utter_message(
                response=f"utter_coupon_{coupon.kind}", code=coupon.code,
                discount=discount, min_basket=format_amount(coupon.min_basket, language),
                expires=format_date(coupon.expires_at, language),
            )  # fmt: skip
        return []


class ActionCheckProgress(AccountAction):
    def name(self) -> str:
        return "action_check_progress"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Domain
    ) -> list[EventType]:
        customer = account_of(tracker, dispatcher)
        if customer is None:
            return []
        progress = await self._account.progress(customer)
        dispatcher.utter_message(
            response=f"utter_progress_{progress.stage}", points=progress.points
        )
        step = await self._account.next_step(customer, in_conversation=True)
        if step is not None:
            dispatcher.utter_message(response=f"utter_next_step_{step}")
        return []


class ActionOrderStatus(AccountAction):
    """The order the customer names however they write it (or by an item in it), else their
    latest; a number that is none of theirs is said to be so, with theirs."""

    def __init__(self, account: AccountService, orders: OrderBook) -> None:
        super().__init__(account)
        self._orders = orders

    def name(self) -> str:
        return "action_order_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Domain
    ) -> list[EventType]:
        customer = account_of(tracker, dispatcher)
        if customer is None:
            return []
        match = await match_order(self._orders, tracker, customer)
        if match.order is None and say_not_theirs(dispatcher, match, language_of(tracker)):
            return []
        named = match.order or (match.offered[0] if match.offered else None)
        order = await self._account.order(customer, named.id) if named else None
        if order is None:
            dispatcher.utter_message(response="utter_no_orders_yet")
            return []
        days = order.days_since_order
        days_text = format_count(days, "day", language_of(tracker))
        status = "late" if order.late else order.status
        if status == "placed" and days == 0:
            status = "placed_today"  # not "placed 0 days ago"
        dispatcher.utter_message(
            response=f"utter_order_{status}", order_id=order.id, days=days, days_text=days_text
        )
        return []


class ActionWhyNoPoints(AccountAction):
    def name(self) -> str:
        return "action_why_no_points"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Domain
    ) -> list[EventType]:
        customer = account_of(tracker, dispatcher)
        if customer is None:
            return []
        order_id = next(tracker.get_latest_entity_values("order_id"), None)
        asked = asked_about(tracker.latest_message.get("text"), order_id)
        why = await self._account.why_no_points(customer, asked)
        answer = why.explanation
        if answer.subject is None:  # nothing they did earns points yet
            dispatcher.utter_message(response="utter_why_no_activity")
        elif answer.outcome in GENERIC_OUTCOMES:
            rule = why.rule_en if language_of(tracker) == "en" else why.rule_fr
            dispatcher.utter_message(response=f"utter_why_{answer.outcome}", rule=rule or "")
        else:
            dispatcher.utter_message(
                response=f"utter_why_{answer.subject}_{answer.outcome}", points=answer.points,
                order_id=answer.order_id or "",
            )  # fmt: skip
        return []
