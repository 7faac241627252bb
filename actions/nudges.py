"""``action_show_nudge``: what a campaign sends arrives as the ``EXTERNAL_nudge`` intent with
its text and key as entities; a key already shown (a retried send that had arrived) is
not shown twice."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.slots import NUDGES_SHOWN

REMEMBERED_KEYS = 20


class ActionShowNudge(Action):
    def name(self) -> str:
        return "action_show_nudge"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = next(tracker.get_latest_entity_values("nudge_text"), None)
        key = next(tracker.get_latest_entity_values("nudge_key"), None)
        shown = list(tracker.get_slot(NUDGES_SHOWN) or [])
        if not text or (key and key in shown):
            return []
        dispatcher.utter_message(response="utter_nudge", nudge=text)
        return [SlotSet(NUDGES_SHOWN, [*shown, key][-REMEMBERED_KEYS:])] if key else []
