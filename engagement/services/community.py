"""The leaderboard (only customers who agreed to appear, by display name) and product
suggestions from stored orders (what buyers of the same items bought, or best sellers)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from engagement.ports import Clock
from engagement.recommendations import BEST_SELLERS_WINDOW, Suggestions, suggest
from engagement.storage import tables as t
from engagement.storage.customers import SqlCustomers
from engagement.storage.database import Database

LEADERBOARD_SIZE = 5


@dataclass(frozen=True)
class Standing:
    rank: int
    name: str
    points: int


@dataclass(frozen=True)
class Leaderboard:
    top: list[Standing]
    mine: Standing | None
    on_board: bool


def display_name(full_name: str | None, customer_id: str) -> str:
    """ "Marie Dupont" → "Marie D."; without a name, "Member" and the id's last 4 chars."""
    parts = (full_name or "").split()
    if not parts:
        return f"Member-{customer_id[-4:].upper()}"
    initial = f" {parts[-1][0].upper()}." if len(parts) > 1 else ""
    return f"{parts[0][:30]}{initial}"


class CommunityService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def leaderboard(self, customer_id: str, size: int = LEADERBOARD_SIZE) -> Leaderboard:
        balance = sa.func.coalesce(sa.func.sum(t.ledger_entries.c.points), 0).label("points")
        query = (
            sa.select(t.customers.c.id, t.customers.c.leaderboard_name, balance)
            .select_from(t.customers.outerjoin(
                t.ledger_entries, t.ledger_entries.c.customer_id == t.customers.c.id
            ))
            .where(t.customers.c.leaderboard_name.is_not(None))
            .group_by(t.customers.c.id, t.customers.c.leaderboard_name)
            .order_by(balance.desc(), t.customers.c.leaderboard_name)
        )  # fmt: skip
        async with self._db.connect() as conn:
            rows = list(await conn.execute(query))
        standings = [
            (row.id, Standing(rank, row.leaderboard_name, int(row.points)))
            for rank, row in enumerate(rows, start=1)
        ]
        mine = next((s for cid, s in standings if cid == customer_id), None)
        return Leaderboard([s for _, s in standings[:size]], mine, mine is not None)

    async def join_leaderboard(self, customer_id: str) -> str:
        """Puts the customer on the board under their display name; the name."""
        now = self._clock.now()
        async with self._db.begin() as conn:
            customer = await SqlCustomers(conn).ensure(customer_id, now)
            name = display_name(customer.name, customer_id)
            await conn.execute(
                sa.update(t.customers)
                .where(t.customers.c.id == customer_id)
                .values(leaderboard_name=name, updated_at=now)
            )
        return name

    async def leave_leaderboard(self, customer_id: str) -> None:
        async with self._db.begin() as conn:
            await conn.execute(
                sa.update(t.customers)
                .where(t.customers.c.id == customer_id)
                .values(leaderboard_name=None, updated_at=self._clock.now())
            )

    async def suggestions(self, customer_id: str, limit: int = 3) -> Suggestions:
        """What to suggest to the customer, and on what basis (engagement/recommendations.py):
        what buyers of their items bought too, else the best sellers of the last
        ``BEST_SELLERS_WINDOW`` they do not have."""
        o, i = t.orders.c, t.order_items.c
        kept = o.status.not_in(("cancelled", "refunded"))
        mine_q = (
            sa.select(i.sku)
            .join(t.orders, o.id == i.order_id)
            .where(o.customer_id == customer_id, kept)
        )
        async with self._db.connect() as conn:
            mine = set(await conn.scalars(mine_q))
            baskets: dict[str, set[str]] = defaultdict(set)
            names: dict[str, str] = {}
            if mine:
                # Other customers who bought one of these, and everything they bought.
                buyers = (
                    sa.select(o.customer_id)
                    .join(t.order_items, i.order_id == o.id)
                    .where(i.sku.in_(mine), o.customer_id != customer_id)
                )
                rows = await conn.execute(
                    sa.select(o.customer_id, i.sku, i.name)
                    .join(t.orders, o.id == i.order_id)
                    .where(o.customer_id.in_(buyers), kept)
                )
                for row in rows:
                    baskets[row.customer_id].add(row.sku)
                    names[row.sku] = row.name
            # How many customers bought each item lately (counted in the database).
            since = self._clock.now() - BEST_SELLERS_WINDOW
            sold: dict[str, int] = {}
            for row in await conn.execute(
                sa.select(i.sku, sa.func.max(i.name).label("name"),
                          sa.func.count(sa.distinct(o.customer_id)).label("buyers"))
                .join(t.orders, o.id == i.order_id)
                .where(o.placed_at >= since, kept)
                .group_by(i.sku)
            ):  # fmt: skip
                sold[row.sku] = int(row.buyers)
                names.setdefault(row.sku, row.name)
        return suggest(mine, baskets.items(), sold, names, limit)
