"""Rows of the rewards engine: events, orders, ledger, badges, coupons, decisions, usage.

Correctness lives here, in the database: an event id is stored once, a (event, rule) pays
once (unique constraints), a limit or a budget is taken with a conditional update whose
row count says whether it was granted.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from engagement.fusion import FusionEntry
from engagement.storage import tables as t

BUDGET_SHARDS = 8
# Between an opt-in and an opt-out recorded at the same instant, the opt-out wins.
_OPT_OUT_FIRST = sa.case((t.events.c.type == "opt_out", 0), else_=1)


def insert_ignoring_duplicates(conn: AsyncConnection, table: sa.Table, keys: Sequence[str]) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=list(keys))
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing(index_elements=list(keys))


class SqlRewards:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def store_event(
        self,
        *,
        event_id: str,
        type: str,
        customer_id: str,
        occurred_at: datetime,
        received_at: datetime,
        source: str,
        order_id: str | None,
        payload: Mapping[str, Any],
        body_sha256: str | None = None,
    ) -> bool:
        """True when the event is new; False for a replay (nothing is written)."""
        result = await self._conn.execute(
            insert_ignoring_duplicates(self._conn, t.events, ["id"]).values(
                id=event_id,
                type=type,
                customer_id=customer_id,
                occurred_at=occurred_at,
                received_at=received_at,
                source=source,
                order_id=order_id,
                payload=dict(payload),
                body_sha256=body_sha256,
            )
        )
        return bool(result.rowcount == 1)

    async def stored_event(self, event_id: str) -> sa.engine.Row | None:
        """The stored event of that id (its customer, source, payload and body hash)."""
        e = t.events.c
        query = sa.select(e.customer_id, e.source, e.payload, e.body_sha256)
        return (await self._conn.execute(query.where(e.id == event_id))).first()

    async def save_order(
        self,
        *,
        order_id: str,
        customer_id: str,
        status: str,
        total: Decimal,
        currency: str,
        at: datetime,
        items: Iterable[Mapping[str, Any]],
    ) -> None:
        existing = (
            await self._conn.execute(sa.select(t.orders.c.id).where(t.orders.c.id == order_id))
        ).first()
        if existing is None:
            await self._conn.execute(
                t.orders.insert().values(
                    id=order_id, customer_id=customer_id, status=status, total=total,
                    currency=currency, placed_at=at, updated_at=at,
                )
            )  # fmt: skip
            rows = [{"order_id": order_id, "line": i, **item} for i, item in enumerate(items)]
            if rows:
                await self._conn.execute(t.order_items.insert(), rows)
        else:
            await self._conn.execute(
                sa.update(t.orders)
                .where(t.orders.c.id == order_id)
                .values(status=status, updated_at=at)
            )

    async def order_placed_at(self, order_id: str) -> datetime | None:
        placed: datetime | None = await self._conn.scalar(
            sa.select(t.orders.c.placed_at).where(t.orders.c.id == order_id)
        )
        return placed

    async def consent(self, customer_id: str) -> str | None:
        """``opt_in`` or ``opt_out``: the customer's latest word on news, or None (on a tie,
        the opt-out: no consent is assumed that is not certain)."""
        e = t.events.c
        latest: str | None = await self._conn.scalar(
            sa.select(e.type)
            .where(e.customer_id == customer_id, e.type.in_(("opt_in", "opt_out")))
            .order_by(e.occurred_at.desc(), e.received_at.desc(), _OPT_OUT_FIRST)
            .limit(1)
        )
        return latest

    async def purchase_months(self, customer_id: str) -> set[str]:
        """The months ("2026-11", UTC) in which the customer bought something."""
        e = t.events.c
        moments = await self._conn.scalars(
            sa.select(e.occurred_at).where(e.customer_id == customer_id, e.type == "purchase")
        )
        return {moment.strftime("%Y-%m") for moment in moments}

    async def event_counts(self, customer_id: str) -> dict[str, int]:
        rows = await self._conn.execute(
            sa.select(t.events.c.type, sa.func.count())
            .where(t.events.c.customer_id == customer_id)
            .group_by(t.events.c.type)
        )
        return {type_: int(count) for type_, count in rows}

    async def balance(self, customer_id: str) -> int:
        total = await self._conn.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(t.ledger_entries.c.points), 0)).where(
                t.ledger_entries.c.customer_id == customer_id
            )
        )
        return int(total or 0)

    async def badges(self, customer_id: str) -> frozenset[str]:
        rows = await self._conn.execute(
            sa.select(t.customer_badges.c.badge_id).where(
                t.customer_badges.c.customer_id == customer_id
            )
        )
        return frozenset(row.badge_id for row in rows)

    async def record_decision(
        self, *, event_id: str, rule_id: str, customer_id: str, outcome: str, reason: str,
        rules_version: int, at: datetime,
    ) -> bool:  # fmt: skip
        result = await self._conn.execute(
            insert_ignoring_duplicates(self._conn, t.decisions, ["event_id", "rule_id"]).values(
                event_id=event_id, rule_id=rule_id, customer_id=customer_id, outcome=outcome,
                reason=reason[:300], rules_version=rules_version, created_at=at,
            )
        )  # fmt: skip
        return bool(result.rowcount == 1)

    async def take_limit(self, customer_id: str, rule_id: str, period_key: str, limit: int) -> bool:
        """One more award of ``rule_id`` to the customer in the period, if under ``limit``."""
        key = {"customer_id": customer_id, "rule_id": rule_id, "period_key": period_key}
        await self._conn.execute(
            insert_ignoring_duplicates(
                self._conn, t.rule_usage, ["customer_id", "rule_id", "period_key"]
            ).values(**key, count=0)
        )
        c = t.rule_usage.c
        result = await self._conn.execute(
            sa.update(t.rule_usage)
            .where(
                c.customer_id == customer_id,
                c.rule_id == rule_id,
                c.period_key == period_key,
                c.count < limit,
            )
            .values(count=c.count + 1)
        )
        return bool(result.rowcount == 1)

    async def take_budget(
        self,
        rule_id: str,
        period_key: str,
        *,
        points: int,
        coupons: int,
        points_budget: int | None,
        coupons_budget: int | None,
        rng: random.Random,
    ) -> bool:
        """Takes ``points``/``coupons`` from one shard of the rule's budget for the period."""
        await self._ensure_shards(rule_id, period_key, points_budget, coupons_budget)
        c = t.budget_shards.c
        start = rng.randrange(BUDGET_SHARDS)
        for offset in range(BUDGET_SHARDS):
            shard = (start + offset) % BUDGET_SHARDS
            conditions = [c.rule_id == rule_id, c.period_key == period_key, c.shard == shard]
            values: dict[str, Any] = {}
            if points_budget is not None and points:
                conditions.append(c.points_left >= points)
                values["points_left"] = c.points_left - points
            if coupons_budget is not None and coupons:
                conditions.append(c.coupons_left >= coupons)
                values["coupons_left"] = c.coupons_left - coupons
            if not values:
                return True
            result = await self._conn.execute(
                sa.update(t.budget_shards).where(*conditions).values(**values)
            )
            if result.rowcount == 1:
                return True
        return await self._take_from_pooled_shards(rule_id, period_key, points, coupons)

    async def _take_from_pooled_shards(
        self, rule_id: str, period_key: str, points: int, coupons: int
    ) -> bool:
        """Near exhaustion no single shard may hold enough while together they do: lock them
        all, pool what is left into shard 0 and take from it (exact, never overspends)."""
        c = t.budget_shards.c
        where = (c.rule_id == rule_id, c.period_key == period_key)
        rows = (
            await self._conn.execute(
                sa.select(c.points_left, c.coupons_left).where(*where).with_for_update()
            )
        ).all()
        points_left = _total(row.points_left for row in rows)
        coupons_left = _total(row.coupons_left for row in rows)
        if (points_left is not None and points_left < points) or (
            coupons_left is not None and coupons_left < coupons
        ):
            return False
        await self._conn.execute(
            sa.update(t.budget_shards)
            .where(*where)
            .values(
                points_left=None if points_left is None else 0,
                coupons_left=None if coupons_left is None else 0,
            )
        )
        await self._conn.execute(
            sa.update(t.budget_shards)
            .where(*where, c.shard == 0)
            .values(
                points_left=None if points_left is None else points_left - points,
                coupons_left=None if coupons_left is None else coupons_left - coupons,
            )
        )
        return True

    async def _ensure_shards(
        self, rule_id: str, period_key: str, points: int | None, coupons: int | None
    ) -> None:
        rows = [
            {
                "rule_id": rule_id,
                "period_key": period_key,
                "shard": shard,
                "points_left": _share(points, shard),
                "coupons_left": _share(coupons, shard),
            }
            for shard in range(BUDGET_SHARDS)
        ]
        statement = insert_ignoring_duplicates(
            self._conn, t.budget_shards, ["rule_id", "period_key", "shard"]
        )
        await self._conn.execute(statement, rows)

    async def add_points(
        self, *, customer_id: str, points: int, kind: str, event_id: str, rule_id: str,
        at: datetime, reverses: int | None = None,
    ) -> bool:  # fmt: skip
        result = await self._conn.execute(
            insert_ignoring_duplicates(
                self._conn, t.ledger_entries, ["event_id", "rule_id", "kind"]
            ).values(
                customer_id=customer_id, points=points, kind=kind, event_id=event_id,
                rule_id=rule_id, created_at=at, reverses_entry_id=reverses,
            )
        )  # fmt: skip
        return bool(result.rowcount == 1)

    async def add_badge(
        self, *, customer_id: str, badge_id: str, event_id: str, rule_id: str, at: datetime
    ) -> bool:
        result = await self._conn.execute(
            insert_ignoring_duplicates(
                self._conn, t.customer_badges, ["customer_id", "badge_id"]
            ).values(
                customer_id=customer_id, badge_id=badge_id, event_id=event_id, rule_id=rule_id,
                earned_at=at,
            )
        )  # fmt: skip
        return bool(result.rowcount == 1)

    async def add_coupon(self, **values: Any) -> bool:
        result = await self._conn.execute(
            insert_ignoring_duplicates(self._conn, t.coupons, ["event_id", "rule_id"]).values(
                **values
            )
        )
        return bool(result.rowcount == 1)

    async def add_fusion(
        self, *, customer_id: str, event_id: str, event_type: str, rule_id: str, delta: int,
        occurred_at: datetime,
    ) -> None:  # fmt: skip
        await self._conn.execute(
            insert_ignoring_duplicates(
                self._conn, t.fusion_entries, ["event_id", "rule_id"]
            ).values(
                customer_id=customer_id, event_id=event_id, event_type=event_type,
                rule_id=rule_id, delta=delta, occurred_at=occurred_at,
            )
        )  # fmt: skip

    async def fusion_entries(self, customer_id: str) -> list[FusionEntry]:
        f = t.fusion_entries.c
        rows = await self._conn.execute(
            sa.select(f.event_id, f.event_type, f.delta, f.occurred_at).where(
                f.customer_id == customer_id
            )
        )
        return [FusionEntry(r.event_id, r.event_type, r.delta, r.occurred_at) for r in rows]

    async def awards_of_order_purchase(self, order_id: str) -> list[sa.engine.Row]:
        """Unreversed award entries paid for the purchase of ``order_id``."""
        return await self._unreversed_awards(
            t.events.c.order_id == order_id, t.events.c.type == "purchase"
        )

    async def awards_of_events(self, event_ids: Sequence[str]) -> list[sa.engine.Row]:
        """Unreversed award entries paid for any of ``event_ids``."""
        return await self._unreversed_awards(t.events.c.id.in_(list(event_ids)))

    async def _unreversed_awards(self, *where: Any) -> list[sa.engine.Row]:
        le = t.ledger_entries
        reversal = sa.alias(le)
        rows = await self._conn.execute(
            sa.select(le)
            .join(t.events, t.events.c.id == le.c.event_id)
            .where(
                *where,
                le.c.kind == "award",
                ~sa.exists().where(reversal.c.reverses_entry_id == le.c.id),
            )
            .order_by(le.c.id)
        )
        return list(rows)


def _total(values: Iterable[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _share(total: int | None, shard: int) -> int | None:
    if total is None:
        return None
    base, extra = divmod(total, BUDGET_SHARDS)
    return base + (1 if shard < extra else 0)
