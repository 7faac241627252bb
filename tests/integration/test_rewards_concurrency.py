"""Correctness under concurrency lives in the database: exactly once, never overspent."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import sqlalchemy as sa

from bot.composition import PROJECT_DIR
from engagement.services.rewards import RewardsService
from engagement.services.rules_book import RulesBook
from engagement.settings import Settings
from engagement.storage import tables as t
from engagement.storage.database import Database
from engagement.storage.migrate import upgrade
from tests.fakes import FixedClock
from tests.integration.rewards_fixtures import (
    RULES,
    generated_events,
    incoming,
    write_events,
)


async def ledger_and_decisions(url: str) -> tuple[set, set]:
    database = Database.from_url(url)
    try:
        async with database.connect() as conn:
            le, d = t.ledger_entries.c, t.decisions.c
            ledger = set(
                (await conn.execute(sa.select(le.event_id, le.rule_id, le.kind, le.points))).all()
            )
            decisions = set((await conn.execute(sa.select(d.event_id, d.rule_id, d.outcome))).all())
    finally:
        await database.dispose()
    return ledger, decisions


async def fresh_database(tmp_path: Path, name: str) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / name}"
    await asyncio.get_running_loop().run_in_executor(None, upgrade, url)
    database = Database.from_url(url)
    await RulesBook(database, FixedClock()).publish(RULES, "tests")
    await database.dispose()
    return url


async def test_eight_processes_replaying_the_same_events_pay_each_award_once(
    tmp_path: Path,
) -> None:
    events = generated_events(500, customers=20)
    reference_url = await fresh_database(tmp_path, "reference.db")
    database = Database.from_url(reference_url)
    clock = FixedClock()
    service = RewardsService(database, clock, RulesBook(database, clock))
    for event in events:
        await service.record_event(incoming(event))
    await database.dispose()

    shared_url = await fresh_database(tmp_path, "shared.db")
    events_file = write_events(tmp_path / "events.jsonl", events)
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.integration.replay_worker",
            shared_url,
            str(events_file),
            cwd=PROJECT_DIR,
        )  # fmt: skip
        for _ in range(8)
    ]
    assert await asyncio.gather(*(w.wait() for w in workers)) == [0] * 8

    reference = await ledger_and_decisions(reference_url)
    shared = await ledger_and_decisions(shared_url)
    assert shared == reference
    assert len(reference[0]) > 250  # the scenario does pay a lot


async def test_a_budget_for_ten_awards_pays_exactly_ten_under_32_concurrent_claims(
    settings: Settings, database: Database
) -> None:
    clock = FixedClock()
    rules = RulesBook(database, clock)
    await rules.publish(RULES, "tests")
    service = RewardsService(database, clock, rules)
    cancellations = [
        incoming({**e, "type": "cancellation", "customer_id": f"c-{i}"})
        for i, e in enumerate(generated_events(32, customers=32))
    ]
    recorded = await asyncio.gather(*(service.record_event(e) for e in cancellations))
    outcomes = [a.outcome for r in recorded for a in r.awards]
    assert outcomes.count("awarded") == 10
    assert outcomes.count("over_budget") == 22


async def test_a_points_budget_is_spent_to_the_last_award_despite_its_shards(
    settings: Settings, database: Database
) -> None:
    # 500 points in 8 shards of 62-63 cannot pay a 10-point award from one shard at the
    # very end: pooling the remainders must still pay exactly 50 awards of 10
    clock = FixedClock()
    rules = RulesBook(database, clock)
    await rules.publish(RULES, "tests")
    service = RewardsService(database, clock, rules)
    reviews = [
        incoming({**e, "type": "review", "customer_id": f"c-{i}"})
        for i, e in enumerate(generated_events(64, customers=64))
    ]
    recorded = await asyncio.gather(*(service.record_event(e) for e in reviews))
    outcomes = [a.outcome for r in recorded for a in r.awards]
    assert outcomes.count("awarded") == 50
