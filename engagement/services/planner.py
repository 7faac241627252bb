"""Planning the campaign runs that are due: one delivery row per matching customer,
whatever its fate (pending with a time to send, held out, or skipped with the reason)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from engagement.nudges.audience import CustomerSnapshot, matches
from engagement.nudges.campaigns import CampaignSpec, next_run, parse_campaign
from engagement.nudges.planning import HOLD_OUT, SKIP, Guards, plan_customer
from engagement.ports import Clock
from engagement.services.campaigns import DONE, SCHEDULED
from engagement.services.rules_book import RulesBook
from engagement.services.snapshots import snapshots
from engagement.storage import tables as t
from engagement.storage.database import Database
from engagement.storage.rewards import insert_ignoring_duplicates

PLAN_BATCH = 500


@dataclass(frozen=True)
class Planned:
    runs: int
    deliveries: int

    def __str__(self) -> str:
        return f"{self.runs} campaign runs planned, {self.deliveries} deliveries"


class CampaignPlanner:
    def __init__(self, db: Database, clock: Clock, rules: RulesBook, guards: Guards) -> None:
        self._db = db
        self._clock = clock
        self._rules = rules
        self._guards = guards

    async def plan_due(self) -> Planned:
        now = self._clock.now()
        async with self._db.connect() as conn:
            due = list(await conn.execute(
                sa.select(t.campaigns).where(
                    (t.campaigns.c.status == SCHEDULED) & (t.campaigns.c.next_run_at <= now)
                )
            ))  # fmt: skip
        runs = deliveries = 0
        for campaign in due:
            created = await self._plan_run(campaign, now)
            runs += created is not None
            deliveries += created or 0
        return Planned(runs, deliveries)

    async def _plan_run(self, campaign: Any, now: datetime) -> int | None:
        async with self._db.connect() as conn:
            coupons = tuple((await self._rules.in_force(conn)).rules.coupons)
        spec = parse_campaign(campaign.spec, coupons)
        run_id = f"{campaign.id}:{campaign.next_run_at.isoformat()}"
        async with self._db.begin() as conn:
            exists = await conn.scalar(sa.select(t.campaign_runs.c.id).where(
                t.campaign_runs.c.id == run_id
            ))  # fmt: skip
            if exists is None:
                await conn.execute(sa.insert(t.campaign_runs).values(
                    id=run_id, campaign_id=campaign.id, planned_for=campaign.next_run_at,
                    created_at=now,
                ))  # fmt: skip
        planned = 0
        batch: list[CustomerSnapshot] = []
        async for customer in snapshots(self._db, now):
            if matches(spec.audience, customer):
                batch.append(customer)
            if len(batch) >= PLAN_BATCH:
                planned += await self._plan_batch(batch, campaign.id, run_id, spec, now)
                batch = []
        planned += await self._plan_batch(batch, campaign.id, run_id, spec, now)
        following = next_run(spec.schedule, campaign.next_run_at, self._guards.brand_timezone)
        async with self._db.begin() as conn:
            await conn.execute(
                sa.update(t.campaigns).where(t.campaigns.c.id == campaign.id)
                .values(next_run_at=following, status=SCHEDULED if following else DONE,
                        updated_at=now)
            )  # fmt: skip
            await conn.execute(
                sa.update(t.campaign_runs).where(t.campaign_runs.c.id == run_id)
                .values(customers=t.campaign_runs.c.customers + planned)
            )  # fmt: skip
        return planned

    async def _plan_batch(
        self, batch: list[CustomerSnapshot], campaign_id: str, run_id: str, spec: CampaignSpec,
        now: datetime,
    ) -> int:  # fmt: skip
        """One verdict per customer, their recent marketing sends counted in one query."""
        if not batch:
            return 0
        recent = await self._marketing_sent_since([c.id for c in batch], now)
        rows = []
        for customer in batch:
            verdict = plan_customer(
                campaign_id=campaign_id, marketing=spec.marketing,
                holdout_percent=spec.holdout_percent, customer=customer,
                marketing_sent_recently=recent.get(customer.id, 0), now=now, guards=self._guards,
            )  # fmt: skip
            sender = customer.extra.get("sender_id")
            status, reason = "pending", verdict.reason
            if verdict.outcome == SKIP:
                status = "skipped"
            elif verdict.outcome == HOLD_OUT:
                status = "held_out"
            elif sender is None or customer.channel is None:
                status, reason = "skipped", "no_channel"
            rows.append({
                "run_id": run_id, "campaign_id": campaign_id, "customer_id": customer.id,
                "sender_id": sender, "channel": customer.channel, "language": customer.language,
                "marketing": spec.marketing, "status": status, "reason": reason,
                "send_at": verdict.send_at, "created_at": now,
            })  # fmt: skip
        return await self._insert_deliveries(rows)

    async def _insert_deliveries(self, rows: list[dict[str, Any]]) -> int:
        if not rows:
            return 0
        async with self._db.begin() as conn:
            result = await conn.execute(
                insert_ignoring_duplicates(conn, t.deliveries, ["run_id", "customer_id"]), rows
            )
        return int(result.rowcount or 0)

    async def _marketing_sent_since(self, ids: list[str], now: datetime) -> dict[str, int]:
        """Marketing nudges sent to each of ``ids`` within the cap's window, all campaigns."""
        since = now - timedelta(days=self._guards.cap_days)
        d = t.deliveries
        async with self._db.connect() as conn:
            rows = await conn.execute(
                sa.select(d.c.customer_id, sa.func.count())
                .where(d.c.customer_id.in_(ids), d.c.marketing, d.c.status == "sent",
                       d.c.sent_at >= since)
                .group_by(d.c.customer_id)
            )  # fmt: skip
            return {customer_id: int(count) for customer_id, count in rows}
