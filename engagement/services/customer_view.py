"""What an admin sees of one customer: balance, badges, coupons, ledger, decisions."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from engagement.fusion import fusion_score
from engagement.ports import Clock
from engagement.storage import personal
from engagement.storage import tables as t
from engagement.storage.database import Database
from engagement.storage.rewards import SqlRewards

PAGE = 100
# the export's name for a table where it differs from the table's (other tables: their name)
EXPORT_NAMES = {
    "customers": "profile", "ledger_entries": "ledger", "customer_badges": "badges",
    "idea_votes": "votes", "fusion_entries": "fusion_moves",
    "customer_aliases": "linked_conversations", "deliveries": "nudges",
    "conversation_channels": "channels",
}  # fmt: skip


class UnknownCustomer(LookupError):
    pass


class CustomerView:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def summary(self, customer_id: str) -> dict[str, Any]:
        async with self._db.connect() as conn:
            row = (
                await conn.execute(sa.select(t.customers).where(t.customers.c.id == customer_id))
            ).first()
            if row is None:
                raise UnknownCustomer(customer_id)
            store = SqlRewards(conn)
            fusion = fusion_score(await store.fusion_entries(customer_id), self._clock.now())
            return {
                "id": row.id,
                "name": row.name,
                "language": row.language,
                "timezone": row.timezone,
                "stage": row.stage,
                "points": await store.balance(customer_id),
                "consent": await store.consent(customer_id) == "opt_in",
                "badges": sorted(await store.badges(customer_id)),
                "fusion_score": fusion.value,
                "fusion_explanation": [
                    {
                        "event_id": c.event_id,
                        "event_type": c.event_type,
                        "delta": c.delta,
                        "weight_now": round(c.weight_now, 2),
                    }
                    for c in fusion.explanation[:20]
                ],  # fmt: skip
                "coupons": await self._rows(conn, t.coupons, customer_id, t.coupons.c.created_at),
            }

    async def ledger(self, customer_id: str) -> list[dict[str, Any]]:
        async with self._db.connect() as conn:
            await self._known(conn, customer_id)
            table = t.ledger_entries
            return await self._rows(conn, table, customer_id, table.c.id)

    async def coupons(self, customer_id: str) -> list[dict[str, Any]]:
        async with self._db.connect() as conn:
            await self._known(conn, customer_id)
            return await self._rows(conn, t.coupons, customer_id, t.coupons.c.created_at)

    async def export(self, customer_id: str) -> dict[str, Any]:
        """Everything the engagement service keeps about a customer (GDPR access): every row
        that names them or one of their conversations, whatever the table (found from the
        schema, engagement/storage/personal.py), and ``conversations``, those conversations'
        ids (the conversation side keeps their history)."""
        async with self._db.connect() as conn:
            await self._known(conn, customer_id)
            conversations = await personal.conversations_of(conn, customer_id)
            found = await personal.rows_of(conn, customer_id, conversations)
        export: dict[str, Any] = {
            EXPORT_NAMES.get(name, name): [{k: _json(v) for k, v in row.items()} for row in rows]
            for name, rows in found.items()
        }
        (export["profile"],) = export["profile"]
        export["conversations"] = sorted(conversations)
        return export

    async def decisions(self, customer_id: str) -> list[dict[str, Any]]:
        async with self._db.connect() as conn:
            await self._known(conn, customer_id)
            return await self._rows(conn, t.decisions, customer_id, t.decisions.c.id)

    async def _known(self, conn, customer_id: str) -> None:  # type: ignore[no-untyped-def]
        found = await conn.scalar(
            sa.select(t.customers.c.id).where(t.customers.c.id == customer_id)
        )
        if found is None:
            raise UnknownCustomer(customer_id)

    async def _rows(self, conn, table: sa.Table, customer_id: str, order) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
        rows = await conn.execute(
            sa.select(table)
            .where(table.c.customer_id == customer_id)
            .order_by(order.desc())
            .limit(PAGE)
        )
        return [{k: _json(v) for k, v in row._mapping.items()} for row in rows]


def _json(value: Any) -> Any:
    from datetime import datetime
    from decimal import Decimal

    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
