"""Posts real action-call JSON to our action server's /webhook, as Rasa does."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.composition import action_server_app
from engagement.settings import Settings
from tests.builders import action_call


@pytest.fixture
async def client(settings: Settings, migrated_url: str):  # type: ignore[no-untyped-def]
    async with TestClient(TestServer(action_server_app(settings))) as client:
        yield client


def auth(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {settings.action_token}"}


async def test_greeting_a_new_customer_adds_the_privacy_notice_once(client, settings) -> None:
    first = await client.post("/webhook", json=action_call("action_greet"), headers=auth(settings))
    again = await client.post("/webhook", json=action_call("action_greet"), headers=auth(settings))
    assert first.status == again.status == 200
    assert [r["response"] for r in (await first.json())["responses"]] == [
        "utter_greet",
        "utter_privacy_notice",
    ]
    assert [r["response"] for r in (await again.json())["responses"]] == ["utter_greet"]


async def test_change_language_sets_the_slot_and_remembers_it(client, settings) -> None:
    entities = [{"entity": "target_language", "value": "en"}]
    call = action_call("action_change_language", intent="change_language", entities=entities)
    changed = await client.post("/webhook", json=call, headers=auth(settings))
    assert {"event": "slot", "name": "language", "value": "en", "timestamp": None} in (
        await changed.json()
    )["events"]
    start = await client.post(
        "/webhook", json=action_call("action_session_start"), headers=auth(settings)
    )
    events = (await start.json())["events"]
    assert {"event": "slot", "name": "language", "value": "en", "timestamp": None} in events


async def test_calls_without_the_secret_are_refused(client, settings) -> None:
    missing = await client.post("/webhook", json=action_call("action_greet"))
    wrong = await client.post(
        "/webhook", json=action_call("action_greet"), headers={"Authorization": "Bearer nope"}
    )
    assert (missing.status, wrong.status) == (401, 403)
    assert (await client.get("/health")).status == 200


async def test_actions_are_listed(client, settings) -> None:
    listed = await client.get("/actions", headers=auth(settings))
    names = {a["name"] for a in await listed.json()}
    assert {"action_session_start", "action_greet", "action_change_language"} <= names


async def test_errors_never_echo_the_request_body(client, settings) -> None:
    secret_text = "my card is 4970 1234 5678 9012"
    call = action_call("action_greet", text=secret_text)
    call["tracker"]["slots"] = 42  # a malformed tracker makes the action fail
    response = await client.post("/webhook", json=call, headers=auth(settings))
    assert response.status >= 400
    assert secret_text not in await response.text()
    unknown = await client.post(
        "/webhook", json=action_call("action_nope", text=secret_text), headers=auth(settings)
    )
    assert unknown.status == 404 and secret_text not in await unknown.text()
