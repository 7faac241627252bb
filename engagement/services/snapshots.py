"""Customer snapshots for campaign planning, loaded a chunk of customers at a time so that
memory does not grow with the audience: one query per kind of fact and chunk, never one
per customer."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from engagement.fusion import HALF_LIFE_DAYS, NEUTRAL
from engagement.ladder import LadderCriteria, is_zapped
from engagement.nudges.audience import CustomerSnapshot
from engagement.nudges.planning import zone_of
from engagement.storage import tables as t
from engagement.storage.database import Database

CHUNK = 1_000
# A customer's usual hour is known once they wrote this many messages…
ACTIVE_HOUR_MESSAGES = 5
# …and a nudge counts as ignored once it went unanswered this long.
IGNORED_AFTER = timedelta(hours=48)
BRAND_TIMEZONE = "Europe/Paris"


async def snapshots(
    db: Database,
    now: datetime,
    customer_ids: Sequence[str] | None = None,
    *,
    brand_timezone: str = BRAND_TIMEZONE,
    ladder: LadderCriteria = LadderCriteria(),
) -> AsyncIterator[CustomerSnapshot]:
    """Every customer (or those given), ordered by id, in chunks of ``CHUNK``."""
    c = t.customers.c
    after = ""
    while True:
        query = sa.select(c.id, c.stage, c.language, c.timezone, c.name).where(c.id > after)
        if customer_ids is not None:
            query = query.where(c.id.in_(list(customer_ids)))
        async with db.connect() as conn:
            rows = (await conn.execute(query.order_by(c.id).limit(CHUNK))).all()
            if not rows:
                return
            ids = [row.id for row in rows]
            # a whole-table scan reads consecutive ids: a range is cheaper than 1,000 values
            among = _InList(ids) if customer_ids is not None else _Range(ids[0], ids[-1])
            facts = await _facts(conn, among, now, ladder.ignored_nudges_to_zap)
        for row in rows:
            yield _snapshot(row, facts, now, brand_timezone, ladder)
        after = rows[-1].id


class _InList:
    def __init__(self, ids: list[str]) -> None:
        self.ids = ids

    def __call__(self, column: Any) -> Any:
        return column.in_(self.ids)


class _Range:
    def __init__(self, first: str, last: str) -> None:
        self.first, self.last = first, last

    def __call__(self, column: Any) -> Any:
        return column.between(self.first, self.last)


async def _facts(
    conn: AsyncConnection, among: Any, now: datetime, zap_after: int
) -> dict[str, Any]:
    e, ledger, cb = t.events, t.ledger_entries, t.customer_badges
    points = dict((await conn.execute(
        sa.select(ledger.c.customer_id, sa.func.sum(ledger.c.points))
        .where(among(ledger.c.customer_id)).group_by(ledger.c.customer_id)
    )).all())  # fmt: skip
    badges: dict[str, set[str]] = defaultdict(set)
    for customer_id, badge in await conn.execute(
        sa.select(cb.c.customer_id, cb.c.badge_id).where(among(cb.c.customer_id))
    ):
        badges[customer_id].add(badge)
    latest: dict[tuple[str, str], datetime] = {
        (customer_id, kind): at
        for customer_id, kind, at in await conn.execute(
            sa.select(e.c.customer_id, e.c.type, sa.func.max(e.c.occurred_at))
            .where(among(e.c.customer_id), e.c.type.in_(("purchase", "opt_in", "opt_out",
                                                          "club_join")))
            .group_by(e.c.customer_id, e.c.type)
        )
    }  # fmt: skip
    fusion: dict[str, list[tuple[int, datetime]]] = defaultdict(list)
    f = t.fusion_entries.c
    for customer_id, delta, at in await conn.execute(
        sa.select(f.customer_id, f.delta, f.occurred_at).where(among(f.customer_id))
    ):
        fusion[customer_id].append((delta, at))
    channels: dict[str, Any] = {}
    cc = t.conversation_channels.c
    for row in await conn.execute(
        sa.select(cc.customer_id, cc.sender_id, cc.channel, cc.last_seen_at)
        .where(among(cc.customer_id)).order_by(cc.last_seen_at)
    ):  # fmt: skip
        channels[row.customer_id] = row  # the most recent wins
    return {
        "points": points, "badges": badges, "latest": latest, "fusion": fusion,
        "channels": channels, "hours": await _busiest_hours(conn, among),
        "ignored": await _ignored_in_row(conn, among, now, zap_after),
    }  # fmt: skip


async def _busiest_hours(conn: AsyncConnection, among: Any) -> dict[str, int]:
    """The UTC hour each customer wrote most messages in (the earliest on a tie), for
    those who wrote at least ``ACTIVE_HOUR_MESSAGES`` in all."""
    a = t.customer_activity.c
    total: dict[str, int] = defaultdict(int)
    busiest: dict[str, int] = {}
    for customer_id, hour, messages in await conn.execute(
        sa.select(a.customer_id, a.hour, a.messages).where(among(a.customer_id))
        .order_by(a.customer_id, a.messages.desc(), a.hour)
    ):  # fmt: skip
        busiest.setdefault(customer_id, hour)
        total[customer_id] += messages
    return {c: hour for c, hour in busiest.items() if total[c] >= ACTIVE_HOUR_MESSAGES}


async def _ignored_in_row(
    conn: AsyncConnection, among: Any, now: datetime, most: int
) -> dict[str, int]:
    """How many of each customer's latest sent marketing nudges went unanswered, newest
    first, up to the first answered one; nudges sent in the last ``IGNORED_AFTER`` are
    not ignored yet and do not count. Only the latest ``most`` are read."""
    d = t.deliveries.c
    ranked = (
        sa.select(
            d.customer_id, d.answered_at,
            sa.func.row_number().over(partition_by=d.customer_id, order_by=d.sent_at.desc())
            .label("rank"),
        )
        .where(among(d.customer_id), d.marketing, d.status == "sent",
               d.sent_at < now - IGNORED_AFTER)
        .subquery()
    )  # fmt: skip
    ignored: dict[str, int] = {}
    answered: set[str] = set()
    for customer_id, answered_at in await conn.execute(
        sa.select(ranked.c.customer_id, ranked.c.answered_at)
        .where(ranked.c.rank <= max(1, most)).order_by(ranked.c.customer_id, ranked.c.rank)
    ):  # fmt: skip
        if customer_id in answered:
            continue
        if answered_at is not None:
            answered.add(customer_id)
            continue
        ignored[customer_id] = ignored.get(customer_id, 0) + 1
    return ignored


def _snapshot(
    row: Any, facts: dict[str, Any], now: datetime, brand_timezone: str, ladder: LadderCriteria
) -> CustomerSnapshot:
    cid = row.id
    channel = facts["channels"].get(cid)
    latest = facts["latest"]
    opted_in_at, opted_out_at = latest.get((cid, "opt_in")), latest.get((cid, "opt_out"))
    # the latest consent wins; at the same instant, the opt-out
    opted_out = opted_out_at is not None and (opted_in_at is None or opted_out_at >= opted_in_at)
    hour = facts["hours"].get(cid)
    name = row.name.split() if row.name else None
    return CustomerSnapshot(
        id=cid,
        stage=row.stage,
        fusion=_fusion(facts["fusion"].get(cid), now),
        days_since_purchase=_days(latest.get((cid, "purchase")), now),
        days_since_message=_days(channel.last_seen_at if channel else None, now),
        badges=frozenset(facts["badges"].get(cid, ())),
        language=row.language or "fr",
        channel=channel.channel if channel else None,
        opted_in=opted_in_at is not None and not opted_out,
        opted_out=opted_out,
        club_member=(cid, "club_join") in latest,
        zapped=is_zapped(
            {"opted_out": opted_out, "ignored_nudges_in_row": facts["ignored"].get(cid, 0)},
            ladder,
        ),
        timezone=row.timezone,
        active_hour=None if hour is None else _local_hour(hour, row.timezone, brand_timezone, now),
        first_name=name[0] if name else None,
        points=int(facts["points"].get(cid) or 0),
        extra={"sender_id": channel.sender_id if channel else None},
    )


def _fusion(entries: list[tuple[int, datetime]] | None, now: datetime) -> float:
    """``fusion_score(entries, now).value`` without its explanation, which planning does
    not read (tests/integration/test_planner.py checks that they agree)."""
    if not entries:
        return NEUTRAL
    total = 0.0
    for delta, at in entries:
        age_days = max(0.0, (now - at).total_seconds() / 86_400)
        total += delta * 0.5 ** (age_days / HALF_LIFE_DAYS)
    return round(min(100.0, max(0.0, NEUTRAL + total)), 1)


def _local_hour(utc_hour: int, zone: str | None, brand_timezone: str, now: datetime) -> int:
    """``utc_hour`` on the customer's wall clock (their time zone's offset at ``now``)."""
    moment = datetime.combine(now.date(), datetime.min.time(), timezone.utc)
    return (moment + timedelta(hours=utc_hour)).astimezone(zone_of(zone, brand_timezone)).hour


def _days(moment: datetime | None, now: datetime) -> int | None:
    if moment is None:
        return None
    return max(0, (now - moment).days)
