"""The brand as a whole (README: rules): the ladder as a funnel, zapped customers, and the
brand-level fusion score (the mean over customers active in the last 90 days)."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from engagement.fusion import FusionEntry, brand_score, fusion_score
from engagement.ladder import STAGES
from engagement.ports import Clock
from engagement.storage import tables as t
from engagement.storage.database import Database

ACTIVE_DAYS = 90


class BrandView:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def overview(self) -> dict[str, Any]:
        now = self._clock.now()
        since = now - timedelta(days=ACTIVE_DAYS)
        c, e, f = t.customers.c, t.events.c, t.fusion_entries.c
        async with self._db.connect() as conn:
            per_stage = dict(
                (await conn.execute(sa.select(c.stage, sa.func.count()).group_by(c.stage))).all()
            )
            consent = await conn.execute(
                sa.select(e.customer_id, e.type)
                .where(e.type.in_(("opt_in", "opt_out")))
                .order_by(e.occurred_at, e.received_at, sa.case((e.type == "opt_out", 1), else_=0))
            )
            latest = {row.customer_id: row.type for row in consent}
            active = sa.select(e.customer_id).where(e.occurred_at >= since).distinct()
            rows = await conn.execute(
                sa.select(f.customer_id, f.event_id, f.event_type, f.delta, f.occurred_at).where(
                    f.customer_id.in_(active)
                )
            )
            entries: defaultdict[str, list[FusionEntry]] = defaultdict(list)
            for row in rows:
                entries[row.customer_id].append(
                    FusionEntry(row.event_id, row.event_type, row.delta, row.occurred_at)
                )
            active_count = len((await conn.execute(active)).all())
        scores = [fusion_score(found, now).value for found in entries.values()]
        # active customers whose score nothing moved stand at the neutral value
        scores += [fusion_score([], now).value] * (active_count - len(entries))
        return {
            "funnel": [{"stage": stage, "customers": per_stage.get(stage, 0)} for stage in STAGES],
            "zapped": sum(1 for kind in latest.values() if kind == "opt_out"),
            "fusion_score": brand_score(scores),
            "active_customers": active_count,
            "computed_at": now.isoformat(),
        }
