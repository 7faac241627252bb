"""What a customer can ask about their own account in the conversation: points, badges,
coupons, progress on the ladder, orders, and why a reward was not given."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from engagement.contributions import MODERATED, status_event_id, submission_event_id
from engagement.explanations import (
    EVENT_SUBJECTS,
    Activity,
    Asked,
    Entry,
    Explanation,
    Logged,
    explain,
    order_id_forms,
)
from engagement.ladder import STAGES, LadderCriteria, next_step
from engagement.ports import Clock
from engagement.rewards import customer_counters
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
class WhyNoPoints:
    """The explanation, and the rule it names (if any) as customers are told it."""

    explanation: Explanation
    rule_fr: str | None = None
    rule_en: str | None = None


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

    async def next_step(self, customer_id: str, in_conversation: bool = True) -> str | None:
        """What the customer can do next on the ladder that they have not done yet
        (``engagement.ladder.next_step``), from the same facts the rewards engine decides
        the stage with. A customer talking to the assistant has talked: the conversation
        under way counts, whether or not an event recorded it yet."""
        c = t.contributions.c
        async with self._db.connect() as conn:
            store = SqlRewards(conn)
            language = await conn.scalar(
                sa.select(t.customers.c.language).where(t.customers.c.id == customer_id)
            )
            facts = customer_counters(
                await store.event_counts(customer_id),
                await store.balance(customer_id),
                await store.badges(customer_id),
                language,
                await store.consent(customer_id),
            )
            facts["pending_contributions"] = int(
                await conn.scalar(
                    sa.select(sa.func.count()).where(
                        c.customer_id == customer_id, c.status == "pending"
                    )
                )
                or 0
            )
            ladder = (await self._rules.in_force(conn)).rules.ladder
        if in_conversation:
            facts["conversations"] += 1
        return next_step(facts, replace(LadderCriteria(), **ladder))

    async def order(self, customer_id: str, order_id: str | None) -> OrderView | None:
        """The customer's order ``order_id`` (or their latest one); None when unknown."""
        o = t.orders.c
        query = sa.select(o.id, o.status, o.total, o.currency, o.placed_at, o.updated_at).where(
            o.customer_id == customer_id
        )
        if order_id:
            query = query.where(sa.func.upper(o.id).in_(order_id_forms(order_id)))
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

    async def why_no_points(self, customer_id: str, asked: Asked) -> WhyNoPoints:
        """The answer to "why no points for …?" about the activity ``asked`` names (or the
        customer's most recent one): engagement/explanations.py decides from the decision
        log, the ledger and the status of the customer's contributions and referrals."""
        async with self._db.connect() as conn:
            activities = await _activities(conn, customer_id)
            d, le = t.decisions.c, t.ledger_entries.c
            decisions = [
                Logged(row.event_id, row.rule_id, row.outcome)
                for row in await conn.execute(
                    sa.select(d.event_id, d.rule_id, d.outcome)
                    .where(d.customer_id == customer_id)
                    .order_by(d.id)
                )
            ]
            ledger = [
                Entry(row.id, row.event_id, row.points, row.reverses_entry_id)
                for row in await conn.execute(
                    sa.select(le.id, le.event_id, le.points, le.reverses_entry_id).where(
                        le.customer_id == customer_id
                    )
                )
            ]
            rules = (await self._rules.in_force(conn)).rules
        paying = {rule.id for rule in rules.rules if rule.points or rule.points_per_euro}
        once = {rule.id for rule in rules.rules if rule.limit and rule.limit.per == "ever"}
        explanation = explain(asked, activities, decisions, ledger, paying, once)
        rule = next((r for r in rules.rules if r.id == explanation.rule_id), None)
        if rule is not None:
            return WhyNoPoints(explanation, rule.describe("fr"), rule.describe("en"))
        return WhyNoPoints(explanation, explanation.rule_id, explanation.rule_id)

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


async def _activities(conn: AsyncConnection, customer_id: str) -> list[Activity]:
    """What the customer did that may earn points: reviews and ideas (with their status),
    purchases, votes, shares, subscribing to news and joining the club (their events),
    referrals (converted or refused)."""
    c, e, r = t.contributions.c, t.events.c, t.referrals.c
    found = [
        Activity(row.kind, _aware(row.created_at), _events_of(row.id), row.status, row.order_id)
        for row in await conn.execute(
            sa.select(c.id, c.kind, c.status, c.order_id, c.created_at).where(
                c.customer_id == customer_id, c.kind.in_(MODERATED)
            )
        )
    ]
    found += [
        Activity(
            EVENT_SUBJECTS[row.type], _aware(row.occurred_at), (row.id,), order_id=row.order_id
        )
        for row in await conn.execute(
            sa.select(e.id, e.type, e.occurred_at, e.order_id).where(
                e.customer_id == customer_id, e.type.in_(tuple(EVENT_SUBJECTS))
            )
        )
    ]
    found += [
        Activity(
            "referral",
            _aware(row.created_at),
            _referral_events(row.purchase_event_id),
            row.status,
            reason=row.reason,
        )
        for row in await conn.execute(
            sa.select(r.status, r.reason, r.purchase_event_id, r.created_at).where(
                r.referrer_id == customer_id
            )
        )
    ]
    return found


def _events_of(contribution_id: str) -> tuple[str, ...]:
    """The events the rules decided on for a contribution: submitted, approved, shipped."""
    approved, shipped = (status_event_id(contribution_id, s) for s in ("approved", "shipped"))
    return (submission_event_id(contribution_id), approved, shipped)


def _referral_events(purchase_event_id: str) -> tuple[str, ...]:
    """The referrer's ``referral_converted`` event of a friend's purchase (rewards.py)."""
    return (f"{purchase_event_id}:referral",)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
