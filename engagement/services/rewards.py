"""``record_event``: store an event once, apply the rules in force, pay what they decide.

One transaction per event: the event row (its id makes a replay a no-op), the order, the
decisions (awarded, or why not) and the ledger entries, badges and coupons. Limits and
budgets are taken in the database with conditional updates, so concurrent processes can
neither pay twice nor overspend.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from engagement.commerce import canonical_digest
from engagement.ladder import LadderCriteria, stage_change, stage_of
from engagement.ports import Clock
from engagement.referrals import REFERRAL, referral_refusal
from engagement.rewards import (
    ORDER_STATUS,
    Award,
    EventConflict,
    EventRecorded,
    IncomingEvent,
    customer_counters,
    new_coupon_code,
)
from engagement.rules import CustomerFacts, Decision, EventFacts, Rule, Usage, evaluate
from engagement.services.rules_book import RulesBook, RulesInForce
from engagement.storage import tables as t
from engagement.storage.customers import SqlCustomers
from engagement.storage.database import Database
from engagement.storage.rewards import SqlRewards

NO_USAGE = Usage(per_customer={}, budget_left={})


class RewardsService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        rules: RulesBook,
        ladder: LadderCriteria = LadderCriteria(),
    ) -> None:
        self._db = db
        self._ladder = ladder
        self._clock = clock
        self._rules = rules
        self._rng = random.Random()

    async def record_event(self, event: IncomingEvent) -> EventRecorded:
        return await self._db.transaction(lambda conn: self.record_in(conn, event))

    async def record_in(self, conn: AsyncConnection, event: IncomingEvent) -> EventRecorded:
        """``record_event`` inside a caller's transaction (e.g. with a contribution's row)."""
        now = self._clock.now()
        customers = SqlCustomers(conn)
        store = SqlRewards(conn)
        if await store.stored_event(event.id) is not None:
            return await self._replay(conn, event)  # before anything is written
        customer = await customers.ensure(event.customer_id, now)
        is_new = await store.store_event(
            event_id=event.id, type=event.type, customer_id=event.customer_id,
            occurred_at=event.occurred_at, received_at=now, source=event.source,
            order_id=event.order.id if event.order else None, payload=_stored_payload(event),
            body_sha256=event.body_sha256,
        )  # fmt: skip
        if not is_new:  # a concurrent delivery of the same id stored it first
            return await self._replay(conn, event)
        await customers.update_profile(
            event.customer_id,
            name=event.customer_name,
            language=event.customer_language,
            timezone=event.customer_timezone,
            email=event.customer_email,
            now=now,
        )
        facts = event.facts
        if event.order is not None:
            facts = await self._order_facts(store, event)
            await self._save_order(store, event)
        if event.type == "refund" and event.order is not None:
            entries = await store.awards_of_order_purchase(event.order.id)
            await self.reverse(conn, entries, event.id)
        rules = await self._rules.in_force(conn)
        counters = customer_counters(
            await store.event_counts(event.customer_id),
            await store.balance(event.customer_id),
            await store.badges(event.customer_id),
            event.customer_language or customer.language,
            await store.consent(event.customer_id),
            await store.purchase_months(event.customer_id),
            _utc(event.occurred_at).strftime("%Y-%m"),
        )
        stage = stage_of(counters, replace(self._ladder, **rules.rules.ladder))
        change = stage_change(event.customer_id, customer.stage, stage, event.occurred_at)
        if change is not None and not await customers.move_to_stage(change, event.id):
            moved = await customers.get(event.customer_id)  # by a concurrent event
            stage = moved.stage if moved else stage
        decisions = evaluate(
            rules.rules,
            EventFacts(event.id, event.type, event.occurred_at, facts),
            CustomerFacts(id=event.customer_id, counters={**counters, "stage": stage}),
            NO_USAGE,
            now,
        )
        awards = [await self._apply(conn, rules, event, decision) for decision in decisions]
        if event.referral_code is not None:
            await self._convert_referral(conn, event, counters["purchases"])
        balance = await store.balance(event.customer_id)
        return EventRecorded(event.id, False, tuple(awards), balance, stage)

    async def _replay(self, conn: AsyncConnection, event: IncomingEvent) -> EventRecorded:
        """An id already stored: with the same body a replay, which changes nothing; with
        another body (the shop's, compared by hash) ``EventConflict``, raised so the caller's
        transaction writes nothing either."""
        store = SqlRewards(conn)
        stored = await store.stored_event(event.id)
        assert stored is not None
        if event.body_sha256 is not None:
            known = stored.body_sha256
            if known is None and stored.source == "shop":  # stored before bodies were hashed
                known = canonical_digest(stored.payload)
            if known != event.body_sha256:
                raise EventConflict(
                    f"event {event.id} was already received with another body: an event id "
                    "names one event, send a change under a new id"
                )
        customer = await SqlCustomers(conn).get(stored.customer_id)
        balance = await store.balance(stored.customer_id)
        return EventRecorded(event.id, True, (), balance, customer.stage if customer else "need")

    async def _convert_referral(
        self, conn: AsyncConnection, event: IncomingEvent, friend_purchases: int
    ) -> None:
        """A friend's first purchase with a referral code: the referrer's
        ``referral_converted`` event, in the same transaction; refusals keep their reason."""
        assert event.referral_code is not None
        referrer_id = await conn.scalar(
            sa.select(t.personal_codes.c.customer_id).where(
                (t.personal_codes.c.code == event.referral_code)
                & (t.personal_codes.c.kind == REFERRAL)
            )
        )
        already = await conn.scalar(
            sa.select(t.referrals.c.friend_id).where(t.referrals.c.friend_id == event.customer_id)
        )
        refusal = referral_refusal(
            referrer_id=referrer_id, friend_id=event.customer_id,
            friend_purchases=friend_purchases, already_referred=already is not None,
        )  # fmt: skip
        if already is not None:
            return
        await conn.execute(
            sa.insert(t.referrals).values(
                friend_id=event.customer_id,
                referrer_id=referrer_id or "",
                code=event.referral_code,
                purchase_event_id=event.id,
                status="refused" if refusal else "converted",
                reason=refusal or "first purchase",
                created_at=self._clock.now(),
            )  # fmt: skip
        )
        if refusal is None:
            await self.record_in(
                conn,
                IncomingEvent(
                    id=f"{event.id}:referral",
                    type="referral_converted",
                    customer_id=str(referrer_id),
                    occurred_at=event.occurred_at,
                    source="referral",
                    facts={"friend_order_total": float(event.order.total) if event.order else 0},
                    payload={"friend_purchase_event_id": event.id},
                ),  # fmt: skip
            )

    async def _save_order(self, store: SqlRewards, event: IncomingEvent) -> None:
        assert event.order is not None
        items = [
            {"sku": i.sku, "name": i.name, "quantity": i.quantity, "price": i.price}
            for i in event.order.items
        ]
        await store.save_order(
            order_id=event.order.id, customer_id=event.customer_id,
            status=ORDER_STATUS[event.type], total=event.order.total,
            currency=event.order.currency, at=event.occurred_at, items=items,
        )  # fmt: skip

    async def _order_facts(self, store: SqlRewards, event: IncomingEvent) -> dict[str, Any]:
        """The event's facts, plus how long a delivery took since the order was placed."""
        assert event.order is not None
        facts = dict(event.facts)
        placed_at = await store.order_placed_at(event.order.id)
        if event.type == "delivery" and placed_at is not None:
            days = (_aware(event.occurred_at) - _aware(placed_at)).days
            facts["order"] = {**facts.get("order", {}), "days_to_deliver": days}
        return facts

    async def reverse(
        self, conn: AsyncConnection, entries: Iterable[sa.engine.Row], cause_event_id: str
    ) -> int:
        """Compensating entries for award ``entries`` (never edits); the points taken back."""
        store = SqlRewards(conn)
        taken = 0
        for entry in entries:
            if await store.add_points(
                customer_id=entry.customer_id, points=-entry.points, kind="reversal",
                event_id=cause_event_id, rule_id=entry.rule_id, at=self._clock.now(),
                reverses=entry.id,
            ):  # fmt: skip
                taken += entry.points
        return taken

    async def _apply(
        self, conn: AsyncConnection, rules: RulesInForce, event: IncomingEvent, decision: Decision
    ) -> Award:
        store = SqlRewards(conn)
        rule = rules.rules.rule(decision.rule_id)
        outcome, reason = decision.outcome, decision.reason
        if outcome == "awarded":
            outcome, reason = await self._take_limit_and_budget(store, rule, event, decision)
        award = Award(rule.id, outcome, reason)
        if outcome == "awarded":
            award = await self._pay(store, rules, event, decision)
        await store.record_decision(
            event_id=event.id, rule_id=rule.id, customer_id=event.customer_id, outcome=outcome,
            reason=reason, rules_version=rules.version, at=self._clock.now(),
        )  # fmt: skip
        return award

    async def _take_limit_and_budget(
        self, store: SqlRewards, rule: Rule, event: IncomingEvent, decision: Decision
    ) -> tuple[str, str]:
        if rule.limit is not None:
            key = rule.limit.period_key(event.occurred_at)
            if not await store.take_limit(event.customer_id, rule.id, key, rule.limit.count):
                return "capped", f"limit of {rule.limit.count} per {rule.limit.per} reached"
        if rule.budget is not None:
            granted = await store.take_budget(
                rule.id, rule.budget.period_key(event.occurred_at),
                points=decision.points, coupons=1 if decision.coupon else 0,
                points_budget=rule.budget.points, coupons_budget=rule.budget.coupons,
                rng=self._rng,
            )  # fmt: skip
            if not granted:
                return "over_budget", f"budget per {rule.budget.per} spent"
        return "awarded", decision.reason

    async def _pay(
        self, store: SqlRewards, rules: RulesInForce, event: IncomingEvent, decision: Decision
    ) -> Award:
        now = self._clock.now()
        if decision.points:
            await store.add_points(
                customer_id=event.customer_id, points=decision.points, kind="award",
                event_id=event.id, rule_id=decision.rule_id, at=now,
            )  # fmt: skip
        badge = decision.badge
        if badge and not await store.add_badge(
            customer_id=event.customer_id, badge_id=badge, event_id=event.id,
            rule_id=decision.rule_id, at=now,
        ):  # fmt: skip
            badge = None
        if decision.fusion:
            await store.add_fusion(
                customer_id=event.customer_id, event_id=event.id, event_type=event.type,
                rule_id=decision.rule_id, delta=decision.fusion, occurred_at=event.occurred_at,
            )  # fmt: skip
        code = None
        if decision.coupon:
            template = rules.rules.coupons[decision.coupon]
            code = new_coupon_code()
            await store.add_coupon(
                code=code, customer_id=event.customer_id, template_id=template.id,
                kind=template.kind, value=template.value, min_basket=template.min_basket,
                created_at=now, expires_at=now + timedelta(days=template.valid_days),
                event_id=event.id, rule_id=decision.rule_id,
            )  # fmt: skip
        return Award(
            decision.rule_id, "awarded", decision.reason, decision.points, badge, code,
            decision.fusion,
        )  # fmt: skip


def _utc(moment: datetime) -> datetime:
    return _aware(moment).astimezone(timezone.utc)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _stored_payload(event: IncomingEvent) -> dict[str, Any]:
    """The shop's raw body as it came; for other events, their payload and the facts the
    rules saw, so a back-test can replay them."""
    return event.payload if event.source == "shop" else {**event.payload, "facts": event.facts}
