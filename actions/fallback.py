"""The two-stage fallback (README: assistant): first suggest the likely intents as buttons, then,
if the customer is still not understood, offer a human."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.talk import language_of

SUGGESTIONS = 3
LABEL_PREFIX = "utter_label_"  # one label per intent, in both languages


class ActionSuggestIntents(Action):
    def name(self) -> str:
        return "action_suggest_intents"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        buttons = _buttons(tracker, domain)
        if _suggested_just_before(tracker) or not buttons:
            dispatcher.utter_message(response="utter_still_unclear")
            return []
        dispatcher.utter_message(response="utter_suggest_intents", buttons=buttons)
        return []


def _buttons(tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, str]]:
    """The most likely intents that have a label in domain.yml, in the customer's language."""
    responses = domain.get("responses", {})
    language = language_of(tracker)
    buttons = []
    for ranked in tracker.latest_message.get("intent_ranking", []):
        intent = ranked.get("name")
        title = _label(responses.get(f"{LABEL_PREFIX}{intent}", []), language)
        if title:
            buttons.append({"title": title, "payload": f"/{intent}"})
        if len(buttons) == SUGGESTIONS:
            break
    return buttons


def _label(variations: list[dict[str, Any]], language: str) -> str | None:
    for variation in variations:
        conditions = variation.get("condition") or []
        if any(c.get("name") == "language" and c.get("value") == language for c in conditions):
            return str(variation.get("text"))
    return None


def _suggested_just_before(tracker: Tracker) -> bool:
    """True when the previous bot turn was already this suggestion."""
    actions = [e.get("name") for e in tracker.events if e.get("event") == "action"]
    previous = [name for name in actions if name not in ("action_listen", None)]
    return bool(previous) and previous[-1] == "action_suggest_intents"
