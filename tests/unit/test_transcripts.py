"""Conversations as staff and customers read them back: button presses shown by their
title, a handoff's conversation from the message that asked."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from engagement.ports import Message
from engagement.transcripts import customer_texts, message_json, readable, since_request

T = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)


def at(seconds: int) -> datetime:
    return T + timedelta(seconds=seconds)


def test_a_button_press_reads_as_the_title_of_the_button_offered() -> None:
    yes = ({"title": "Oui", "payload": "/affirm"}, {"title": "Non", "payload": "/deny"})
    said = [
        Message("assistant", "On continue ?", at(0), yes),
        Message("customer", "/affirm", at(1)),
        Message("customer", "/affirm", at(2)),  # no button offered before this one
    ]
    assert [m.text for m in readable(said)] == ["On continue ?", "Oui", "/affirm"]


def test_a_handoff_conversation_starts_at_the_message_that_asked() -> None:
    said = [
        Message("customer", "bonjour", at(-600)),
        Message("assistant", "Bonjour !", at(-599)),
        Message("customer", "je veux parler à quelqu'un", at(-2)),
        Message("assistant", "Je préviens l'équipe.", at(-1)),
        Message("customer", "vous êtes là ?", at(30)),
    ]
    assert [m.text for m in since_request(said, T)] == [
        "je veux parler à quelqu'un", "Je préviens l'équipe.", "vous êtes là ?",
    ]  # fmt: skip
    assert customer_texts(said, 2) == ["je veux parler à quelqu'un", "vous êtes là ?"]
    assert since_request(said[-1:], T) == said[-1:], "nothing before: all that came after"


def test_a_message_for_the_api_keeps_what_the_assistant_showed_besides_the_text() -> None:
    shown = Message("assistant", "Voici", at(0), ({"title": "A", "payload": "/a"},),
                    {"image": "https://shop.test/a.png"})  # fmt: skip
    assert message_json(shown) == {
        "by": "assistant", "text": "Voici", "at": "2026-11-24T10:00:00+00:00",
        "buttons": [{"title": "A", "payload": "/a"}], "image": "https://shop.test/a.png",
    }  # fmt: skip
