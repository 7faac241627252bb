"""link_account: a one-time code on the web channel, typed on another channel to link it."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.session import profile_slots
from actions.slots import CUSTOMER_ID, LANGUAGE
from actions.talk import account_of, channel_of, language_of
from engagement.customer_tokens import CLIENT_KEY
from engagement.identity import LINK_CODE_TTL, LinkOutcome
from engagement.services.account import AccountService
from engagement.services.customers import CustomerService
from engagement.services.identity import IdentityService
from engagement.wording import format_count


class ActionLinkAccount(Action):
    def __init__(
        self, identity: IdentityService, customers: CustomerService, account: AccountService
    ) -> None:
        self._identity = identity
        self._customers = customers
        self._account = account

    def name(self) -> str:
        return "action_link_account"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        typed = next(tracker.get_latest_entity_values("link_code"), None)
        if typed is None:
            customer = account_of(tracker, dispatcher)
            if customer is None:  # only a conversation that speaks for a customer shows codes
                return []
            code = await self._identity.new_code(customer)
            minutes = int(LINK_CODE_TTL.total_seconds() // 60)
            dispatcher.utter_message(
                response="utter_link_code", code=code.code, minutes=minutes,
                minutes_text=format_count(minutes, "minute", language_of(tracker)),
            )  # fmt: skip
            return []
        client = (tracker.latest_message.get("metadata") or {}).get(CLIENT_KEY)
        result = await self._identity.link(
            tracker.sender_id, str(typed), channel_of(tracker), str(client) if client else None
        )
        dispatcher.utter_message(response=f"utter_link_{result.outcome.value}")
        if result.outcome is not LinkOutcome.LINKED or result.customer_id is None:
            return []
        slots = await profile_slots(
            self._customers, self._account, result.customer_id, tracker.get_slot(LANGUAGE)
        )
        return [SlotSet(CUSTOMER_ID, result.customer_id), *slots]
