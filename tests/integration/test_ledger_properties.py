"""Ledger properties over generated event sequences, on a real SQLite database."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engagement.services.rewards import RewardsService
from engagement.services.rules_book import RulesBook
from engagement.storage import tables as t
from engagement.storage.database import Database
from engagement.storage.migrate import upgrade
from tests.fakes import FixedClock
from tests.integration.rewards_fixtures import RULES, incoming

KINDS = ("purchase", "review", "cancellation", "delivery", "refund")
steps = st.lists(
    st.tuples(st.sampled_from(KINDS), st.integers(0, 3), st.floats(5, 250)), min_size=1,
    max_size=25,
)  # fmt: skip


class World:
    """One migrated database for the whole module; each example uses fresh ids."""

    def __init__(self, tmp: Path) -> None:
        self.url = f"sqlite+aiosqlite:///{tmp / 'props.db'}"
        upgrade(self.url)
        self.runs = itertools.count()

    async def service(self) -> tuple[Database, RewardsService]:
        database = Database.from_url(self.url)
        clock = FixedClock()
        book = RulesBook(database, clock)
        await book.publish(RULES, "tests")
        return database, RewardsService(database, clock, book)


def events_of(run: int, sequence: list[tuple[str, int, float]]) -> list:
    return [
        incoming(
            {
                "id": f"r{run}-e{i}",
                "type": kind,
                "customer_id": f"r{run}-c",
                "occurred_at": f"2026-11-{1 + i % 28:02d}T10:00:00+00:00",
                "order_id": f"r{run}-o{order}",
                "total": round(total, 2),
            }
        )  # fmt: skip
        for i, (kind, order, total) in enumerate(sequence)
    ]


async def ledger_sum(database: Database, customer: str) -> int:
    async with database.connect() as conn:
        total = await conn.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(t.ledger_entries.c.points), 0)).where(
                t.ledger_entries.c.customer_id == customer
            )
        )
    return int(total)


def test_balance_is_the_ledger_sum_and_replays_change_nothing(tmp_path_factory) -> None:
    world = World(tmp_path_factory.mktemp("ledger"))

    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    @given(sequence=steps, replay_order=st.randoms())
    def check(sequence, replay_order) -> None:
        async def scenario() -> None:
            run = next(world.runs)
            database, service = await world.service()
            events = events_of(run, sequence)
            balances = [(await service.record_event(e)).balance for e in events]
            customer = f"r{run}-c"
            assert balances[-1] == await ledger_sum(database, customer)
            replayed = list(events)
            replay_order.shuffle(replayed)
            for event in replayed:
                outcome = await service.record_event(event)
                assert outcome.replay and outcome.balance == balances[-1]
            await database.dispose()

        asyncio.run(scenario())

    check()


def test_a_refund_restores_the_balance_before_its_purchase(tmp_path_factory) -> None:
    world = World(tmp_path_factory.mktemp("refund"))

    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
    @given(before=steps, total=st.floats(5, 250))
    def check(before, total) -> None:
        async def scenario() -> None:
            run = next(world.runs)
            database, service = await world.service()
            history = [step for step in before if step[0] != "refund" and step[1] != 9]
            events = events_of(run, [*history, ("purchase", 9, total), ("refund", 9, total)])
            balances = [(await service.record_event(e)).balance for e in events]
            previous = balances[-3] if len(balances) > 2 else 0
            assert balances[-1] == previous
            await database.dispose()

        asyncio.run(scenario())

    check()
