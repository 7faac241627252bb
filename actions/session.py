"""``action_session_start``: a new session starts with the customer's profile in slots:
language, first name, points and stage on the ladder."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.slots import CUSTOMER_NAME, LANGUAGE
from engagement.services.account import AccountService
from engagement.services.customers import CustomerService


class ActionSessionStart(Action):
    def __init__(self, customers: CustomerService, account: AccountService) -> None:
        self._customers = customers
        self._account = account

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        language = tracker.get_slot(LANGUAGE)
        profile = await self._customers.profile(tracker.sender_id)
        if profile and profile.language:
            language = profile.language
        if language:
            events.append(SlotSet(LANGUAGE, language))
        if profile and profile.first_name:
            events.append(SlotSet(CUSTOMER_NAME, profile.first_name))
        if profile:
            progress = await self._account.progress(tracker.sender_id)
            events += [SlotSet("points", progress.points), SlotSet("stage", progress.stage)]
        events.append(ActionExecuted("action_listen"))
        return events
