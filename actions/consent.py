"""Consent and membership, recorded as events the reward rules see (with their channel)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.talk import account_of, announce, channel_of, event_id, language_of
from engagement.ports import Clock
from engagement.rewards import IncomingEvent
from engagement.services.account import AccountService
from engagement.services.rewards import RewardsService


class RecordingAction(Action):
    """Records one event of ``kind`` for the customer, then says ``response``."""

    kind = ""
    response = ""

    def __init__(self, rewards: RewardsService, account: AccountService, clock: Clock) -> None:
        self._rewards = rewards
        self._account = account
        self._clock = clock

    def name(self) -> str:
        return f"action_{self.kind}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        customer = account_of(tracker, dispatcher)
        if customer is None:
            return []
        channel = channel_of(tracker)
        recorded = await self._rewards.record_event(
            IncomingEvent(
                id=event_id(tracker, self.kind), type=self.kind, customer_id=customer,
                occurred_at=self._clock.now(), source="conversation",
                facts={"channel": channel}, payload={"channel": channel},
            )
        )  # fmt: skip
        dispatcher.utter_message(response=self.response)
        badges = await self._account.badge_names()
        announce(dispatcher, recorded.awards, badges, language_of(tracker))
        return []


class ActionOptIn(RecordingAction):
    kind = "opt_in"
    response = "utter_opted_in"


class ActionOptOut(RecordingAction):
    kind = "opt_out"
    response = "utter_opted_out"


class ActionJoinClub(RecordingAction):
    kind = "club_join"
    response = "utter_club_joined"

    def name(self) -> str:
        return "action_join_club"
