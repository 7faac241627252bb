"""Which customer a conversation speaks for, and one-time codes to link another channel."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from engagement.identity import (
    LINK_FAILURE_WINDOW,
    MAX_LINK_FAILURES,
    LinkCode,
    LinkOutcome,
    LinkResult,
    new_link_code,
    normalised_code,
)
from engagement.ports import Clock
from engagement.storage import tables as t
from engagement.storage.customers import SqlCustomers
from engagement.storage.database import Database
from engagement.storage.rewards import insert_ignoring_duplicates


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
        client. Each attempt takes its try first, with a conditional update, so attempts at
        once cannot all slip under the limit; a wrong code keeps it, anything else gives
        it back."""
        now = self._clock.now()
        keys = [sender_id] + ([f"client:{client}"] if client else [])
        try:
            async with self._db.begin() as conn:
                for key in keys:
                    if not await self._take_try(conn, key, now):
                        raise _LockedOut  # rolls back the tries taken: it counts nothing
                result = await self._use_code(conn, sender_id, typed, channel, now)
                if result.outcome is not LinkOutcome.UNKNOWN:
                    await self._give_back(conn, keys, result.outcome is LinkOutcome.LINKED)
        except _LockedOut:
            return LinkResult(LinkOutcome.LOCKED)
        return result

    async def _use_code(
        self, conn: AsyncConnection, sender_id: str, typed: str, channel: str | None,
        now: datetime,
    ) -> LinkResult:  # fmt: skip
        code = normalised_code(typed)
        row = None
        if code is not None:
            row = (
                await conn.execute(sa.select(t.link_codes).where(t.link_codes.c.code == code))
            ).first()
        if row is None or row.used_at is not None:
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
        return LinkResult(LinkOutcome.LINKED, row.customer_id)

    async def _take_try(self, conn: AsyncConnection, key: str, now: datetime) -> bool:
        """One more try for ``key`` in its window (a new window once the last one is over);
        False when its tries are spent."""
        a = t.link_attempts.c
        await conn.execute(
            insert_ignoring_duplicates(conn, t.link_attempts, ["sender_id"]).values(
                sender_id=key, window_start=now, failures=0
            )
        )
        over = a.window_start <= now - LINK_FAILURE_WINDOW
        taken = await conn.execute(
            sa.update(t.link_attempts)
            .where(a.sender_id == key, over | (a.failures < MAX_LINK_FAILURES))
            .values(
                failures=sa.case((over, 1), else_=a.failures + 1),
                window_start=sa.case((over, now), else_=a.window_start),
            )
        )
        return bool(taken.rowcount == 1)

    async def _give_back(self, conn: AsyncConnection, keys: list[str], linked: bool) -> None:
        """The tries an attempt took that was not a wrong code (a key left with none is
        forgotten); a linked conversation starts afresh."""
        a = t.link_attempts.c
        if linked:
            await conn.execute(sa.delete(t.link_attempts).where(a.sender_id == keys[0]))
            keys = keys[1:]
        mine = a.sender_id.in_(keys)
        await conn.execute(sa.update(t.link_attempts).where(mine).values(failures=a.failures - 1))
        await conn.execute(sa.delete(t.link_attempts).where(mine, a.failures <= 0))


class _LockedOut(Exception):
    """An attempt whose conversation or client has spent its tries."""
