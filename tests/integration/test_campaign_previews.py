"""The preview and the test send render a campaign's message exactly as the dispatcher does,
through the real aiohttp app: sample values without a customer, a coupon's variables, a
test send of a coupon campaign and to a customer who opened the chat without writing."""

from __future__ import annotations

import json
from datetime import timedelta

from aiohttp.test_utils import TestClient, TestServer

from engagement.commerce import parse_commerce_event
from engagement.nudges.messages import SAMPLE_COUPON_CODE
from engagement.rewards import IncomingEvent
from engagement.services.rewards import RewardsService
from engagement.services.rules_book import RulesBook
from engagement.web.app import create_app
from tests.integration import test_campaigns
from tests.integration.test_campaigns import (
    CAMPAIGN,
    START,
    admin,
    coupons_of,
    create,
    customers,
    nudges,
    results_of,
)

client, clock, rasa = test_campaigns.client, test_campaigns.clock, test_campaigns.rasa  # fixtures

NBSP = "\u00a0"
GIFT = {
    "coupon": "welcome_back_5", "coupon_budget": 10,
    "messages": {
        "fr": "{{ first_name }}, {{ points_text }} et {{ coupon_value }} : {{ coupon_code }}",
        "en": "{{ first_name }}, {{ points_text }} and {{ coupon_value }}: {{ coupon_code }}",
    },
}  # fmt: skip


