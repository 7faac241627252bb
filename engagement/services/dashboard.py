"""What the console's dashboard draws: the ladder now and week by week, the brand fusion
score over time, rewards issued and their cost, how each campaign performs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from engagement.dry_run import POINT_VALUE
from engagement.fusion import FusionEntry
from engagement.ports import Clock
from engagement.services.brand import BrandView
from engagement.services.campaign_results import CampaignResults
from engagement.storage import tables as t
from engagement.storage.database import Database
from engagement.trends import (
    ACTIVE_DAYS,
    StageMove,
    funnel_by_week,
    fusion_by_week,
    rewards_by_week,
    week_starts,
)

MAX_WEEKS = 52


class Dashboard:
    def __init__(
        self, db: Database, clock: Clock, brand: BrandView, results: CampaignResults
    ) -> None:
        self._db = db
        self._clock = clock
        self._brand = brand
        self._results = results

    async def overview(self, weeks: int = 12) -> dict[str, Any]:
        weeks = max(1, min(weeks, MAX_WEEKS))
        now = self._clock.now()
        starts = week_starts(now, weeks)
        ends = [*starts[1:], now]  # the current week stands as it is now
        first = starts[0]
        c, sc, f, e = t.customers.c, t.stage_changes.c, t.fusion_entries.c, t.events.c
        lg, cp = t.ledger_entries.c, t.coupons.c
        async with self._db.connect() as conn:
            # on the ladder from their first event (the shop may send its history late)
            first_event = (
                sa.select(e.customer_id, sa.func.min(e.occurred_at).label("at"))
                .group_by(e.customer_id).subquery()
            )  # fmt: skip
            joined = [
                (r.id, min(r.created_at, r.first or r.created_at))
                for r in await conn.execute(
                    sa.select(c.id, c.created_at, first_event.c.at.label("first"))
                    .outerjoin(first_event, first_event.c.customer_id == c.id)
                )
                if min(r.created_at, r.first or r.created_at) < now
            ]  # fmt: skip
            moves = [
                StageMove(r.customer_id, r.to_stage, r.changed_at)
                for r in await conn.execute(sa.select(
                    sc.customer_id, sc.to_stage, sc.changed_at
                ).where(sc.changed_at < now))
            ]  # fmt: skip
            entries = [
                (r.customer_id, FusionEntry(r.event_id, r.event_type, r.delta, r.occurred_at))
                for r in await conn.execute(sa.select(
                    f.customer_id, f.event_id, f.event_type, f.delta, f.occurred_at
                ).where(f.occurred_at < now))
            ]  # fmt: skip
            activity = [(r.customer_id, r.last) for r in await conn.execute(
                sa.select(e.customer_id, sa.func.max(e.occurred_at).label("last"))
                .where(e.occurred_at >= first - timedelta(days=ACTIVE_DAYS), e.occurred_at < now)
                .group_by(e.customer_id, sa.func.date(e.occurred_at))
            )]  # fmt: skip
            points = [(r.created_at, r.points) for r in await conn.execute(
                sa.select(lg.created_at, lg.points)
                .where(lg.created_at >= first, lg.kind.in_(("award", "reversal")))
            )]  # fmt: skip
            coupons = [(r.created_at, _estimate(r.kind, r.value, r.min_basket)) for r in
                       await conn.execute(sa.select(cp.created_at, cp.kind, cp.value, cp.min_basket)
                                          .where(cp.created_at >= first))]  # fmt: skip
            campaigns = list(await conn.execute(
                sa.select(t.campaigns.c.id, t.campaigns.c.name, t.campaigns.c.status)
                .where(t.campaigns.c.status != "archived").order_by(t.campaigns.c.created_at)
            ))  # fmt: skip
        labels = [start.date().isoformat() for start in starts]
        overview = await self._brand.overview()
        return {
            **overview,
            "weeks": labels,
            "funnel_weeks": [
                {"week": label, "stages": stages}
                for label, stages in zip(labels, funnel_by_week(joined, moves, ends), strict=True)
            ],
            "fusion_weeks": [
                {"week": label, "score": score}
                for label, score in zip(
                    labels, fusion_by_week(entries, activity, ends), strict=True
                )
            ],
            "rewards_weeks": [
                {"week": label, "points": week.points, "coupons": week.coupons,
                 "cost": f"{week.cost:.2f}"}
                for label, week in zip(
                    labels, rewards_by_week(points, coupons, starts, POINT_VALUE), strict=True
                )
            ],  # fmt: skip
            "campaigns": [await self._campaign(row) for row in campaigns],
        }

    async def _campaign(self, row: Any) -> dict[str, Any]:
        results = await self._results.results(row.id)
        conversion = results["conversion"]
        return {
            "id": row.id, "name": row.name, "status": row.status,
            "sent": results["by_status"].get("sent", 0),
            "skipped": results["by_status"].get("skipped", 0),
            "answered": results["answered"],
            "conversion": conversion["sent"]["rate"],
            "holdout_conversion": conversion["held_out"]["rate"],
            "uplift": conversion["uplift"], "opt_out_rate": conversion["opt_out_rate"],
        }  # fmt: skip


def _estimate(kind: str, value: Decimal, min_basket: Decimal) -> Decimal:
    """A coupon's cost to the brand: its amount, or its percentage of the smallest basket."""
    return Decimal(value) if kind == "amount" else Decimal(min_basket) * Decimal(value) / 100
