"""Customer snapshots for campaign planning, loaded a chunk of customers at a time so that
memory does not grow with the audience: a few queries per chunk, never one per customer."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa

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
    wanted = None if customer_ids is None else list(customer_ids)
    moment = _Now(now)
    after = ""
    while True:
        chunk = await _load(db, after, wanted, moment, ladder)
        for snapshot in _build(chunk, moment, brand_timezone, ladder):
            yield snapshot
        if len(chunk.rows) < CHUNK:
            return
        after = chunk.last


@dataclass(frozen=True)
class _Chunk:
    rows: Sequence[Any]
    facts: dict[str, dict[str, Any]]
    last: str


async def _load(
    db: Database, after: str, wanted: list[str] | None, now: _Now, ladder: LadderCriteria
) -> _Chunk:
    c = t.customers.c
    params: dict[str, Any] = {"after": after, "ignored_before": now.aware - IGNORED_AFTER,
                              "most": max(1, ladder.ignored_nudges_to_zap)}  # fmt: skip
    async with db.connect() as conn:
        if wanted is None:
            # a whole-table scan reads consecutive ids: the chunk is the range up to the
            # CHUNK-th id (or the end), cheaper than a list of 1,000 ids
            params["last"] = await conn.scalar(
                sa.select(c.id).where(c.id > after).order_by(c.id).offset(CHUNK - 1).limit(1)
            )  # fmt: skip
            queries = _TO_THE_END if params["last"] is None else _BY_RANGE
        else:
            queries = _BY_LIST
            params["ids"] = (await conn.execute(
                sa.select(c.id).where(c.id > after, c.id.in_(wanted)).order_by(c.id).limit(CHUNK)
            )).scalars().all()  # fmt: skip
        rows = (await conn.execute(queries.profiles, params)).all()
        if not rows:
            return _Chunk((), {}, after)
        badges: dict[str, list[str]] = defaultdict(list)
        for customer_id, badge in (await conn.execute(queries.badges, params)).all():
            badges[customer_id].append(badge)
        fusion: dict[str, list[tuple[int, datetime]]] = defaultdict(list)
        for customer_id, delta, at in (await conn.execute(queries.fusion, params)).all():
            fusion[customer_id].append((delta, at))
    return _Chunk(rows, {"badges": badges, "fusion": fusion}, rows[-1][0])


@dataclass(frozen=True)
class _Queries:
    profiles: Any
    badges: Any
    fusion: Any


def _queries(among: Callable[[Any], Any]) -> _Queries:
    """The statements that load a chunk (built once: building them per chunk cost more
    than running them). ``among(column)`` restricts ``column`` to the chunk's customers."""
    c, e, ledger, cc = t.customers.c, t.events.c, t.ledger_entries.c, t.conversation_channels.c
    points = (
        sa.select(ledger.customer_id, sa.func.sum(ledger.points).label("points"))
        .where(among(ledger.customer_id)).group_by(ledger.customer_id).subquery()
    )  # fmt: skip
    kinds = ("purchase", "opt_in", "opt_out", "club_join")
    latest = (
        sa.select(e.customer_id, *(
            sa.func.max(sa.case((e.type == kind, e.occurred_at))).label(kind) for kind in kinds
        )).where(among(e.customer_id), e.type.in_(kinds)).group_by(e.customer_id).subquery()
    )  # fmt: skip
    opted_in, opted_out = latest.c.opt_in, latest.c.opt_out
    consent = sa.case(  # the latest wins; at the same instant, the opt-out
        (opted_out.isnot(None) & (opted_in.is_(None) | (opted_out >= opted_in)), "opt_out"),
        (opted_in.isnot(None), "opt_in"),
    )
    talks = t.conversation_channels.alias("talks")
    latest_conversation = (
        sa.select(talks.c.sender_id).where(talks.c.customer_id == c.id)
        .order_by(talks.c.last_seen_at.desc(), talks.c.sender_id.desc()).limit(1)
        .correlate(t.customers).scalar_subquery()
    )  # fmt: skip
    hours, ignored = _busiest_hour(among), _ignored_in_row(among)
    # one row per customer: their record and every fact that is one value
    profiles = (
        sa.select(
            c.id, c.stage, c.language, c.timezone, c.name, points.c.points,
            _plain(latest.c.purchase), consent, latest.c.club_join.isnot(None),
            cc.sender_id, cc.channel, _plain(cc.last_seen_at), hours.c.hour, ignored.c.ignored,
        )
        .select_from(
            t.customers.outerjoin(points, points.c.customer_id == c.id)
            .outerjoin(latest, latest.c.customer_id == c.id)
            .outerjoin(t.conversation_channels, cc.sender_id == latest_conversation)
            .outerjoin(hours, hours.c.customer_id == c.id)
            .outerjoin(ignored, ignored.c.customer_id == c.id)
        )
        .where(among(c.id)).order_by(c.id)
    )  # fmt: skip
    cb, f = t.customer_badges.c, t.fusion_entries.c
    return _Queries(
        profiles,
        badges=sa.select(cb.customer_id, cb.badge_id).where(among(cb.customer_id)),
        fusion=sa.select(f.customer_id, f.delta, _plain(f.occurred_at)).where(among(f.customer_id)),
    )


