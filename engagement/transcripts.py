"""Conversations as people read them (pure): a button the customer pressed shows as its
title, not as the payload it sent, and a handoff's conversation starts at the message that
asked for a person."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from engagement.ports import Message

CUSTOMER, ASSISTANT = "customer", "assistant"


def readable(messages: Sequence[Message]) -> list[Message]:
    """The messages, each of the customer's button presses ("/affirm") shown as the title
    of the button the assistant offered just before ("Oui")."""
    offered: dict[str, str] = {}
    shown = []
    for message in messages:
        if message.by == ASSISTANT:
            offered.update((b["payload"], b["title"]) for b in message.buttons)
        else:
            if message.text in offered:
                message = replace(message, text=offered[message.text])
            offered = {}
        shown.append(message)
    return shown


def since_request(messages: Sequence[Message], requested_at: datetime) -> list[Message]:
    """From the customer's message that asked for a person (their last one before the
    request was recorded) to the latest."""
    asked = [i for i, m in enumerate(messages) if m.by == CUSTOMER and m.at <= requested_at]
    if asked:
        return list(messages[asked[-1] :])
    return [m for m in messages if m.at >= requested_at]


def customer_texts(messages: Sequence[Message], count: int) -> list[str]:
    return [m.text for m in messages if m.by == CUSTOMER and m.text][-count:]


def message_json(message: Message) -> dict[str, Any]:
    """A message for the API: who, what, when, and what the assistant showed besides."""
    shown: dict[str, Any] = {"by": message.by, "text": message.text,
                             "at": message.at.isoformat()}  # fmt: skip
    if message.buttons:
        shown["buttons"] = [dict(b) for b in message.buttons]
    return {**message.extra, **shown}
