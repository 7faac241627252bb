"""Builds the action-call JSON that Rasa posts to the action server."""

from __future__ import annotations

import uuid
from typing import Any

from engagement.customer_tokens import CLIENT_KEY


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
    channel: str = "rest",
    client: str = "test-client",
) -> dict[str, Any]:
    """``slot_events``: slots set after the customer's message (what a form validates);
    ``timestamp``: when the customer wrote it (seconds since the epoch); ``channel``: where
    it came from. On "rest" and "socketio" a conversation whose id does not start with "~"
    was opened with the customer's token, as bot/channels.py guarantees; the messages of
    those channels carry the client's tag in their metadata (``client``)."""

    marked = {CLIENT_KEY: client} if channel in ("rest", "socketio") else {}
    latest_message = {
        "metadata": marked,
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
                "session_started_metadata": marked,
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
                    "input_channel": channel,
                    "metadata": marked,
                    **({"timestamp": timestamp} if timestamp is not None else {}),
                },
                *after,
            ],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
            "latest_input_channel": channel,
        },
    }
