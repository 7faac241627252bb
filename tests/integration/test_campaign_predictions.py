"""What the audience view predicts is what the run does: the same decision per customer
(reachability, the hold-out, the cap), the same rendering, through the real aiohttp app."""

from __future__ import annotations

from datetime import timedelta

from engagement.nudges.planning import held_out
from engagement.rewards import IncomingEvent
from engagement.services.channels import ChannelRegistry
from engagement.services.rewards import RewardsService
from engagement.services.rules_book import RulesBook
from tests.integration import test_campaigns
from tests.integration.rewards_fixtures import incoming
from tests.integration.test_campaigns import (
    CAMPAIGN,
    START,
    admin,
    customers,
    nudges,
    results_of,
)
from tests.integration.test_planner import sent_nudges

client, clock, rasa = test_campaigns.client, test_campaigns.clock, test_campaigns.rasa  # fixtures


async def more_customers(database, clock) -> None:  # type: ignore[no-untyped-def]
    """Besides Léa, Tom, Zoé and Max: thirty who chat on the web, Ana who bought in the
    shop and never chatted, Noa whose name we do not know, Eve who last wrote on Messenger
    30 hours ago, and Cap who got two marketing nudges this week."""
    await customers(database, clock)
    rewards = RewardsService(database, clock, RulesBook(database, clock))
    registry = ChannelRegistry(database, clock)
    people = [f"c{n:02d}" for n in range(30)] + ["ana", "noa", "eve", "cap"]
    for person in people:
        await rewards.record_event(IncomingEvent(
            id=f"in-{person}", type="opt_in", customer_id=person, occurred_at=START,
            source="conversation", customer_language="en",
            customer_name=None if person == "noa" else person.capitalize(),
        ))  # fmt: skip
    await rewards.record_event(incoming({
        "id": "buy-ana", "type": "purchase", "customer_id": "ana", "order_id": "A-1",
        "total": 40, "occurred_at": (START - timedelta(days=2)).isoformat(),
    }))  # fmt: skip
    for person in people:
        if person not in ("ana", "eve"):
            await registry.seen(person, person, "socketio")
    clock.current = START - timedelta(hours=30)
    await registry.seen("eve", "eve", "facebook")
    clock.current = START
    await sent_nudges(database, {"cap": [(timedelta(days=1), True), (timedelta(days=2), True)]})


async def test_the_audience_predicts_what_the_run_does_customer_by_customer(
    client, database, clock, rasa
) -> None:
    await more_customers(database, clock)
    seed = "form-seed-1"  # keeps Cap and Noa out of the hold-out: their reasons show
    assert not any(held_out(seed, person, 30) for person in ("cap", "noa"))
    spec = {**CAMPAIGN, "audience": None, "holdout_percent": 30, "holdout_seed": seed}
    drafted = await client.post("/api/v1/campaigns/audience", json=spec, headers=admin(client))
    predicted = await drafted.json()
    assert predicted["matching"] == 38
    would = predicted["would"]
    assert {reason: would[reason] for reason in (
        "no_channel", "channel_window", "capped", "no_consent", "opted_out",
        "missing_data: 'first_name' is undefined",
    )} == {"no_channel": 1, "channel_window": 1, "capped": 1, "no_consent": 1, "opted_out": 1,
           "missing_data: 'first_name' is undefined": 1}  # fmt: skip
    assert 0 < would["hold_out"] < 32 and would["send"] > 0

    created = await client.post("/api/v1/campaigns", json=spec, headers=admin(client))
    campaign = await created.json()
    saved = await client.get(f"/api/v1/campaigns/{campaign['id']}/audience", headers=admin(client))
    assert await saved.json() == predicted, "the saved campaign keeps the form's hold-out"

    await client.post(f"/api/v1/campaigns/{campaign['id']}/schedule", headers=admin(client))
    service = nudges(database, clock, rasa)
    await service.plan_due()
    while (await service.dispatch()).sent:
        clock.advance(minutes=5)  # one nudge per conversation and batch
    results = await results_of(client, campaign)
    assert results["pending_by_reason"] == {}
    done = {"send": results["by_status"]["sent"], "hold_out": results["by_status"]["held_out"],
            **results["skipped_by_reason"]}  # fmt: skip
    assert done == would
    assert len(rasa.nudges) == would["send"]


async def test_a_campaign_saved_without_a_seed_predicts_with_its_own_id(
    client, database, clock, rasa
) -> None:
    await more_customers(database, clock)
    body = {**CAMPAIGN, "audience": None, "holdout_percent": 30}
    created = await client.post("/api/v1/campaigns", json=body, headers=admin(client))
    campaign = await created.json()
    assert campaign["spec"]["holdout_seed"] == campaign["id"]
    answer = await client.get(f"/api/v1/campaigns/{campaign['id']}/audience", headers=admin(client))
    predicted = (await answer.json())["would"]
    await client.post(f"/api/v1/campaigns/{campaign['id']}/schedule", headers=admin(client))
    await nudges(database, clock, rasa).plan_due()
    assert (await results_of(client, campaign))["by_status"]["held_out"] == predicted["hold_out"]
    edited = {**campaign["spec"], "holdout_seed": "another"}
    await client.post(f"/api/v1/campaigns/{campaign['id']}/pause", headers=admin(client))
    refused = await client.put(f"/api/v1/campaigns/{campaign['id']}", json=edited,
                               headers=admin(client))  # fmt: skip
    assert refused.status == 422 and (await refused.json())["field"] == "holdout_seed"
