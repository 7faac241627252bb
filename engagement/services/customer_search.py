"""The console's customer list: found by id, name or e-mail (any part, any case), sorted by
last activity, stage or points, a page at a time."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from engagement.ladder import STAGES
from engagement.storage import tables as t
from engagement.storage.database import Database

PAGE_SIZE = 25
SORTS = ("last_activity", "stage", "points")
MAX_QUERY_LENGTH = 200


class CustomerSearch:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def page(self, query: str, sort: str, descending: bool, page: int) -> dict[str, Any]:
        """Page ``page`` (from 1) of the shop's customers whose id, name or e-mail contains
        ``query``. Their last activity is their latest event or message (or, with none, when
        we first heard of them). Conversations that proved no customer ("~" ids) are not
        customers and are left out."""
        c = t.customers
        found = c.c.id.notlike("~%")
        if query:
            needle = query.lower()
            found &= sa.or_(*(sa.func.lower(column).contains(needle, autoescape=True)
                              for column in (c.c.id, c.c.name, c.c.email)))  # fmt: skip
        points, last = _points(), _last_activity()
        columns = {
            "points": sa.func.coalesce(points.c.points, 0),
            "last_activity": last,
            "stage": sa.case({stage: rank for rank, stage in enumerate(STAGES)},
                             value=c.c.stage, else_=-1),
        }  # fmt: skip
        key = columns[sort]
        rows = (
            sa.select(c.c.id, c.c.name, c.c.email, c.c.stage,
                      columns["points"].label("points"), last.label("last_activity_at"))
            .select_from(_with_activity(c.outerjoin(points, points.c.customer_id == c.c.id)))
            .where(found)
            .order_by(key.desc() if descending else key.asc(), c.c.id)
            .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
        )  # fmt: skip
        async with self._db.connect() as conn:
            total = int(await conn.scalar(sa.select(sa.func.count()).where(found)) or 0)
            listed = [dict(row._mapping) for row in await conn.execute(rows)]
        for row in listed:
            row["last_activity_at"] = row["last_activity_at"].isoformat()
        return {
            "customers": listed, "total": total, "page": page, "page_size": PAGE_SIZE,
            "pages": max(1, -(-total // PAGE_SIZE)), "sort": sort,
            "order": "desc" if descending else "asc",
        }  # fmt: skip


def _points() -> sa.sql.Subquery:
    ledger = t.ledger_entries
    return (
        sa.select(ledger.c.customer_id, sa.func.sum(ledger.c.points).label("points"))
        .group_by(ledger.c.customer_id).subquery()
    )  # fmt: skip


_EVENT = (
    sa.select(t.events.c.customer_id, sa.func.max(t.events.c.occurred_at).label("at"))
    .group_by(t.events.c.customer_id).subquery("latest_event")
)  # fmt: skip
_MESSAGE = (
    sa.select(t.conversation_channels.c.customer_id,
              sa.func.max(t.conversation_channels.c.last_seen_at).label("at"))
    .group_by(t.conversation_channels.c.customer_id).subquery("latest_message")
)  # fmt: skip


def _with_activity(customers: sa.sql.FromClause) -> sa.sql.FromClause:
    c = t.customers.c
    return customers.outerjoin(_EVENT, _EVENT.c.customer_id == c.id).outerjoin(
        _MESSAGE, _MESSAGE.c.customer_id == c.id
    )


def _last_activity() -> sa.sql.ColumnElement[Any]:
    """A customer's latest moment: their latest event (the shop's or the conversation's),
    their latest message on any channel, else when they were first seen."""
    first = sa.func.coalesce(_EVENT.c.at, _MESSAGE.c.at, t.customers.c.created_at)
    second = sa.func.coalesce(_MESSAGE.c.at, _EVENT.c.at, t.customers.c.created_at)
    return sa.type_coerce(sa.case((first >= second, first), else_=second), t.UtcDateTime())
