"""``action_session_start``: a new session starts with the customer's profile in slots:
which customer the conversation speaks for, language, first name, points and stage."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.slots import CUSTOMER_ID, CUSTOMER_NAME, LANGUAGE
from engagement.services.account import AccountService
from engagement.services.customers import CustomerService
from engagement.services.identity import IdentityService


class ActionSessionStart(Action):
    def __init__(
        self, customers: CustomerService, account: AccountService, identity: IdentityService
    ) -> None:
        self._customers = customers
        self._account = account
        self._identity = identity

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        customer_id = await self._identity.customer_of(tracker.sender_id)
        events: list[EventType] = [SessionStarted()]
        if customer_id != tracker.sender_id:
            events.append(SlotSet(CUSTOMER_ID, customer_id))
        events += await profile_slots(
            self._customers, self._account, customer_id, tracker.get_slot(LANGUAGE)
        )
        events.append(ActionExecuted("action_listen"))
        return events


async def profile_slots(
    customers: CustomerService, account: AccountService, customer_id: str, language: str | None
) -> list[EventType]:
    """Language, first name, points and stage of ``customer_id`` as slot events."""
    events: list[EventType] = []
    profile = await customers.profile(customer_id)
    if profile and profile.language:
        language = profile.language
    if language:
        events.append(SlotSet(LANGUAGE, language))
    if profile and profile.first_name:
        events.append(SlotSet(CUSTOMER_NAME, profile.first_name))
    if profile:
        progress = await account.progress(customer_id)
        events += [SlotSet("points", progress.points), SlotSet("stage", progress.stage)]
    return events
