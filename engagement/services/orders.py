"""A customer's orders as order resolution needs them: id, date, item names."""

from __future__ import annotations

import sqlalchemy as sa

from engagement.orders import KnownOrder
from engagement.storage import tables as t
from engagement.storage.database import Database

RECENT = 20  # older orders are rarely what a customer writes about


class OrderBook:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def known_orders(self, customer_id: str) -> list[KnownOrder]:
        """The customer's latest orders with the names of their items, newest first."""
        o, i = t.orders.c, t.order_items.c
        latest = (
            sa.select(o.id, o.placed_at).where(o.customer_id == customer_id)
            .order_by(o.placed_at.desc()).limit(RECENT).subquery()
        )  # fmt: skip
        query = (
            sa.select(latest.c.id, latest.c.placed_at, i.name)
            .select_from(latest.outerjoin(t.order_items, i.order_id == latest.c.id))
            .order_by(latest.c.placed_at.desc(), i.line)
        )
        async with self._db.connect() as conn:
            rows = (await conn.execute(query)).all()
        orders: dict[str, KnownOrder] = {}
        for row in rows:
            known = orders.get(row.id) or KnownOrder(row.id, row.placed_at)
            items = known.items + ((row.name,) if row.name else ())
            orders[row.id] = KnownOrder(row.id, known.placed_at, items)
        return list(orders.values())
