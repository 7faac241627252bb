"""``action_change_language``: switches to the language asked for (or the other one)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.slots import LANGUAGE, TARGET_LANGUAGE_ENTITY
from actions.talk import customer_of
from engagement.services.customers import CustomerService
from engagement.settings import LANGUAGES


class ActionChangeLanguage(Action):
    def __init__(self, customers: CustomerService) -> None:
        self._customers = customers

    def name(self) -> str:
        return "action_change_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        asked = next(tracker.get_latest_entity_values(TARGET_LANGUAGE_ENTITY), None)
        if asked not in LANGUAGES:
            current = tracker.get_slot(LANGUAGE)
            asked = next(code for code in LANGUAGES if code != current)
        customer = customer_of(tracker)
        if customer is not None:  # an anonymous conversation keeps it in its slot only
            await self._customers.choose_language(customer, asked)
        return [SlotSet(LANGUAGE, asked)]
