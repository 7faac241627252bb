"""``python -m bot demo``: a history the console can show, written through the services."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from bot.composition import DEFAULT_RULES
from bot.demo import seed
from engagement.commerce import parse_commerce_event
from engagement.nudges.audience import CustomerSnapshot, matches, parse_audience
from engagement.nudges.planning import Guards
from engagement.rewards import IncomingEvent
from engagement.services.brand import BrandView
from engagement.services.campaign_results import CampaignResults
from engagement.services.campaigns import CampaignService
from engagement.services.contributions import ContributionService
from engagement.services.dashboard import Dashboard
from engagement.services.rewards import RewardsService
from engagement.services.rules_book import RulesBook
from engagement.storage import personal
from engagement.storage import tables as t
from engagement.storage.database import Database
from tests.fakes import FixedClock

NOW = datetime(2026, 11, 25, 13, 0, tzinfo=timezone.utc)


async def test_the_demo_spreads_a_brand_over_the_weeks_and_adds_nothing_the_second_time(
    database: Database,
) -> None:
    clock = FixedClock(NOW)
    rules = RulesBook(database, clock)
    await rules.publish(DEFAULT_RULES.read_text(), "tests")
    first = await seed(database, customers=80, weeks=8, now=NOW)
    assert first.customers == 80 and first.deliveries > 0
    campaigns = CampaignService(database, clock, rules, Guards())
    board = await Dashboard(
        database, clock, BrandView(database, clock), CampaignResults(database, clock, campaigns)
    ).overview(8)
    climbed = [row["stage"] for row in board["funnel"] if row["customers"]]
    assert {"choice", "relation", "attention"} <= set(climbed)
    joined = [sum(week["stages"].values()) for week in board["funnel_weeks"]]
    assert joined == sorted(joined) and joined[0] < joined[-1] == 80  # the brand grew
    assert sum(1 for week in board["rewards_weeks"] if week["points"]) >= 6
    assert [c["sent"] > 0 for c in board["campaigns"]] == [True] * 3
    queue = ContributionService(database, clock, RewardsService(database, clock, rules))
    assert await queue.queue("pending")  # something left to moderate
    again = await seed(database, customers=80, weeks=8, now=NOW)
    assert again.deliveries == 0
    assert (await BrandView(database, clock).overview())["funnel"] == board["funnel"]


async def test_the_demo_leaves_the_real_customers_of_the_database_alone(
    database: Database,
) -> None:
    """A shop's database already holds Léa, who bought and agreed to receive news: the
    demo's campaigns neither reach her nor turn her into a demo buyer, and it completes."""
    clock = FixedClock(NOW - timedelta(weeks=3))
    rules = RulesBook(database, clock)
    await rules.publish(DEFAULT_RULES.read_text(), "tests")
    rewards = RewardsService(database, clock, rules)
    order = {"id": "CMD-1", "total": 42.0, "currency": "EUR",
             "items": [{"sku": "PULL-01", "name": "Pull", "quantity": 1, "price": 42.0}]}
    body = {"id": "shop-1", "type": "purchase", "occurred_at": clock.now().isoformat(),
            "order": order, "customer": {"id": "lea", "name": "Léa", "language": "fr"}}
    await rewards.record_event(IncomingEvent.from_commerce(
        parse_commerce_event(json.dumps(body).encode()), body
    ))
    await rewards.record_event(IncomingEvent(
        id="lea-opt-in", type="opt_in", customer_id="lea", occurred_at=clock.now(),
        source="conversation", facts={"channel": "socketio"},
    ))  # fmt: skip
    before = await _everything_about("lea", database)
    assert before["orders"] and before["ledger_entries"] and not before["deliveries"]

    summary = await seed(database, customers=60, weeks=8, now=NOW)

    assert summary.customers == 60 and summary.deliveries > 0
    assert await _everything_about("lea", database) == before
    async with database.connect() as conn:
        specs = list(await conn.scalars(sa.select(t.campaigns.c.spec)))
        nudged = set(await conn.scalars(sa.select(t.deliveries.c.customer_id)))
    assert nudged and all(who.startswith("demo-") for who in nudged)
    for spec in specs:  # paused and resumed from the console, still no one else
        audience = parse_audience(spec["audience"])
        assert not matches(audience, CustomerSnapshot(id="lea", opted_in=True))
        assert matches(audience, CustomerSnapshot(id="demo-0001", opted_in=True))


async def _everything_about(customer_id: str, database: Database) -> dict:
    async with database.connect() as conn:
        conversations = await personal.conversations_of(conn, customer_id)
        return await personal.rows_of(conn, customer_id, conversations)
