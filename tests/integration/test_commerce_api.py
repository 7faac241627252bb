"""The commerce-event contract (README: shop) through the real aiohttp app on SQLite."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient, TestServer

from engagement.settings import Settings
from engagement.web.app import create_app
from engagement.web.keys import RULES_BOOK
from tests.integration.rewards_fixtures import RULES
from tests.integration.shop import apology_coupon, checkout, customer, event, post_signed


@pytest.fixture
async def client(settings: Settings, migrated_url: str):  # type: ignore[no-untyped-def]
    app = create_app(settings)
    await app[RULES_BOOK].publish(RULES, "tests")
    async with TestClient(TestServer(app)) as client:
        client.settings = settings
        yield client




async def test_a_purchase_pays_points_and_a_badge_once(client) -> None:
    first = await post_signed(client, event("e-1"))
    assert first.status == 201
    assert (await first.json())["balance"] == 50
    replay = await post_signed(client, event("e-1"))
    assert replay.status == 200 and (await replay.json())["replay"] is True
    status, profile = await customer(client)
    assert status == 200
    assert profile["points"] == 50 and profile["badges"] == ["first_purchase"]
    assert profile["name"] == "Léa Martin"


async def test_a_refund_reverses_the_purchase_awards(client) -> None:
    await post_signed(client, event("e-1", total=120.0))
    assert (await customer(client))[1]["points"] == 70
    refund = await post_signed(client, event("e-2", "refund", total=120.0))
    assert (await refund.json())["balance"] == 0
    ledger = await client.get(
        "/api/v1/customers/c-42/ledger",
        headers={"Authorization": f"Bearer {client.settings.admin_token}"},
    )
    kinds = sorted(e["kind"] for e in (await ledger.json())["entries"])
    assert kinds == ["award", "award", "reversal", "reversal"]


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Fusion-Signature": f"t=1,v1={'0' * 64}"}, 401)],
)
async def test_unsigned_or_badly_signed_events_write_nothing(client, headers, status) -> None:
    response = await client.post("/api/v1/events", json=event("e-1"), headers=headers)
    assert response.status == status
    assert (await customer(client))[0] == 404


async def test_a_body_signed_with_another_secret_is_refused(client) -> None:
    response = await post_signed(client, event("e-1"), secret="another-secret-0123456789")
    assert response.status == 401
    assert (await customer(client))[0] == 404


@pytest.mark.parametrize(
    ("mutate", "status", "field"),
    [
        (lambda e: b"{not json", 400, None),
        (lambda e: {**e, "type": "gift"}, 422, "type"),
        (lambda e: {**e, "order": {**e["order"], "total": "lots"}}, 422, "order.total"),
        (lambda e: {**e, "occurred_at": "yesterday"}, 422, "occurred_at"),
        (lambda e: {**e, "customer": {"id": ""}}, 422, "customer.id"),
        (lambda e: {**e, "customer": {"id": "c-42", "email": "lea"}}, 422, "customer.email"),
        (lambda e: {**e, "extra": 1}, 422, "extra"),
    ],
)
async def test_a_malformed_event_names_its_field_and_writes_nothing(
    client, mutate, status, field
) -> None:
    response = await post_signed(client, mutate(event("e-1")))
    assert response.status == status
    if field:
        assert (await response.json())["field"] == field
    assert (await customer(client))[0] == 404


async def test_the_decision_log_explains_what_was_not_paid(client) -> None:
    await post_signed(client, event("e-1", total=120.0, order="o-1"))
    await post_signed(client, event("e-2", total=150.0, order="o-2"))
    response = await client.get(
        "/api/v1/customers/c-42/decisions",
        headers={"Authorization": f"Bearer {client.settings.admin_token}"},
    )
    outcomes = {
        (d["event_id"], d["rule_id"]): d["outcome"] for d in (await response.json())["decisions"]
    }
    assert outcomes[("e-1", "big_basket_bonus")] == "awarded"
    assert outcomes[("e-2", "big_basket_bonus")] == "capped"
    assert outcomes[("e-2", "first_purchase_badge")] == "not_eligible"


async def test_admin_reads_need_a_token_with_the_right_role(
    settings: Settings, migrated_url
) -> None:
    marketer = settings.replace(marketer_token="marketer-token-0123456789")
    async with TestClient(TestServer(create_app(marketer))) as client:
        anonymous = await client.get("/api/v1/customers/c-42")
        as_marketer = await client.get(
            "/api/v1/customers/c-42/decisions",
            headers={"Authorization": "Bearer marketer-token-0123456789"},
        )
        assert (anonymous.status, as_marketer.status) == (401, 403)


async def test_a_coupon_validates_then_redeems_once(client) -> None:
    code = await apology_coupon(client)
    assert len(code) >= 13
    listed = await client.get(
        "/api/v1/customers/c-42/coupons",
        headers={"Authorization": f"Bearer {client.settings.admin_token}"},
    )
    assert [c["code"] for c in (await listed.json())["coupons"]] == [code]
    path = f"/api/v1/coupons/{code}"
    small = await post_signed(client, checkout(10), f"{path}/validate")
    ok = await post_signed(client, checkout(80), f"{path}/validate")
    assert (small.status, ok.status) == (422, 200)
    assert (await ok.json())["discount"] == "8.00"
    first = await post_signed(client, checkout(80, "o-9"), f"{path}/redeem")
    again = await post_signed(client, checkout(80, "o-9"), f"{path}/redeem")
    assert (first.status, again.status) == (200, 409)


async def test_concurrent_redemptions_have_exactly_one_winner(client) -> None:
    body = checkout(80, "o-9")
    for trial in range(10):  # the fixture rules budget 10 apology coupons a month
        code = await apology_coupon(client, order=f"o-{trial}")
        responses = await asyncio.gather(
            *(post_signed(client, body, f"/api/v1/coupons/{code}/redeem") for _ in range(16))
        )
        statuses = sorted(r.status for r in responses)
        assert statuses == [200] + [409] * 15


async def test_the_full_export_is_for_the_admin_only(settings: Settings, migrated_url) -> None:
    manager = settings.replace(community_manager_token="manager-token-0123456789")
    app = create_app(manager)
    await app[RULES_BOOK].publish(RULES, "tests")
    async with TestClient(TestServer(app)) as client:
        client.settings = manager
        await post_signed(client, event("e-1"))
        admin = {"Authorization": f"Bearer {manager.admin_token}"}
        export = await (await client.get("/api/v1/customers/c-42/export", headers=admin)).json()
        assert export["profile"]["name"] == "Léa Martin"
        assert [o["id"] for o in export["orders"]] == ["o-1"]
        assert {e["rule_id"] for e in export["ledger"]} == {"purchase_points"}
        as_manager = await client.get(
            "/api/v1/customers/c-42/export",
            headers={"Authorization": "Bearer manager-token-0123456789"},
        )
        assert as_manager.status == 403
