"""Planning with a fixed clock on SQLite: campaigns that follow an event, customers who
ignore nudges, the hour a customer usually writes at, and snapshots read chunk by chunk."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from bot.composition import DEFAULT_RULES
from engagement.fusion import FusionEntry, fusion_score
from engagement.rewards import IncomingEvent
from engagement.services import snapshots as snapshots_module
from engagement.services.attention import AttentionService
from engagement.services.channels import ChannelRegistry
from engagement.services.rewards import RewardsService
from engagement.services.rules_book import RulesBook
from engagement.services.snapshots import snapshots
from engagement.storage import tables as t
from engagement.storage.database import Database
from tests.fakes import FixedClock
from tests.integration import test_campaigns
from tests.integration.rewards_fixtures import incoming
from tests.integration.test_campaigns import START, admin, create, customers, nudges, results_of

client, clock, rasa = test_campaigns.client, test_campaigns.clock, test_campaigns.rasa  # fixtures

AFTER_DELIVERY = {"after_event": "delivery", "after_hours": 48}


async def shop_event(database: Database, clock: FixedClock, kind: str, customer: str,
                     order: str, at: datetime) -> None:  # fmt: skip
    await RewardsService(database, clock, RulesBook(database, clock)).record_event(incoming({
        "id": f"{kind}-{order}-{int(at.timestamp())}", "type": kind, "customer_id": customer,
        "order_id": order, "total": 40, "occurred_at": at.isoformat(),
    }))  # fmt: skip


async def deliveries_of(database: Database, campaign: dict) -> list[tuple[str, str, datetime]]:
    """(customer, status, send_at) of the campaign's deliveries, by customer and time."""
    d = t.deliveries.c
    async with database.connect() as conn:
        rows = await conn.execute(
            sa.select(d.customer_id, d.status, d.send_at)
            .where(d.campaign_id == campaign["id"]).order_by(d.customer_id, d.send_at)
        )  # fmt: skip
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_an_after_event_campaign_nudges_each_customer_hours_after_their_delivery(
    client, database, clock, rasa
) -> None:
    await customers(database, clock)
    await shop_event(database, clock, "delivery", "tom", "CMD-1", clock.now())
    campaign = await create(client, schedule=AFTER_DELIVERY, audience=None)
    clock.advance(hours=1)
    scheduled = await client.post(f"/api/v1/campaigns/{campaign['id']}/schedule",
                                  headers=admin(client))  # fmt: skip
    assert (await scheduled.json())["next_run_at"] is not None, "it watches from now on"
    service = nudges(database, clock, rasa)
    assert (await service.plan_due()).deliveries == 0, "Tom's delivery came before it"

    clock.advance(hours=1)  # 15:00 UTC, 16:00 in Paris
    delivered = clock.now()
    await shop_event(database, clock, "delivery", "lea", "CMD-0", delivered)
    # a delivery the shop reports late, but that happened before the campaign started
    await shop_event(database, clock, "delivery", "tom", "CMD-1", START - timedelta(days=1))
    planned = await service.plan_due()
    assert (planned.runs, planned.deliveries) == (1, 1)
    assert await deliveries_of(database, campaign) == [
        ("lea", "pending", delivered + timedelta(hours=48))
    ]
    async with database.connect() as conn:  # stored as every moment is, comparable in SQL
        found = await conn.scalar(sa.select(sa.func.count()).where(
            t.deliveries.c.send_at == delivered + timedelta(hours=48)
        ))  # fmt: skip
    assert found == 1
    clock.advance(hours=1)
    await shop_event(database, clock, "delivery", "lea", "CMD-9", clock.now())
    assert (await service.plan_due()).deliveries == 0, "one such nudge a day"
    clock.current = delivered + timedelta(hours=47)
    assert (await service.dispatch()).sent == 0, "not yet"
    clock.current = delivered + timedelta(hours=48)
    assert (await service.dispatch()).sent == 1
    assert [sender for sender, *_ in rasa.nudges] == ["lea"]
    state = await client.get(f"/api/v1/campaigns/{campaign['id']}", headers=admin(client))
    assert (await state.json())["status"] == "scheduled", "it keeps watching"


