"""export_my_data: what is kept about the customer, summarised in the chat."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from engagement.services.account import AccountService


class ActionExportMyData(Action):
    def __init__(self, account: AccountService) -> None:
        self._account = account

    def name(self) -> str:
        return "action_export_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        kept = await self._account.summary(tracker.sender_id)
        dispatcher.utter_message(response="utter_export_summary", **kept)
        dispatcher.utter_message(response="utter_export_full")
        return []
