"""What a customer can ask about their own account in the conversation: points, badges,
coupons, progress on the ladder, orders, and why a reward was not given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

import sqlalchemy as sa

from engagement.ladder import STAGES
from engagement.ports import Clock
from engagement.services.rules_book import RulesBook
from engagement.storage import tables as t
from engagement.storage.database import Database
from engagement.storage.rewards import SqlRewards

LATE_AFTER_DAYS = 7


@dataclass(frozen=True)
class BadgeView:
    id: str
    name_fr: str
    name_en: str


@dataclass(frozen=True)
class CouponView:
    code: str
    kind: str
    value: Decimal
    min_basket: Decimal
    expires_at: datetime


@dataclass(frozen=True)
class Progress:
    stage: str
    next_stage: str | None
    points: int


@dataclass(frozen=True)
class OrderView:
    id: str
    status: str
    total: Decimal
    currency: str
    placed_at: datetime
    updated_at: datetime
    late: bool
    days_since_order: int


@dataclass(frozen=True)
class MissedReward:
    event_type: str
    occurred_at: datetime
    rule_id: str
    outcome: str
    rule_fr: str
    rule_en: str


class AccountService:
    def __init__(self, db: Database, clock: Clock, rules: RulesBook) -> None:
        self._db = db
        self._clock = clock
        self._rules = rules

    async def points(self, customer_id: str) -> int:
        async with self._db.connect() as conn:
            return await SqlRewards(conn).balance(customer_id)

    async def badges(self, customer_id: str) -> list[BadgeView]:
        async with self._db.connect() as conn:
            held = await SqlRewards(conn).badges(customer_id)
            catalogue = (await self._rules.in_force(conn)).rules.badges
        views = []
        for badge_id in sorted(held):
            badge = catalogue.get(badge_id)
            name_fr, name_en = (badge.fr, badge.en) if badge else (badge_id, badge_id)
            views.append(BadgeView(badge_id, name_fr, name_en))
        return views

    async def coupons(self, customer_id: str) -> list[CouponView]:
        """Coupons the customer can still use, soonest to expire first."""
        c = t.coupons.c
        async with self._db.connect() as conn:
            rows = await conn.execute(
                sa.select(c.code, c.kind, c.value, c.min_basket, c.expires_at)
                .where(
                    c.customer_id == customer_id,
                    c.redeemed_at.is_(None),
                    c.expires_at > self._clock.now(),
                )
                .order_by(c.expires_at)
            )
            return [CouponView(*row) for row in rows]

    async def progress(self, customer_id: str) -> Progress:
        async with self._db.connect() as conn:
            stage = await conn.scalar(
                sa.select(t.customers.c.stage).where(t.customers.c.id == customer_id)
            )
            points = await SqlRewards(conn).balance(customer_id)
        stage = stage or STAGES[0]
        index = STAGES.index(stage)
        next_stage = STAGES[index + 1] if index + 1 < len(STAGES) else None
        return Progress(stage, next_stage, points)

    async def order(self, customer_id: str, order_id: str | None) -> OrderView | None:
        """The customer's order ``order_id`` (or their latest one); None when unknown."""
        o = t.orders.c
        query = sa.select(o.id, o.status, o.total, o.currency, o.placed_at, o.updated_at).where(
            o.customer_id == customer_id
        )
        if order_id:
            query = query.where(sa.func.upper(o.id).in_(_order_id_forms(order_id)))
        async with self._db.connect() as conn:
            row = (await conn.execute(query.order_by(o.placed_at.desc()).limit(1))).first()
        if row is None:
            return None
        days = (self._clock.now() - _aware(row.placed_at)).days
        late = row.status in ("placed", "shipped") and days >= LATE_AFTER_DAYS
        return OrderView(
            row.id, row.status, row.total, row.currency, row.placed_at, row.updated_at,
            late, days,
        )  # fmt: skip

    async def missed_rewards(self, customer_id: str) -> list[MissedReward]:
        """For the customer's latest event that rules decided on: what was not given."""
        d, e = t.decisions.c, t.events.c
        async with self._db.connect() as conn:
            latest = await conn.scalar(
                sa.select(d.event_id)
                .where(d.customer_id == customer_id)
                .order_by(d.id.desc())
                .limit(1)
            )
            if latest is None:
                return []
            rows = (
                await conn.execute(
                    sa.select(e.type, e.occurred_at, d.rule_id, d.outcome)
                    .select_from(t.decisions.join(t.events, t.events.c.id == d.event_id))
                    .where(d.event_id == latest, d.outcome != "awarded")
                    .order_by(d.id)
                )
            ).all()
            rules = (await self._rules.in_force(conn)).rules
        missed = []
        for row in rows:
            names = (row.rule_id, row.rule_id)
            if any(rule.id == row.rule_id for rule in rules.rules):
                rule = rules.rule(row.rule_id)
                names = (rule.describe("fr"), rule.describe("en"))
            missed.append(MissedReward(row.type, row.occurred_at, row.rule_id, row.outcome, *names))
        return missed

    async def summary(self, customer_id: str) -> dict[str, int]:
        """How much is kept about the customer, by kind (what export_my_data tells them)."""
        counted = {
            "orders": t.orders, "badges": t.customer_badges, "coupons": t.coupons,
            "contributions": t.contributions, "events": t.events,
        }  # fmt: skip
        async with self._db.connect() as conn:
            counts = {
                name: int(
                    await conn.scalar(
                        sa.select(sa.func.count())
                        .select_from(table)
                        .where(table.c.customer_id == customer_id)
                    )
                    or 0
                )
                for name, table in counted.items()
            }
            counts["points"] = await SqlRewards(conn).balance(customer_id)
        return counts

    async def badge_names(self) -> dict[str, tuple[str, str]]:
        """Every badge of the rules in force: id → (French name, English name)."""
        async with self._db.connect() as conn:
            badges = (await self._rules.in_force(conn)).rules.badges
        return {badge.id: (badge.fr, badge.en) for badge in badges.values()}

    async def points_on(self, event_type: str) -> int:
        """The points every customer gets for an ``event_type`` (rules with no condition),
        so the assistant can disclose a reward before it is earned."""
        async with self._db.connect() as conn:
            rules = (await self._rules.in_force(conn)).rules
        return sum(
            rule.points
            for rule in rules.for_event(event_type)
            if not rule.conditions and not rule.requires_consent
        )


def _order_id_forms(order_id: str) -> list[str]:
    """``#48213``, ``cmd 48213`` and ``CMD-48213`` all name the shop's order ``CMD-48213``."""
    bare = order_id.strip().lstrip("#").upper()
    digits = "".join(ch for ch in bare if ch.isdigit())
    forms = {bare}
    if digits:
        forms |= {digits, f"CMD-{digits}", f"O-{digits}"}
    return sorted(forms)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
