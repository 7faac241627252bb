"""Which customer a conversation speaks for, and one-time codes to link another channel."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from engagement.identity import (
    LINK_FAILURE_WINDOW,
    LinkCode,
    LinkOutcome,
    LinkResult,
    locked_out,
    new_link_code,
    normalised_code,
)
from engagement.ports import Clock
from engagement.storage import tables as t
from engagement.storage.customers import SqlCustomers
from engagement.storage.database import Database


class IdentityService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def linked_customer(self, sender_id: str) -> str | None:
        """The customer conversation ``sender_id`` was linked to with a code, if any."""
        async with self._db.connect() as conn:
            linked = await conn.scalar(
                sa.select(t.customer_aliases.c.customer_id).where(
                    t.customer_aliases.c.sender_id == sender_id
                )
            )
        return str(linked) if linked else None

    async def new_code(self, customer_id: str) -> LinkCode:
        """A fresh code for ``customer_id``; earlier unused codes of theirs stop working."""
        now = self._clock.now()
        async with self._db.begin() as conn:
            await SqlCustomers(conn).ensure(customer_id, now)
            await conn.execute(
                sa.delete(t.link_codes).where(t.link_codes.c.customer_id == customer_id)
            )
            while True:
                code = new_link_code(now)
                taken = await conn.scalar(
                    sa.select(t.link_codes.c.code).where(t.link_codes.c.code == code.code)
                )
                if not taken:
                    break
            await conn.execute(
                sa.insert(t.link_codes).values(
                    code=code.code,
                    customer_id=customer_id,
                    created_at=now,
                    expires_at=code.expires_at,
                )  # fmt: skip
            )
        return code

    async def link(
        self, sender_id: str, typed: str, channel: str | None, client: str | None = None
    ) -> LinkResult:
        """Links conversation ``sender_id`` to the customer whose code was typed. Wrong codes
        are counted per conversation and, when the channel knows it, per client (a keyed
        hash of its address): a guesser who opens new anonymous conversations is still one
        client."""
        now = self._clock.now()
        keys = [sender_id] + ([f"client:{client}"] if client else [])
        async with self._db.begin() as conn:
            tries = {
                row.sender_id: row
                for row in await conn.execute(
                    sa.select(t.link_attempts).where(t.link_attempts.c.sender_id.in_(keys))
                )
            }
            if any(locked_out(row.failures, row.window_start, now) for row in tries.values()):
                return LinkResult(LinkOutcome.LOCKED)
            code = normalised_code(typed)
            row = None
            if code is not None:
                row = (
                    await conn.execute(sa.select(t.link_codes).where(t.link_codes.c.code == code))
                ).first()
            if row is None or row.used_at is not None:
                for key in keys:
                    await self._count_failure(conn, key, tries.get(key), now)
                return LinkResult(LinkOutcome.UNKNOWN)
            if row.expires_at <= now:
                return LinkResult(LinkOutcome.EXPIRED)
            if row.customer_id == sender_id:
                return LinkResult(LinkOutcome.ALREADY, row.customer_id)
            used = await conn.execute(
                sa.update(t.link_codes)
                .where(t.link_codes.c.code == code, t.link_codes.c.used_at.is_(None))
                .values(used_at=now)
            )
            if used.rowcount != 1:  # another conversation took it meanwhile
                return LinkResult(LinkOutcome.UNKNOWN)
            await conn.execute(
                sa.delete(t.customer_aliases).where(t.customer_aliases.c.sender_id == sender_id)
            )
            await conn.execute(
                sa.insert(t.customer_aliases).values(
                    sender_id=sender_id,
                    customer_id=row.customer_id,
                    channel=channel,
                    linked_at=now,
                )  # fmt: skip
            )
            await conn.execute(
                sa.delete(t.link_attempts).where(t.link_attempts.c.sender_id == sender_id)
            )
        return LinkResult(LinkOutcome.LINKED, row.customer_id)

    async def _count_failure(
        self, conn: AsyncConnection, sender_id: str, attempts: sa.engine.Row | None, now: datetime
    ) -> None:
        if attempts is None:
            await conn.execute(
                sa.insert(t.link_attempts).values(sender_id=sender_id, window_start=now, failures=1)
            )
        elif now - attempts.window_start >= LINK_FAILURE_WINDOW:
            await conn.execute(
                sa.update(t.link_attempts)
                .where(t.link_attempts.c.sender_id == sender_id)
                .values(window_start=now, failures=1)
            )
        else:
            await conn.execute(
                sa.update(t.link_attempts)
                .where(t.link_attempts.c.sender_id == sender_id)
                .values(failures=t.link_attempts.c.failures + 1)
            )
