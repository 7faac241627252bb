"""Builds the action-call JSON that Rasa posts to the action server."""

from __future__ import annotations

from typing import Any


def action_call(
    action: str,
    *,
    sender: str = "customer-1",
    slots: dict[str, Any] | None = None,
    intent: str = "greet",
    text: str = "Bonjour",
    entities: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    latest_message = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
    }
    return {
        "next_action": action,
        "sender_id": sender,
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": sender,
            "slots": {"language": "fr", "customer_name": None, **(slots or {})},
            "latest_message": latest_message,
            "events": [
                {"event": "action", "name": "action_listen"},
                {"event": "user", "text": text, "parse_data": latest_message},
            ],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }
