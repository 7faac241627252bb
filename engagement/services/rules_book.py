"""The reward rules in force: versions in the database, parsed once per version per process.

Publishing validates the whole file first (an invalid file never replaces the rules in
force) and records a new version; every process picks it up at its next event, so a new
version goes live without restarting anything.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from engagement.ports import Clock
from engagement.rules import RuleSet, parse_rules, stamp_version
from engagement.storage.database import Database
from engagement.storage.tables import rules_versions


class NoRulesPublished(LookupError):
    """No version of the reward rules has been published yet."""


class UnknownVersion(LookupError):
    """No such version of the reward rules."""


@dataclass(frozen=True)
class RulesInForce:
    version: int
    rules: RuleSet


class RulesBook:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._cached: RulesInForce | None = None

    async def publish(self, text: str, published_by: str) -> int:
        """The version of ``text`` (new, or the existing one when unchanged but for its
        ``version:`` line), kept with its ``version:`` line set to that number.

        Raises ``RulesFileInvalid`` (and writes nothing) when the file is invalid.
        """
        return await self._publish(text, published_by, restored=None)

    async def _publish(self, text: str, published_by: str, restored: int | None) -> int:
        parse_rules(text)
        v = rules_versions.c
        async with self._db.begin() as conn:
            newest = sa.select(v.version, v.content).order_by(v.version.desc()).limit(1)
            latest = (await conn.execute(newest)).first()
            if latest is not None and (
                stamp_version(text, latest.version) == stamp_version(latest.content, latest.version)
            ):
                return int(latest.version)
            # the number is the row's own key: known once inserted, then written into the text
            inserted = await conn.execute(rules_versions.insert().values(
                checksum="", content=text, published_at=self._clock.now(),
                published_by=published_by, restored_version=restored,
            ))  # fmt: skip
            number = int(inserted.inserted_primary_key[0])
            stamped = stamp_version(text, number)
            await conn.execute(
                rules_versions.update()
                .where(v.version == number)
                .values(content=stamped, checksum=hashlib.sha256(stamped.encode()).hexdigest())
            )
            return number

    async def in_force(self, conn: AsyncConnection) -> RulesInForce:
        latest = await conn.scalar(sa.select(sa.func.max(rules_versions.c.version)))
        if latest is None:
            raise NoRulesPublished("no reward rules have been published")
        if self._cached is None or self._cached.version != latest:
            content = await conn.scalar(
                sa.select(rules_versions.c.content).where(rules_versions.c.version == latest)
            )
            self._cached = RulesInForce(int(latest), parse_rules(content))
        return self._cached

    async def versions(self) -> list[dict[str, object]]:
        """Every published version, newest first (without the content); ``restored``, the
        version a rollback published again (None for a publish)."""
        v = rules_versions.c
        async with self._db.connect() as conn:
            rows = await conn.execute(
                sa.select(
                    v.version, v.checksum, v.published_at, v.published_by, v.restored_version
                ).order_by(v.version.desc())
            )
            return [
                {"version": r.version, "checksum": r.checksum,
                 "published_at": r.published_at.isoformat(), "published_by": r.published_by,
                 "restored": r.restored_version}
                for r in rows
            ]  # fmt: skip

    async def version(self, number: int) -> dict[str, object]:
        """One published version, with its content."""
        v = rules_versions.c
        async with self._db.connect() as conn:
            row = (await conn.execute(sa.select(rules_versions).where(v.version == number))).first()
        if row is None:
            raise UnknownVersion(f"no rules version {number}")
        return {
            "version": row.version, "checksum": row.checksum, "content": row.content,
            "published_at": row.published_at.isoformat(), "published_by": row.published_by,
            "restored": row.restored_version,
        }  # fmt: skip

    async def roll_back(self, number: int, by: str) -> int:
        """Makes an earlier version's content the rules in force again, as a new version
        that names it (history only grows: what was in force when stays answerable)."""
        content = (await self.version(number))["content"]
        return await self._publish(str(content), by, restored=number)

    async def badge_names(self) -> dict[str, dict[str, str]]:
        """Each badge of the rules in force by its name in French and in English (the
        console shows a badge by its name in the staff member's language); none before a
        first publish."""
        async with self._db.connect() as conn:
            try:
                rules = (await self.in_force(conn)).rules
            except NoRulesPublished:
                return {}
        return {badge.id: {"fr": badge.fr, "en": badge.en} for badge in rules.badges.values()}

    async def has_rules(self) -> bool:
        async with self._db.connect() as conn:
            return (await conn.scalar(sa.select(sa.func.count()).select_from(rules_versions))) > 0
