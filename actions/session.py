"""``action_session_start``: a new session starts with the customer's profile in slots:
which customer the conversation speaks for, language, first name, points and stage."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.slots import CUSTOMER_ID, CUSTOMER_NAME, LANGUAGE
from engagement.customer_tokens import CLIENT_KEY, is_anonymous
from engagement.services.account import AccountService
from engagement.services.customers import CustomerService
from engagement.services.identity import IdentityService

SESSION_METADATA = "session_started_metadata"  # Rasa fills it with the first message's metadata


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
        events: list[EventType] = [SessionStarted()]
        linked = await self._identity.linked_customer(tracker.sender_id)
        if linked is not None:
            events.append(SlotSet(CUSTOMER_ID, linked))
        customer_id = linked or (tracker.sender_id if _opened_with_token(tracker) else None)
        if customer_id is None:
            language = tracker.get_slot(LANGUAGE)
            events += [SlotSet(LANGUAGE, language)] if language else []
        else:
            events += await profile_slots(
                self._customers, self._account, customer_id, tracker.get_slot(LANGUAGE)
            )
        events.append(ActionExecuted("action_listen"))
        return events


def _opened_with_token(tracker: Tracker) -> bool:
    """Whether the message that opens this session came through the REST or socket.io
    channel, whose conversation ids are customer ids only when a token proved them (the
    channel marks its messages; a messaging app's platform id is nobody's customer id)."""
    metadata = tracker.get_slot(SESSION_METADATA) or {}
    return (
        isinstance(metadata, dict)
        and CLIENT_KEY in metadata
        and not is_anonymous(tracker.sender_id)
    )


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
