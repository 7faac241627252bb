"""Rollbacks in the rules' history, on SQLite and PostgreSQL: a rollback made before the
history kept them (migration 0011) is read back from the audit log, and only where the audit
log says the version was made by that rollback."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from alembic import command

from bot.composition import DEFAULT_RULES
from engagement.services.rules_book import RulesBook
from engagement.settings import Settings
from engagement.storage import tables as t
from engagement.storage.database import Database
from engagement.storage.migrate import alembic_config, upgrade
from tests.fakes import FixedClock

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


async def test_the_migration_marks_past_rollbacks_from_the_audit_log(settings: Settings) -> None:
    url = settings.database_url
    await asyncio.to_thread(upgrade, url)  # PostgreSQL's test databases start at the head
    await asyncio.to_thread(command.downgrade, alembic_config(url), "0010")
    made = [  # version, by, what the audit log says made it (the action, the version restored)
        (1, "default catalogue", None),
        (2, "community_manager", ("rules.publish", None)),
        (3, "community_manager", ("rules.rollback", 1)),
        (4, "command line", None),  # published again by hand, as version 2 was
        (5, "lea", ("rules.rollback", 2)),
    ]
    audited = [*[(f"version {n}", by, made) for n, by, made in made if made],
               ("version 4", "lea", ("rules.rollback", 2)),  # answered 4: nothing new made
               ("version 3", "lea", ("rules.rollback", 1))]  # fmt: skip
    database = Database.from_url(url)
    try:
        async with database.begin() as conn:
            for number, by, _ in made:
                await conn.execute(t.rules_versions.insert().values(
                    version=number, checksum=f"{number:064}", content=DEFAULT_RULES.read_text(),
                    published_at=NOW + timedelta(hours=number), published_by=by,
                ))  # fmt: skip
            for index, (target, actor, (action, restored)) in enumerate(audited):
                await conn.execute(t.audit_log.insert().values(
                    at=NOW + timedelta(hours=index), actor=actor, action=action, target=target,
                    detail={} if restored is None else {"restored": restored},
                ))  # fmt: skip
        await asyncio.to_thread(upgrade, url)
        history = await RulesBook(database, FixedClock(NOW)).versions()
    finally:
        await database.dispose()
    assert [(v["version"], v["restored"]) for v in history] == [
        (5, 2), (4, None), (3, 1), (2, None), (1, None)
    ]