async def shopper(database, clock, customer: str, name: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """A customer the shop told us about, who never wrote to the assistant."""
    order = {"id": f"O-{customer}", "total": 40.0, "currency": "EUR",
             "items": [{"sku": "SKU-1", "name": "Item", "quantity": 1, "price": 40.0}]}  # fmt: skip
    body = {"id": f"buy-{customer}", "type": "purchase", "order": order,
            "occurred_at": (START - timedelta(days=3)).isoformat(),
            "customer": {"id": customer, **({"name": name} if name else {})}}  # fmt: skip
    event = IncomingEvent.from_commerce(parse_commerce_event(json.dumps(body).encode()), body)
    await RewardsService(database, clock, RulesBook(database, clock)).record_event(event)


async def test_without_a_customer_the_preview_shows_every_variable_with_sample_values(
    client, database, clock
) -> None:
    await customers(database, clock)
    await shopper(database, clock, "abe")  # first of the audience, and nameless
    spec = {**CAMPAIGN, **GIFT, "audience": None}
    answer = await client.post("/api/v1/campaigns/preview", json={"campaign": spec},
                               headers=admin(client))  # fmt: skip
    preview = await answer.json()
    assert answer.status == 200, preview
    assert preview == {
        "customer_id": None, "sample": True,
        "fr": f"Camille, 1\u202f250 points et 5{NBSP}€ : {SAMPLE_COUPON_CODE}",
        "en": f"Camille, 1,250 points and €5: {SAMPLE_COUPON_CODE}",
    }  # fmt: skip
    campaign = await create(client, **GIFT)
    saved = await client.get(f"/api/v1/campaigns/{campaign['id']}/preview", headers=admin(client))
    assert await saved.json() == preview
    no_coupon = {**spec, "coupon": None, "coupon_budget": None}
    refused = await client.post("/api/v1/campaigns/preview", json={"campaign": no_coupon},
                                headers=admin(client))  # fmt: skip
    assert refused.status == 422
    assert await refused.json() == {
        "error": "invalid field", "field": "messages.fr",
        "reason": "every customer would be skipped: 'coupon_value' is undefined",
    }  # fmt: skip


async def test_a_customer_s_preview_is_what_the_dispatcher_sends_them_but_the_code(
    client, database, clock, rasa
) -> None:
    await customers(database, clock)
    campaign = await create(client, **GIFT)
    answer = await client.get(f"/api/v1/campaigns/{campaign['id']}/preview?customer_id=lea",
                              headers=admin(client))  # fmt: skip
    preview = await answer.json()
    assert answer.status == 200, preview
    assert preview["fr"] == f"Lea, 70 points et 5{NBSP}€ : {SAMPLE_COUPON_CODE}"
    await client.post(f"/api/v1/campaigns/{campaign['id']}/schedule", headers=admin(client))
    service = nudges(database, clock, rasa)
    await service.plan_due()
    await service.dispatch()
    (sent,) = (text for sender, _, text, _ in rasa.nudges if sender == "lea")
    (code,) = await coupons_of(client, "lea")
    assert sent == preview["fr"].replace(SAMPLE_COUPON_CODE, code)


async def test_a_test_send_of_a_coupon_campaign_shows_a_sample_code_and_mints_nothing(
    client, database, clock, rasa
) -> None:
    await customers(database, clock)
    campaign = await create(client, **GIFT)
    answer = await client.post(f"/api/v1/campaigns/{campaign['id']}/test-send",
                               json={"customer_id": "tom"}, headers=admin(client))  # fmt: skip
    sent = await answer.json()
    assert answer.status == 200, sent
    assert sent == {"sent_to": "tom", "channel": "socketio", "coupon_code": SAMPLE_COUPON_CODE,
                    "text": f"Tom, 70 points et 5{NBSP}€ : {SAMPLE_COUPON_CODE}"}  # fmt: skip
    assert [(s, c, text) for s, c, text, _ in rasa.nudges] == [("tom", "socketio", sent["text"])]
    assert await coupons_of(client, "tom") == [], "no coupon minted"
    results = await results_of(client, campaign)
    assert results["by_status"] == {} and results["budget"]["coupons"]["used"] == 0


async def test_a_test_send_reaches_a_customer_who_opened_the_chat_without_writing(
    client, database, clock, rasa
) -> None:
    await customers(database, clock)
    await shopper(database, clock, "ana", "Ana Lopez")
    await shopper(database, clock, "ben", "Ben Hur")
    rasa.offline.add("ben")  # the web chat says Ben is not there
    campaign = await create(client)
    answer = await client.post(f"/api/v1/campaigns/{campaign['id']}/test-send",
                               json={"customer_id": "ana"}, headers=admin(client))  # fmt: skip
    assert answer.status == 200, await answer.text()
    assert [(s, c, text) for s, c, text, _ in rasa.nudges] == [
        ("ana", "socketio", "Bonjour Ana, vous avez 60 points !")
    ]
    away = await client.post(f"/api/v1/campaigns/{campaign['id']}/test-send",
                             json={"customer_id": "ben"}, headers=admin(client))  # fmt: skip
    refusal = await away.json()
    assert (away.status, refusal["field"]) == (422, "customer_id")
    assert "does not have the chat open" in refusal["reason"]
    assert len(rasa.nudges) == 1
    unknown = await client.post(f"/api/v1/campaigns/{campaign['id']}/test-send",
                                json={"customer_id": "nobody"}, headers=admin(client))  # fmt: skip
    assert (unknown.status, (await unknown.json())["reason"]) == (422, "unknown customer")


async def test_a_test_send_is_in_the_audit_log_and_needs_the_rasa_server(
    client, database, clock
) -> None:
    await RewardsService(database, clock, RulesBook(database, clock)).record_event(IncomingEvent(
        id="in-lea", type="opt_in", customer_id="lea", occurred_at=START,
        source="conversation", customer_name="Léa",
    ))  # fmt: skip
    campaign = await create(client)
    await client.post(f"/api/v1/campaigns/{campaign['id']}/test-send", json={"customer_id": "lea"},
                      headers=admin(client))  # fmt: skip
    entries = (await (await client.get("/api/v1/audit", headers=admin(client))).json())["entries"]
    assert [e["action"] for e in entries][:2] == ["campaign.test_send", "campaign.create"]
    alone = create_app(client.settings, database=database, clock=clock)  # no Rasa server
    path = f"/api/v1/campaigns/{campaign['id']}/test-send"
    async with TestClient(TestServer(alone)) as without_rasa:
        answer = await without_rasa.post(path, json={"customer_id": "lea"}, headers=admin(client))
        assert answer.status == 503
