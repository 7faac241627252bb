"""The default catalogue a brand starts with, through the real commerce endpoint."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.composition import DEFAULT_RULES
from engagement.settings import Settings
from engagement.web.app import create_app
from engagement.web.keys import RULES_BOOK
from tests.integration.shop import event, post_signed


@pytest.fixture
async def client(settings: Settings, migrated_url: str):  # type: ignore[no-untyped-def]
    app = create_app(settings)
    await app[RULES_BOOK].publish(DEFAULT_RULES.read_text(), "tests")
    async with TestClient(TestServer(app)) as client:
        client.settings = settings
        yield client


async def rules_paid(response) -> set[str]:  # type: ignore[no-untyped-def]
    return {award["rule"] for award in (await response.json())["awarded"]}


async def test_a_late_delivery_gets_an_apology_and_a_prompt_one_does_not(client) -> None:
    await post_signed(client, event("buy-1", order="o-1"))
    await post_signed(client, event("buy-2", order="o-2"))
    late = {**event("deliver-1", "delivery", order="o-1"), "occurred_at": "2026-11-29T10:00:00Z"}
    prompt = {**event("deliver-2", "delivery", order="o-2"), "occurred_at": "2026-11-21T10:00Z"}
    assert "late_delivery_apology" in await rules_paid(await post_signed(client, late))
    assert await rules_paid(await post_signed(client, prompt)) == set()


async def test_apologies_for_cancellations_grow_with_the_order(client) -> None:
    coupons = {}
    for order, total in (("o-small", 30.0), ("o-large", 180.0)):
        await post_signed(client, event(f"buy-{order}", order=order, total=total))
        cancelled = await post_signed(
            client, event(f"cancel-{order}", "cancellation", order=order, total=total)
        )
        (award,) = (await cancelled.json())["awarded"]
        coupons[order] = award["coupon"]
    checkout = {"customer_id": "c-42", "basket_total": 100}
    small = await post_signed(client, checkout, f"/api/v1/coupons/{coupons['o-small']}/validate")
    large = await post_signed(client, checkout, f"/api/v1/coupons/{coupons['o-large']}/validate")
    discounts = ((await small.json())["discount"], (await large.json())["discount"])
    assert discounts == ("10.00", "20.00")


async def test_purchase_points_follow_the_basket_up_to_their_cap(client) -> None:
    small = await post_signed(client, event("buy-1", order="o-1", total=42.5))
    assert (await small.json())["balance"] == 42 + 20  # per euro, plus the first-purchase gift
    large = await post_signed(client, event("buy-2", order="o-2", total=900.0))
    assert (await large.json())["balance"] == 62 + 500


async def test_three_months_in_a_row_with_a_purchase_earn_the_streak_badge(client) -> None:
    paid = []
    for month in ("09", "10", "11"):
        body = {
            **event(f"buy-{month}", order=f"o-{month}"),
            "occurred_at": f"2026-{month}-05T10:00Z",
        }
        paid.append(await rules_paid(await post_signed(client, body)))
    assert ["purchase_streak_badge" in rules for rules in paid] == [False, False, True]