def _busiest_hour(among: Callable[[Any], Any]) -> Any:
    """The UTC hour each customer wrote most messages in (the earliest of a tie), for
    those who wrote at least ``ACTIVE_HOUR_MESSAGES`` in all."""
    a = t.customer_activity.c
    busiest = (
        sa.select(a.customer_id, sa.func.max(a.messages).label("messages"))
        .where(among(a.customer_id)).group_by(a.customer_id)
        .having(sa.func.sum(a.messages) >= ACTIVE_HOUR_MESSAGES).subquery()
    )  # fmt: skip
    return (
        sa.select(a.customer_id, sa.func.min(a.hour).label("hour"))
        .join(busiest, (busiest.c.customer_id == a.customer_id)
              & (busiest.c.messages == a.messages))
        .where(among(a.customer_id)).group_by(a.customer_id).subquery()
    )  # fmt: skip


def _ignored_in_row(among: Callable[[Any], Any]) -> Any:
    """How many of each customer's latest sent marketing nudges went unanswered, newest
    first, up to the first answered one (the latest ``most`` only); nudges sent after
    ``ignored_before`` are not ignored yet, and do not count."""
    d = t.deliveries.c
    ranked = (
        sa.select(
            d.customer_id, d.answered_at,
            sa.func.row_number().over(partition_by=d.customer_id, order_by=d.sent_at.desc())
            .label("rank"),
        )
        .where(among(d.customer_id), d.marketing, d.status == "sent",
               d.sent_at < sa.bindparam("ignored_before", type_=t.deliveries.c.sent_at.type))
        .subquery()
    )  # fmt: skip
    first_answered = sa.func.min(sa.case((ranked.c.answered_at.isnot(None), ranked.c.rank)))
    return (
        sa.select(ranked.c.customer_id,
                  sa.func.coalesce(first_answered - 1, sa.func.count()).label("ignored"))
        .where(ranked.c.rank <= sa.bindparam("most")).group_by(ranked.c.customer_id)
        .subquery()
    )  # fmt: skip


def _plain(column: Any) -> Any:
    """A moment read as the driver gives it (naive UTC on SQLite; see ``_Now``): skips
    ``UtcDateTime``'s conversion, the largest cost of reading a hundred thousand rows."""
    return sa.type_coerce(column, sa.DateTime())


_BY_RANGE = _queries(
    lambda column: (column > sa.bindparam("after")) & (column <= sa.bindparam("last"))
)
_TO_THE_END = _queries(lambda column: column > sa.bindparam("after"))
_BY_LIST = _queries(lambda column: column.in_(sa.bindparam("ids", expanding=True)))


def _build(
    chunk: _Chunk, now: _Now, brand_timezone: str, ladder: LadderCriteria
) -> list[CustomerSnapshot]:
    if not chunk.rows:
        return []
    fusion, badges = chunk.facts["fusion"], chunk.facts["badges"]
    zapped: dict[tuple[bool, int], bool] = {}
    local_hours: dict[tuple[int, str | None], int] = {}
    built = []
    for row in chunk.rows:
        (cid, stage, language, zone, name, points, purchased_at, consent, club, sender_id,
         channel, last_seen_at, hour, ignored) = row  # fmt: skip
        opted_out = consent == "opt_out"
        key = (opted_out, ignored or 0)
        if key not in zapped:
            zapped[key] = is_zapped({"opted_out": key[0], "ignored_nudges_in_row": key[1]}, ladder)
        if hour is not None:
            if (hour, zone) not in local_hours:
                local_hours[hour, zone] = _local_hour(hour, zone, brand_timezone, now.aware)
            hour = local_hours[hour, zone]
        names = name.split() if name else None
        built.append(CustomerSnapshot(
            id=cid,
            stage=stage,
            fusion=_fusion(fusion.get(cid), now),
            days_since_purchase=None if purchased_at is None else now.days_since(purchased_at),
            days_since_message=None if last_seen_at is None else now.days_since(last_seen_at),
            last_message_at=_aware(last_seen_at),
            badges=frozenset(badges.get(cid, ())),
            language=language or "fr",
            channel=channel,
            opted_in=consent == "opt_in",
            opted_out=opted_out,
            club_member=bool(club),
            zapped=zapped[key],
            timezone=zone,
            active_hour=hour,
            first_name=names[0] if names else None,
            points=int(points or 0),
            extra={"sender_id": sender_id},
        ))  # fmt: skip
    return built


class _Now:
    """``now``, to subtract moments read with ``_plain`` (naive means UTC) from it."""

    def __init__(self, now: datetime) -> None:
        self.aware = now
        self.naive = now.astimezone(timezone.utc).replace(tzinfo=None)

    def since(self, moment: datetime) -> timedelta:
        return (self.naive if moment.tzinfo is None else self.aware) - moment

    def days_since(self, moment: datetime) -> int:
        return max(0, self.since(moment).days)


def _aware(moment: datetime | None) -> datetime | None:
    """A moment read with ``_plain`` (naive means UTC), aware."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)


def _fusion(entries: list[tuple[int, datetime]] | None, now: _Now) -> float:
    """``fusion_score(entries, now).value`` without its explanation, which planning does
    not read (tests/integration/test_planner.py checks that they agree)."""
    if not entries:
        return NEUTRAL
    total = 0.0
    for delta, at in entries:
        age = now.since(at).total_seconds()
        total += delta * 0.5 ** (age / _HALF_LIFE_S) if age > 0 else delta
    return round(min(100.0, max(0.0, NEUTRAL + total)), 1)


_HALF_LIFE_S = HALF_LIFE_DAYS * 86_400


def _local_hour(utc_hour: int, zone: str | None, brand_timezone: str, now: datetime) -> int:
    """``utc_hour`` on the customer's wall clock, at their time zone's offset at ``now``."""
    offset = now.astimezone(zone_of(zone, brand_timezone)).utcoffset() or timedelta(0)
    return int((timedelta(hours=utc_hour) + offset).total_seconds() // 3600) % 24