async def test_after_event_nudges_on_other_days_and_in_quiet_hours(
    client, database, clock, rasa
) -> None:
    await customers(database, clock)
    campaign = await create(client, schedule=AFTER_DELIVERY, audience=None)
    await client.post(f"/api/v1/campaigns/{campaign['id']}/schedule", headers=admin(client))
    service = nudges(database, clock, rasa)
    first = START + timedelta(hours=1)  # Wednesday 15:00 UTC
    late = START + timedelta(days=1, hours=7, minutes=30)  # Thursday 21:30 in Paris
    clock.current = late
    await shop_event(database, clock, "delivery", "tom", "CMD-1", first)
    await shop_event(database, clock, "delivery", "tom", "CMD-7", late)
    await shop_event(database, clock, "delivery", "zoe", "CMD-2", first)
    assert (await service.plan_due()).runs == 2
    sunday_9am_paris = datetime(2026, 11, 29, 8, 0, tzinfo=timezone.utc)
    assert await deliveries_of(database, campaign) == [
        ("tom", "pending", first + timedelta(hours=48)),  # Friday
        ("tom", "pending", sunday_9am_paris),  # Saturday 21:30 is in the quiet hours
        ("zoe", "skipped", None),  # no consent for marketing
    ]
    assert (await results_of(client, campaign))["skipped_by_reason"] == {"no_consent": 1}


async def test_a_first_purchase_campaign_ignores_repeat_purchases(
    client, database, clock, rasa
) -> None:
    await customers(database, clock)  # Léa and Tom bought 40 days ago
    campaign = await create(client, schedule={"after_event": "first_purchase", "after_hours": 0},
                            audience=None, **{"class": "service"})  # fmt: skip
    await client.post(f"/api/v1/campaigns/{campaign['id']}/schedule", headers=admin(client))
    clock.advance(minutes=10)
    await shop_event(database, clock, "purchase", "lea", "CMD-10", clock.now())
    await shop_event(database, clock, "purchase", "ana", "CMD-11", clock.now())
    await nudges(database, clock, rasa).plan_due()
    assert [(c, status) for c, status, _ in await deliveries_of(database, campaign)] == [
        ("ana", "skipped")
    ]
    reasons = (await results_of(client, campaign))["skipped_by_reason"]
    assert reasons == {"no_channel": 1}, "Ana bought in the shop and never chatted"


async def sent_nudges(database: Database, history: dict[str, list[tuple[timedelta, bool]]]) -> None:
    """Marketing nudges sent before START: (how long before, answered) per customer."""
    now = START
    async with database.begin() as conn:
        await conn.execute(t.campaigns.insert().values(
            id="camp-old", name="old", spec={}, status="done", created_by="tests",
            created_at=now, updated_at=now,
        ))  # fmt: skip
        runs = {ago for sends in history.values() for ago, _ in sends}
        await conn.execute(t.campaign_runs.insert(), [
            {"id": f"camp-old:{ago}", "campaign_id": "camp-old", "planned_for": now - ago,
             "created_at": now} for ago in runs
        ])  # fmt: skip
        for customer, sends in history.items():
            for ago, answered in sends:
                run = f"camp-old:{ago}"
                await conn.execute(t.deliveries.insert().values(
                    run_id=run, campaign_id="camp-old", customer_id=customer, sender_id=customer,
                    channel="socketio", language="fr", marketing=True, status="sent",
                    reason="now", send_at=now - ago, sent_at=now - ago, created_at=now - ago,
                    answered_at=now - ago + timedelta(hours=2) if answered else None,
                ))  # fmt: skip


WEEKS = [timedelta(weeks=n) for n in range(1, 6)]


async def test_customers_who_ignore_nudges_in_a_row_are_zapped_and_those_who_answer_are_not(
    client, database, clock, rasa
) -> None:
    await customers(database, clock)
    await sent_nudges(database, {
        # an hour ago: not ignored yet, and the five before went unanswered
        "lea": [(timedelta(hours=1), False)] + [(ago, False) for ago in WEEKS],
        # the third latest was answered: two ignored in a row
        "tom": [(ago, number == 2) for number, ago in enumerate(WEEKS)],
    })  # fmt: skip
    campaign = await create(client)
    audience = await (await client.get(f"/api/v1/campaigns/{campaign['id']}/audience",
                                       headers=admin(client))).json()  # fmt: skip
    assert audience["would"] == {"send": 1, "zapped": 1, "no_consent": 1, "opted_out": 1}
    await client.post(f"/api/v1/campaigns/{campaign['id']}/schedule", headers=admin(client))
    service = nudges(database, clock, rasa)
    await service.plan_due()
    assert (await service.dispatch()).sent == 1
    assert [sender for sender, *_ in rasa.nudges] == ["tom"]
    assert (await results_of(client, campaign))["skipped_by_reason"]["zapped"] == 1


