"""``action_greet``: greets by name when known ("again" only to a customer greeted before);
the first greeting ever adds the privacy notice."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.slots import CUSTOMER_NAME, LANGUAGE
from actions.talk import customer_of
from engagement.services.customers import CustomerService


class ActionGreet(Action):
    def __init__(self, customers: CustomerService) -> None:
        self._customers = customers

    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        customer = customer_of(tracker)
        if customer is None:  # anonymous: no profile to greet by name, nothing to record
            dispatcher.utter_message(response="utter_greet")
            return []
        greeting = await self._customers.greet(customer, tracker.get_slot(LANGUAGE))
        name = greeting.customer.first_name
        if name:
            response = "utter_greet_named_again" if greeting.returning else "utter_greet_named"
            dispatcher.utter_message(response=response, name=name)
        else:
            dispatcher.utter_message(response="utter_greet")
        if greeting.show_privacy_notice:
            dispatcher.utter_message(response="utter_privacy_notice")
        return [SlotSet(CUSTOMER_NAME, name)] if name else []
