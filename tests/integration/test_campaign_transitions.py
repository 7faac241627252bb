"""A campaign's status changes with one conditional UPDATE: of two changes at once, made by
two engagement services on one database (SQLite and PostgreSQL), exactly one wins."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.composition import DEFAULT_RULES
from engagement.nudges.planning import Guards
from engagement.services.campaigns import CampaignService, CampaignStateError
from engagement.services.rules_book import RulesBook
from engagement.storage.database import Database
from tests.fakes import FixedClock
from tests.integration.test_campaigns import CAMPAIGN, START


class Gate:
    """Opens once ``parties`` callers wait at it (or after a second, for a caller that
    never comes): both racers have read the campaign before either writes."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.opened = asyncio.Event()

    async def wait(self) -> None:
        self.parties -= 1
        if self.parties <= 0:
            self.opened.set()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.opened.wait(), 1)


@dataclass
class GatedDatabase(Database):
    """A database whose first transaction waits at ``gate``: reads run, writes wait."""

    gate: Gate = field(default_factory=lambda: Gate(1))

    def begin(self) -> Any:
        return self._gated()

    @asynccontextmanager
    async def _gated(self) -> AsyncIterator[Any]:
        await self.gate.wait()
        async with Database.begin(self) as conn:
            yield conn


RACES = [
    ("scheduled", "pause", "archive"),
    ("scheduled", "archive", "pause"),
    ("paused", "resume", "resume"),
    ("paused", "resume", "archive"),
    ("draft", "schedule", "archive"),
]


@pytest.mark.parametrize(("start", "first", "second"), RACES)
async def test_of_two_transitions_at_once_exactly_one_wins(
    migrated_url: str, database: Database, start: str, first: str, second: str
) -> None:
    clock = FixedClock(START)
    rules = RulesBook(database, clock)
    await rules.publish(DEFAULT_RULES.read_text(), "tests")
    setup = CampaignService(database, clock, rules, Guards())
    campaign = await setup.create(CAMPAIGN, "tests")
    for action in {"scheduled": ["schedule"], "paused": ["schedule", "pause"]}.get(start, []):
        clock.advance(seconds=1)
        await setup.change(campaign["id"], action)
    clock.advance(seconds=1)
    gate = Gate(2)
    engines = [GatedDatabase(Database.from_url(migrated_url).engine, gate=gate) for _ in "ab"]
    try:
        services = [CampaignService(db, clock, RulesBook(db, clock), Guards()) for db in engines]
        outcomes = await asyncio.gather(
            services[0].change(campaign["id"], first),
            services[1].change(campaign["id"], second),
            return_exceptions=True,
        )
    finally:
        for engine in engines:
            await engine.dispose()
    won = [o for o in outcomes if isinstance(o, dict)]
    lost = [o for o in outcomes if isinstance(o, CampaignStateError)]
    assert (len(won), len(lost)) == (1, 1), outcomes
    final = await setup.get(campaign["id"])
    assert final["status"] == won[0]["status"]
