"""The scheduler's nudge jobs: plan the runs that are due (planner.py) and dispatch the
deliveries whose time has come, claimed with a lease so that a crash or a second
engagement service sends nothing twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from engagement.nudges.campaigns import parse_campaign
from engagement.nudges.planning import Guards
from engagement.nudges.templates import MissingData, new_environment, render
from engagement.ports import Clock, Conversations, ConversationsUnavailable
from engagement.rewards import new_coupon_code
from engagement.services.campaigns import template_values
from engagement.services.planner import CampaignPlanner, Planned
from engagement.services.rules_book import RulesBook
from engagement.services.snapshots import snapshots
from engagement.storage import tables as t
from engagement.storage.database import Database
from engagement.storage.rewards import SqlRewards

LEASE = timedelta(seconds=60)
BUSY_RETRY = timedelta(minutes=5)
MAX_ATTEMPTS = 6
BATCH = 50


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
        self._planner = CampaignPlanner(db, clock, rules, guards)

    async def plan_due(self) -> Planned:
        return await self._planner.plan_due()

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
