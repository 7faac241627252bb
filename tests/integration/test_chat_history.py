"""A signed-in customer's chat history through the real aiohttp app: read from the
conversation side with their customer token, their own conversation only."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engagement.ports import Message
from engagement.settings import Settings
from tests.conftest import as_customer, customer_token
from tests.fakes import RecordingConversations
from tests.integration.served import admin, served

T = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
YES_NO = ({"title": "Oui", "payload": "/affirm"}, {"title": "Non", "payload": "/deny"})


@pytest.fixture
def rasa() -> RecordingConversations:
    rasa = RecordingConversations()
    rasa.said["lea"] = [
        Message("customer", "bonjour", T),
        Message("assistant", "Bonjour Léa ! On parle de votre commande ?", T, YES_NO),
        Message("customer", "/affirm", T + timedelta(seconds=5)),
    ]
    rasa.said["tom"] = [Message("customer", "le secret de Tom", T)]
    return rasa


@pytest.fixture
async def client(settings: Settings, migrated_url: str, rasa: RecordingConversations):  # type: ignore[no-untyped-def]
    async with served(settings, conversations=rasa) as client:
        yield client


async def test_a_customer_reads_their_own_conversation_with_their_token(client) -> None:
    answer = await client.get("/api/v1/chat/history", headers=as_customer("lea"))
    assert answer.status == 200 and answer.headers["Cache-Control"] == "no-store"
    history = await answer.json()
    assert history["conversation"] == "lea"
    assert [(m["by"], m["text"]) for m in history["messages"]] == [
        ("customer", "bonjour"), ("assistant", "Bonjour Léa ! On parle de votre commande ?"),
        ("customer", "Oui"),
    ]  # fmt: skip
    assert history["messages"][1]["buttons"] == [dict(b) for b in YES_NO]


async def test_nobody_reads_a_conversation_without_its_customer_s_token(client) -> None:
    refused = {
        "none": await client.get("/api/v1/chat/history"),
        "staff": await client.get("/api/v1/chat/history", headers=admin(client)),
        "forged": await client.get("/api/v1/chat/history", headers={
            "Authorization": f"Bearer {customer_token('tom')[:-4]}AAAA"}),  # fmt: skip
        "a sender": await client.get("/api/v1/chat/history?sender=tom", headers=as_customer("lea")),
    }
    assert {who: answer.status for who, answer in refused.items()} == {
        "none": 401, "staff": 401, "forged": 401, "a sender": 200,
    }  # fmt: skip
    theirs = await refused["a sender"].json()
    assert "le secret de Tom" not in str(theirs), "the token names the conversation, not a query"


async def test_without_the_customer_token_secret_the_history_is_not_served(
    settings: Settings, migrated_url: str, rasa: RecordingConversations
) -> None:
    async with served(settings.replace(customer_token_secret=None), conversations=rasa) as client:
        answer = await client.get("/api/v1/chat/history", headers=as_customer("lea"))
    assert answer.status == 503
