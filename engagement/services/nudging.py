"""The scheduler's two nudge jobs: plan the runs that are due (one delivery row per
customer, whatever its fate) and dispatch the deliveries whose time has come, claimed with
a lease so that a crash or a second engagement service sends nothing twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from engagement.nudges.audience import CustomerSnapshot, matches
from engagement.nudges.campaigns import CampaignSpec, next_run, parse_campaign
from engagement.nudges.planning import HOLD_OUT, SKIP, Guards, plan_customer
from engagement.nudges.templates import MissingData, new_environment, render
from engagement.ports import Clock, Conversations, ConversationsUnavailable
from engagement.rewards import new_coupon_code
from engagement.services.campaigns import DONE, SCHEDULED, template_values
from engagement.services.rules_book import RulesBook
from engagement.services.snapshots import snapshots
from engagement.storage import tables as t
from engagement.storage.database import Database
from engagement.storage.rewards import SqlRewards, insert_ignoring_duplicates

LEASE = timedelta(seconds=60)
BUSY_RETRY = timedelta(minutes=5)
MAX_ATTEMPTS = 6
BATCH = 50
PLAN_BATCH = 500


@dataclass(frozen=True)
class Planned:
    runs: int
    deliveries: int

    def __str__(self) -> str:
        return f"{self.runs} campaign runs planned, {self.deliveries} deliveries"


@dataclass(frozen=True)
class Dispatched:
    sent: int
    deferred: int
    failed: int

    def __str__(self) -> str:
        return f"{self.sent} nudges sent, {self.deferred} deferred, {self.failed} failed"


class NudgeService:
    def __init__(
        self, db: Database, clock: Clock, rules: RulesBook, guards: Guards,
        conversations: Conversations, busy_retry: timedelta = BUSY_RETRY,
    ) -> None:  # fmt: skip
        self._db = db
        self._clock = clock
        self._rules = rules
        self._guards = guards
        self._conversations = conversations
        self._busy_retry = max(busy_retry, timedelta(seconds=1))

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

    async def dispatch(self) -> Dispatched:
        sent = deferred = failed = 0
        for delivery in await self._claim():
            outcome = await self._deliver(delivery)
            sent += outcome == "sent"
            deferred += outcome == "deferred"
            failed += outcome == "failed"
        return Dispatched(sent, deferred, failed)

    async def _claim(self) -> list[Any]:
        """Takes up to BATCH due deliveries: a lease that a crashed dispatcher lets expire."""
        now = self._clock.now()
        d = t.deliveries
        claimable = (
            (d.c.status == "pending")
            & (d.c.send_at <= now)
            & (d.c.lease_until.is_(None) | (d.c.lease_until < now))
        )
        claimed = []
        async with self._db.begin() as conn:
            rows = list(await conn.execute(sa.select(d).where(claimable).order_by(d.c.send_at)
                                           .limit(BATCH)))  # fmt: skip
            for row in rows:
                taken = await conn.execute(
                    sa.update(d).where((d.c.id == row.id) & claimable)
                    .values(lease_until=now + LEASE, attempts=d.c.attempts + 1)
                )  # fmt: skip
                if taken.rowcount == 1:
                    claimed.append(row)
        return claimed

    async def _deliver(self, delivery: Any) -> str:
        now = self._clock.now()
        reason = None
        try:
            reason = await self._conversations.busy(delivery.sender_id)
        except ConversationsUnavailable:
            return await self._retry(delivery, now)
        if reason is not None:
            await self._update(delivery.id, lease_until=None, send_at=now + self._busy_retry,
                               attempts=delivery.attempts)  # fmt: skip
            return "deferred"
        text, code = await self._message(delivery, now)
        if text is None:
            return "failed"
        try:
            await self._conversations.nudge(
                delivery.sender_id, delivery.channel, text, f"{delivery.run_id}:{delivery.id}"
            )
        except ConversationsUnavailable:
            return await self._retry(delivery, now)
        await self._update(delivery.id, status="sent", sent_at=now, message=text,
                           coupon_code=code, lease_until=None)  # fmt: skip
        return "sent"

    async def _message(self, delivery: Any, now: datetime) -> tuple[str | None, str | None]:
        async with self._db.connect() as conn:
            campaign = (await conn.execute(sa.select(t.campaigns).where(
                t.campaigns.c.id == delivery.campaign_id
            ))).one()  # fmt: skip
            rules = (await self._rules.in_force(conn)).rules
        spec = parse_campaign(campaign.spec, tuple(rules.coupons))
        found = [c async for c in snapshots(self._db, now, [delivery.customer_id])]
        if not found:
            await self._update(delivery.id, status="skipped", reason="customer_gone")
            return None, None
        code = value = None
        if spec.coupon:
            template = rules.coupons[spec.coupon]
            code = delivery.coupon_code or new_coupon_code()
            value = f"{template.value:g}{' %' if template.kind == 'percent' else ' €'}"
        values = {**template_values(found[0], code), "coupon_value": value}
        try:
            text = render(new_environment(), spec.messages[delivery.language], values)
        except MissingData as exc:
            await self._update(delivery.id, status="skipped", reason=f"missing_data: {exc}"[:64],
                               lease_until=None)  # fmt: skip
            return None, None
        if spec.coupon and delivery.coupon_code is None:
            template = rules.coupons[spec.coupon]
            async with self._db.begin() as conn:
                await SqlRewards(conn).add_coupon(
                    code=code, customer_id=delivery.customer_id, template_id=template.id,
                    kind=template.kind, value=template.value, min_basket=template.min_basket,
                    created_at=now, expires_at=now + timedelta(days=template.valid_days),
                    event_id=f"nudge:{delivery.run_id}:{delivery.customer_id}",
                    rule_id=f"campaign:{delivery.campaign_id}",
                )  # fmt: skip
                await conn.execute(sa.update(t.deliveries).where(t.deliveries.c.id == delivery.id)
                                   .values(coupon_code=code))  # fmt: skip
        return text, code

    async def _retry(self, delivery: Any, now: datetime) -> str:
        if delivery.attempts + 1 >= MAX_ATTEMPTS:
            await self._update(delivery.id, status="failed", reason="undeliverable",
                               lease_until=None)  # fmt: skip
            return "failed"
        backoff = timedelta(seconds=30 * 2**delivery.attempts)
        await self._update(delivery.id, lease_until=None, send_at=now + backoff)
        return "deferred"

    async def _update(self, delivery_id: int, **values: Any) -> None:
        async with self._db.begin() as conn:
            await conn.execute(
                sa.update(t.deliveries).where(t.deliveries.c.id == delivery_id).values(**values)
            )
