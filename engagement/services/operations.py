"""What an operator watches, read from the database: the same figures whichever instance
is asked (awards and coupons brand-wide, deliveries by status, the nudge queue)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from engagement.ports import Clock
from engagement.storage import tables as t
from engagement.storage.database import Database


@dataclass(frozen=True)
class OperatingFigures:
    ledger_entries: dict[str, int]  # by kind: award, reversal, expiry…
    points: dict[str, int]  # points moved, by kind
    coupons_issued: int
    coupons_redeemed: int
    deliveries: dict[str, int]  # by status
    queue_due: int  # pending deliveries whose time has come
    queue_leased: int  # of those, held by a dispatcher right now


class Operations:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def figures(self) -> OperatingFigures:
        now = self._clock.now()
        le, co, d = t.ledger_entries.c, t.coupons.c, t.deliveries.c
        due = (d.status == "pending") & ((d.send_at.is_(None)) | (d.send_at <= now))
        async with self._db.connect() as conn:
            ledger = (
                await conn.execute(
                    sa.select(le.kind, sa.func.count(), sa.func.coalesce(sa.func.sum(le.points), 0))
                    .group_by(le.kind)
                )
            ).all()
            issued, redeemed = (
                await conn.execute(sa.select(sa.func.count(), sa.func.count(co.redeemed_at)))
            ).one()
            deliveries = dict(
                (await conn.execute(sa.select(d.status, sa.func.count()).group_by(d.status))).all()
            )
            queue_due, queue_leased = (
                await conn.execute(
                    sa.select(
                        sa.func.count(),
                        sa.func.count(sa.case((d.lease_until > now, 1))),
                    ).where(due)
                )
            ).one()
        return OperatingFigures(
            ledger_entries={kind: int(count) for kind, count, _ in ledger},
            points={kind: int(points) for kind, _, points in ledger},
            coupons_issued=int(issued),
            coupons_redeemed=int(redeemed),
            deliveries={status: int(count) for status, count in deliveries.items()},
            queue_due=int(queue_due),
            queue_leased=int(queue_leased),
        )
