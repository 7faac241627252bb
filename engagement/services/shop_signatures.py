"""The shop's signatures already accepted, in the database: every engagement service refuses
a request whose signature one of them has seen, so a captured request cannot be sent again."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from engagement.ports import Clock
from engagement.shop_signature import TOLERANCE_S, InvalidSignature, ShopSignature
from engagement.storage.database import Database
from engagement.storage.rewards import insert_ignoring_duplicates
from engagement.storage.tables import shop_signatures

# Kept a little past the window, for services whose clocks differ by less than this.
CLOCK_SKEW = timedelta(seconds=60)
PRUNE_EVERY = timedelta(seconds=60)


class SeenSignatures:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._pruned_at: datetime | None = None

    async def claim(self, signature: ShopSignature) -> None:
        """Records the signature as used; ``InvalidSignature`` when it already was. It is
        kept until its ``t`` is out of the tolerance window, where the time check refuses
        it anyway, then pruned (at most once a minute per process)."""
        now = self._clock.now()
        expires_at = datetime.fromtimestamp(signature.timestamp + TOLERANCE_S, timezone.utc)
        prune = self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY
        if prune:
            self._pruned_at = now

        async def work(conn):  # type: ignore[no-untyped-def]
            inserted = await conn.execute(
                insert_ignoring_duplicates(conn, shop_signatures, ["v1"]).values(
                    v1=signature.v1, expires_at=expires_at + CLOCK_SKEW
                )
            )
            if prune:
                await conn.execute(
                    sa.delete(shop_signatures).where(shop_signatures.c.expires_at < now)
                )
            return inserted.rowcount == 1

        if not await self._db.transaction(work):
            raise InvalidSignature(
                "this Fusion-Signature was already used: a request is accepted once, sign "
                "each request anew (a retry too, with its own t)"
            )
