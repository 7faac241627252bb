"""Fixtures of the action tests: the engagement services on a migrated database with the
default rules, and ``call(action, **tracker)`` posting Rasa's JSON to the real action server."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.composition import DEFAULT_RULES, AssistantServices, action_server_app
from engagement.ports import SystemClock
from engagement.settings import Settings
from engagement.storage.database import Database
from tests.builders import action_call
from tests.integration.rewards_fixtures import incoming


@pytest.fixture(params=["sqlite", "postgresql"])
def database_kind(request: pytest.FixtureRequest) -> str:
    """The actions run on SQLite and on a real PostgreSQL."""
    return str(request.param)


@pytest.fixture
async def services(database: Database) -> AssistantServices:
    services = AssistantServices.on(database, SystemClock(), "http://links.test")
    await services.account._rules.publish(DEFAULT_RULES.read_text(), "tests")
    return services


@pytest.fixture
async def call(settings: Settings, services: AssistantServices):  # type: ignore[no-untyped-def]
    async with TestClient(TestServer(action_server_app(settings))) as client:

        async def raw(body: dict) -> dict:
            response = await client.post(
                "/webhook", json=body, headers={"Authorization": f"Bearer {settings.action_token}"}
            )
            assert response.status == 200, await response.text()
            return await response.json()

        async def call(action: str, **tracker) -> dict:  # type: ignore[no-untyped-def]
            return await raw(action_call(action, **tracker))

        call.raw = raw  # type: ignore[attr-defined]
        yield call


def said(answer: dict) -> list[str]:
    return [message["response"] for message in answer["responses"]]


async def buy(services: AssistantServices, number: int, *, days_ago: int = 0, total=40,  # type: ignore[no-untyped-def]
              customer: str = "customer-1") -> None:  # fmt: skip
    at = datetime.now(timezone.utc) - timedelta(days=days_ago)
    await services.rewards.record_event(incoming({
        "id": f"buy-{number}", "type": "purchase", "customer_id": customer,
        "order_id": f"CMD-{number}", "occurred_at": at.isoformat(), "total": total,
    }))  # fmt: skip
