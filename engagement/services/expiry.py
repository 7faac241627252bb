"""Runs the points-expiry policy of the rules in force over the ledger.

Idempotent: an expiry entry is keyed by the lot it takes from and a warning by its first
lot, so running twice, or on two instances at once, writes each one once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from engagement.expiry import ExpiryPlan, LedgerEntry, plan_expiry
from engagement.ports import Clock
from engagement.rules import PointsExpiry
from engagement.services.rules_book import RulesBook
from engagement.storage import tables as t
from engagement.storage.database import Database
from engagement.storage.rewards import SqlRewards

EXPIRY_RULE = "points_expiry"


@dataclass(frozen=True)
class ExpiryRun:
    customers: int = 0
    points_expired: int = 0
    warnings: int = 0


class ExpiryService:
    def __init__(self, db: Database, clock: Clock, rules: RulesBook) -> None:
        self._db = db
        self._clock = clock
        self._rules = rules

    async def run(self) -> ExpiryRun:
        async with self._db.connect() as conn:
            policy = (await self._rules.in_force(conn)).rules.points_expiry
            if policy is None:
                return ExpiryRun()
            horizon = self._clock.now() - timedelta(days=policy.after_days - policy.warn_days)
            le = t.ledger_entries.c
            customers = list(
                await conn.scalars(
                    sa.select(le.customer_id)
                    .where(le.kind == "award", le.created_at <= horizon)
                    .distinct()
                )
            )
        expired = warnings = 0
        for customer_id in customers:
            points, warned = await self._customer(customer_id, policy)
            expired += points
            warnings += warned
        return ExpiryRun(len(customers), expired, warnings)

    async def _customer(self, customer_id: str, policy: PointsExpiry) -> tuple[int, int]:
        now = self._clock.now()
        le = t.ledger_entries.c
        async with self._db.begin() as conn:
            rows = await conn.execute(
                sa.select(le.id, le.points, le.kind, le.created_at, le.reverses_entry_id).where(
                    le.customer_id == customer_id
                )
            )
            plan: ExpiryPlan = plan_expiry([LedgerEntry(*row) for row in rows], policy, now)
            store = SqlRewards(conn)
            expired = 0
            for lot in plan.expire:
                if await store.add_points(
                    customer_id=customer_id, points=-lot.points_left, kind="expiry",
                    event_id=f"expiry:{lot.entry_id}", rule_id=EXPIRY_RULE, at=now,
                    reverses=lot.entry_id,
                ):  # fmt: skip
                    expired += lot.points_left
            warned = 0
            if plan.warn:
                first = plan.warn[0]
                warned = int(
                    await store.store_event(
                        event_id=f"points-expiring:{first.entry_id}", type="points_expiring",
                        customer_id=customer_id, occurred_at=now, received_at=now,
                        source="expiry", order_id=None,
                        payload={"points": plan.points_to_warn,
                                 "expires_at": first.expires_at.isoformat()},
                    )
                )  # fmt: skip
        return expired, warned
