"""human_handoff: the request is recorded for staff and the assistant pauses."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.talk import channel_of, customer_of, language_of, recent_texts
from engagement.services.handoffs import HandoffService


class ActionHandoff(Action):
    def __init__(self, handoffs: HandoffService) -> None:
        self._handoffs = handoffs

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        await self._handoffs.request(
            sender_id=tracker.sender_id, customer_id=customer_of(tracker) or tracker.sender_id,
            channel=channel_of(tracker), language=language_of(tracker),
            recent_messages=recent_texts(tracker),
        )  # fmt: skip
        dispatcher.utter_message(response="utter_handoff_requested")
        return [ConversationPaused()]
