"""Builds the action-call JSON that Rasa posts to the action server."""

from __future__ import annotations

import uuid
from typing import Any


def action_call(
    action: str,
    *,
    sender: str = "customer-1",
    slots: dict[str, Any] | None = None,
    intent: str = "greet",
    text: str = "Bonjour",
    entities: list[dict[str, Any]] | None = None,
    slot_events: dict[str, Any] | None = None,
    active_loop: str | None = None,
    message_id: str | None = None,
    domain: dict[str, Any] | None = None,
    timestamp: float | None = None,
) -> dict[str, Any]:
    """``slot_events``: slots set after the customer's message (what a form validates);
    ``timestamp``: when the customer wrote it (seconds since the epoch)."""
    latest_message = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
        "message_id": message_id or uuid.uuid4().hex,
    }
    after = [{"event": "slot", "name": k, "value": v} for k, v in (slot_events or {}).items()]
    return {
        "next_action": action,
        "sender_id": sender,
        "version": "3.6.21",
        "domain": domain or {},
        "tracker": {
            "sender_id": sender,
            "slots": {
                "language": "fr",
                "customer_name": None,
                **(slots or {}),
                **(slot_events or {}),
            },
            "latest_message": latest_message,
            "events": [
                {"event": "action", "name": "action_listen"},
                {
                    "event": "user",
                    "text": text,
                    "parse_data": latest_message,
                    **({"timestamp": timestamp} if timestamp is not None else {}),
                },
                *after,
            ],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
        },
    }