async def test_the_rules_file_sets_how_many_ignored_nudges_zap_a_customer(
    client, database, clock, rasa
) -> None:
    days = [timedelta(days=n) for n in (8, 15, 22, 29)]
    await customers(database, clock)
    await sent_nudges(database, {
        "lea": [(ago, False) for ago in days[:3]],
        # the one sent an hour ago is not ignored yet: two in a row, then an answer
        "tom": [(timedelta(hours=1), False)] + [(ago, n == 2) for n, ago in enumerate(days)],
    })  # fmt: skip
    await RulesBook(database, clock).publish(
        DEFAULT_RULES.read_text() + "\nladder:\n  ignored_nudges_to_zap: 3\n", "tests"
    )
    campaign = await create(client)
    await client.post(f"/api/v1/campaigns/{campaign['id']}/schedule", headers=admin(client))
    await nudges(database, clock, rasa).plan_due()
    statuses = {c: s for c, s, _ in await deliveries_of(database, campaign)}
    assert (statuses["lea"], statuses["tom"]) == ("skipped", "pending")
    assert (await results_of(client, campaign))["skipped_by_reason"]["zapped"] == 1


async def test_a_nudge_goes_out_at_the_hour_the_customer_usually_writes(
    client, database, clock, rasa
) -> None:
    await customers(database, clock)
    rewards = RewardsService(database, clock, RulesBook(database, clock))
    await rewards.record_event(IncomingEvent(
        id="opt_in-nora", type="opt_in", customer_id="nora", occurred_at=START,
        source="conversation", customer_name="Nora", customer_timezone="America/New_York",
    ))  # fmt: skip
    attention = AttentionService(database, clock, rewards)
    day = START - timedelta(days=3)
    await attention.wrote("lea", "lea", day.replace(hour=9))
    for minute in range(6):  # Léa writes around 17:00 UTC (18:00 in Paris)…
        await attention.wrote("lea", "lea", day.replace(hour=17, minute=minute))
    for minute in range(5):  # …Nora around 16:00 UTC, 11:00 in New York
        await attention.wrote("nora", "nora", day.replace(hour=16, minute=minute))
    for minute in range(4):  # four messages are too few to tell Tom's habits
        await attention.wrote("tom", "tom", day.replace(hour=19, minute=minute))
    await ChannelRegistry(database, clock).seen("nora", "nora", "socketio")
    campaign = await create(client, audience=None)
    await client.post(f"/api/v1/campaigns/{campaign['id']}/schedule", headers=admin(client))
    await nudges(database, clock, rasa).plan_due()
    pending = sorted((at, c) for c, status, at in await deliveries_of(database, campaign)
                     if status == "pending")  # fmt: skip
    assert [(c, at) for at, c in pending] == [
        ("tom", START),
        ("nora", START.replace(hour=16)),
        ("lea", START.replace(hour=17)),
    ]


async def test_snapshots_are_read_chunk_by_chunk_and_agree_with_the_fusion_score(
    client, database, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await customers(database, clock)
    added = [("e1", "review_approved", 3, START - timedelta(days=30)),
             ("e2", "complaint", -8, START - timedelta(days=200)),
             ("e3", "referral", 5, START - timedelta(hours=5))]  # fmt: skip
    f = t.fusion_entries.c
    async with database.begin() as conn:
        await conn.execute(t.fusion_entries.insert(), [
            {"customer_id": "tom", "event_id": event_id, "event_type": kind, "rule_id": "tests",
             "delta": delta, "occurred_at": at} for event_id, kind, delta, at in added
        ])  # fmt: skip
        entries = [FusionEntry(*row) for row in await conn.execute(
            sa.select(f.event_id, f.event_type, f.delta, f.occurred_at)
            .where(f.customer_id == "tom")
        )]  # fmt: skip
    monkeypatch.setattr(snapshots_module, "CHUNK", 2)  # four customers: two full chunks
    every = [c.id async for c in snapshots(database, START)]
    assert every == ["lea", "max", "tom", "zoe"]
    some = [c async for c in snapshots(database, START, ["zoe", "tom", "lea", "nobody"])]
    assert [c.id for c in some] == ["lea", "tom", "zoe"]
    tom = some[1]
    assert tom.fusion == fusion_score(entries, START).value != 50.0
    assert (tom.opted_in, tom.channel, tom.first_name, tom.days_since_purchase) == (
        True, "socketio", "Tom", 40,
    )  # fmt: skip
