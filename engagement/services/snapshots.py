"""Customer snapshots for campaign planning, loaded a chunk of customers at a time so that
memory does not grow with the audience."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from engagement.fusion import FusionEntry, fusion_score
from engagement.ladder import is_zapped
from engagement.nudges.audience import CustomerSnapshot
from engagement.storage import tables as t
from engagement.storage.database import Database

CHUNK = 1_000


async def snapshots(
    db: Database, now: datetime, customer_ids: Sequence[str] | None = None
) -> AsyncIterator[CustomerSnapshot]:
    """Every customer (or those given), ordered by id, in chunks of ``CHUNK``."""
    after = ""
    while True:
        query = sa.select(t.customers).where(t.customers.c.id > after).order_by(t.customers.c.id)
        if customer_ids is not None:
            query = query.where(t.customers.c.id.in_(list(customer_ids)))
        async with db.connect() as conn:
            rows = list(await conn.execute(query.limit(CHUNK)))
            if not rows:
                return
            facts = await _facts(conn, [row.id for row in rows], now)
        for row in rows:
            yield _snapshot(row, facts, now)
        after = rows[-1].id


async def _facts(conn: AsyncConnection, ids: list[str], now: datetime) -> dict[str, Any]:
    e, ledger = t.events, t.ledger_entries
    points = dict(
        (await conn.execute(
            sa.select(ledger.c.customer_id, sa.func.sum(ledger.c.points))
            .where(ledger.c.customer_id.in_(ids)).group_by(ledger.c.customer_id)
        )).all()
    )  # fmt: skip
    badges: dict[str, set[str]] = defaultdict(set)
    for customer_id, badge in await conn.execute(
        sa.select(t.customer_badges.c.customer_id, t.customer_badges.c.badge_id).where(
            t.customer_badges.c.customer_id.in_(ids)
        )
    ):
        badges[customer_id].add(badge)
    last_purchase: dict[str, datetime] = {}
    consent: dict[str, str] = {}
    club: set[str] = set()
    kinds = ("purchase", "opt_in", "opt_out", "club_join")
    for customer_id, kind, at in await conn.execute(
        sa.select(e.c.customer_id, e.c.type, e.c.occurred_at)
        .where(e.c.customer_id.in_(ids), e.c.type.in_(kinds))
        .order_by(e.c.occurred_at, sa.case((e.c.type == "opt_out", 1), else_=0))
    ):
        if kind == "purchase":
            last_purchase[customer_id] = at
        elif kind == "club_join":
            club.add(customer_id)
        else:
            consent[customer_id] = kind  # the latest wins; at the same instant, opt_out
    fusion: dict[str, list[FusionEntry]] = defaultdict(list)
    for row in await conn.execute(sa.select(t.fusion_entries).where(
        t.fusion_entries.c.customer_id.in_(ids)
    )):  # fmt: skip
        fusion[row.customer_id].append(
            FusionEntry(row.event_id, row.event_type, row.delta, row.occurred_at)
        )
    channels: dict[str, Any] = {}
    for row in await conn.execute(
        sa.select(t.conversation_channels)
        .where(t.conversation_channels.c.customer_id.in_(ids))
        .order_by(t.conversation_channels.c.last_seen_at)
    ):
        channels[row.customer_id] = row  # the most recent wins
    return {"points": points, "badges": badges, "last_purchase": last_purchase,
            "consent": consent, "club": club, "fusion": fusion, "channels": channels}  # fmt: skip


def _snapshot(row: Any, facts: dict[str, Any], now: datetime) -> CustomerSnapshot:
    channel = facts["channels"].get(row.id)
    consent = facts["consent"].get(row.id)
    return CustomerSnapshot(
        id=row.id,
        stage=row.stage,
        fusion=fusion_score(facts["fusion"].get(row.id, []), now).value,
        days_since_purchase=_days(facts["last_purchase"].get(row.id), now),
        days_since_message=_days(channel.last_seen_at if channel else None, now),
        badges=frozenset(facts["badges"].get(row.id, ())),
        language=row.language or "fr",
        channel=channel.channel if channel else None,
        opted_in=consent == "opt_in",
        opted_out=consent == "opt_out",
        club_member=row.id in facts["club"],
        zapped=is_zapped({"opted_out": consent == "opt_out"}),
        timezone=row.timezone,
        first_name=row.name.split()[0] if row.name and row.name.strip() else None,
        points=int(facts["points"].get(row.id) or 0),
        extra={"sender_id": channel.sender_id if channel else None},
    )


def _days(moment: datetime | None, now: datetime) -> int | None:
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return max(0, (now - aware).days)
