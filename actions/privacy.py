"""export_my_data (a summary in the chat) and delete_my_data (after a confirmation)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.slots import LANGUAGE
from actions.talk import account_of, language_of
from engagement.services.account import AccountService
from engagement.services.privacy import PrivacyService
from engagement.wording import Noun, format_count

# what export_my_data counts, with the noun each count is read with
KEPT: dict[str, Noun] = {
    "orders": "order", "events": "event", "contributions": "contribution", "badges": "badge",
    "coupons": "coupon", "points": "point",
}  # fmt: skip


class ActionExportMyData(Action):
    def __init__(self, account: AccountService) -> None:
        self._account = account

    def name(self) -> str:
        return "action_export_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        customer = account_of(tracker, dispatcher)
        if customer is None:
            return []
        kept = await self._account.summary(customer)
        language = language_of(tracker)
        texts = {f"{name}_text": format_count(kept[name], noun, language)
                 for name, noun in KEPT.items()}  # fmt: skip
        dispatcher.utter_message(response="utter_export_summary", **kept, **texts)
        dispatcher.utter_message(response="utter_export_full")
        return []


class ActionDeleteMyData(Action):
    """Runs once the customer confirmed: engagement data now, this conversation's history
    (and that of linked channels) within seconds, by the engagement service."""

    def __init__(self, privacy: PrivacyService) -> None:
        self._privacy = privacy

    def name(self) -> str:
        return "action_delete_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        customer = account_of(tracker, dispatcher)
        if customer is None:
            return []
        await self._privacy.erase_customer(customer, tracker.sender_id)
        dispatcher.utter_message(response="utter_data_deleted")
        return [AllSlotsReset(), SlotSet(LANGUAGE, tracker.get_slot(LANGUAGE))]
