"""A process that records every event of a JSON-lines file (for the concurrency test)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from engagement.ports import SystemClock
from engagement.services.rewards import RewardsService
from engagement.services.rules_book import RulesBook
from engagement.storage.database import Database
from tests.integration.rewards_fixtures import read_incoming


async def replay(url: str, events: Path) -> None:
    database = Database.from_url(url)
    clock = SystemClock()
    service = RewardsService(database, clock, RulesBook(database, clock))
    try:
        for event in read_incoming(events):
            await service.record_event(event)
    finally:
        await database.dispose()


if __name__ == "__main__":
    asyncio.run(replay(sys.argv[1], Path(sys.argv[2])))
