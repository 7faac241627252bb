"""``action_session_start``: a new session starts with the customer's profile in slots."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.slots import CUSTOMER_NAME, LANGUAGE
from engagement.services.customers import CustomerService


class ActionSessionStart(Action):
    def __init__(self, customers: CustomerService) -> None:
        self._customers = customers

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
        events.append(ActionExecuted("action_listen"))
        return events
