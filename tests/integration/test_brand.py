"""The brand's view: the funnel, zapped customers and the brand-level fusion score."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from engagement.rewards import IncomingEvent
from engagement.settings import Settings
from engagement.web.app import create_app
from engagement.web.keys import REWARDS, RULES_BOOK
from tests.fakes import FixedClock
from tests.integration.rewards_fixtures import RULES, incoming


@pytest.fixture
async def client(settings: Settings, migrated_url: str):  # type: ignore[no-untyped-def]
    clock = FixedClock()
    app = create_app(settings, clock=clock)
    await app[RULES_BOOK].publish(RULES, "tests")
    async with TestClient(TestServer(app)) as client:
        client.admin = {"Authorization": f"Bearer {settings.admin_token}"}
        client.clock = clock
        yield client


async def test_the_brand_sees_its_funnel_its_zapped_customers_and_its_score(client) -> None:
    rewards = client.app[REWARDS]
    at = client.clock.now().isoformat()
    for customer in ("ana", "ben", "chloe"):
        await rewards.record_event(incoming({"id": f"buy-{customer}", "type": "purchase",
            "customer_id": customer, "order_id": f"o-{customer}", "occurred_at": at,
            "total": 40}))  # fmt: skip
    await rewards.record_event(incoming({"id": "cancel-ana", "type": "cancellation",
        "customer_id": "ana", "order_id": "o-ana", "occurred_at": at, "total": 40}))  # fmt: skip
    for number, kind in enumerate(("opt_in", "opt_out")):
        await rewards.record_event(
            IncomingEvent(f"consent-{number}", kind, "ben", client.clock.now(), "conversation")
        )
    response = await client.get("/api/v1/brand", headers=client.admin)
    brand = await response.json()
    funnel = {step["stage"]: step["customers"] for step in brand["funnel"]}
    assert funnel["choice"] + funnel["adherence"] + funnel["need"] == 3
    assert brand["zapped"] == 1
    assert brand["active_customers"] == 3
    assert brand["fusion_score"] == round((46 + 50 + 50) / 3, 1)  # ana's cancellation: -4
    customer = await client.get("/api/v1/customers/ben", headers=client.admin)
    assert (await customer.json())["consent"] is False
