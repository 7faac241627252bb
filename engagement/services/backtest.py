"""Back-test: a candidate rules file and the rules in force, replayed over stored events.

The same pure replay as the dry-run (``engagement.dry_run``), fed from the events table in
chunks so a month of events never sits in memory at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from engagement.dry_run import DryRunReport, Replay, stored_event
from engagement.rules import RuleSet
from engagement.services.rules_book import RulesBook
from engagement.storage import tables as t
from engagement.storage.database import Database

CHUNK = 2_000


@dataclass(frozen=True)
class Backtest:
    since: datetime
    version_in_force: int
    candidate: DryRunReport
    in_force: DryRunReport


async def backtest(
    db: Database,
    rules_book: RulesBook,
    candidate: RuleSet,
    since: datetime,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> Backtest:
    """Replays every event stored since ``since``; ``progress(done, total)`` after each chunk."""
    e = t.events.c
    async with db.connect() as conn:
        in_force = await rules_book.in_force(conn)
        total = int(
            await conn.scalar(sa.select(sa.func.count()).where(e.occurred_at >= since)) or 0
        )
    replays = (Replay(candidate), Replay(in_force.rules))
    done, after = 0, None
    while True:
        query = sa.select(e.occurred_at, e.id, e.type, e.customer_id, e.payload).where(
            e.occurred_at >= since
        )
        if after is not None:
            query = query.where(sa.tuple_(e.occurred_at, e.id) > sa.tuple_(*after))
        async with db.connect() as conn:
            rows = (await conn.execute(query.order_by(e.occurred_at, e.id).limit(CHUNK))).all()
        if not rows:
            break
        for row in rows:
            event = stored_event(row.id, row.type, row.customer_id, row.occurred_at, row.payload)
            for replay in replays:
                replay.feed(event)
        done += len(rows)
        after = (rows[-1].occurred_at, rows[-1].id)
        progress(done, total)
    return Backtest(since, in_force.version, replays[0].report, replays[1].report)


def render_comparison(result: Backtest, candidate_name: str) -> str:
    new, old = result.candidate, result.in_force
    rows: list[tuple[str, int | Decimal, int | Decimal]] = [
        ("awards", new.outcomes["awarded"], old.outcomes["awarded"]),
        ("points", sum(new.points.values()), sum(old.points.values())),
        ("points liability (€)", new.points_liability, old.points_liability),
        ("coupons", sum(new.coupons.values()), sum(old.coupons.values())),
        ("coupon cost (€)", new.coupon_cost, old.coupon_cost),
        ("badges", sum(new.badges.values()), sum(old.badges.values())),
        ("customers rewarded", len(new.customers), len(old.customers)),
    ]
    header = (
        f"back-test of {candidate_name} over {new.events} events since "
        f"{result.since:%Y-%m-%d}, against the rules in force (version {result.version_in_force})"
    )
    lines = [header, f"{'':<22}{'candidate':>14}{'in force':>14}{'difference':>14}"]
    for label, candidate, current in rows:
        lines.append(
            f"{label:<22}{_figure(candidate):>14}{_figure(current):>14}"
            f"{_figure(candidate - current, signed=True):>14}"
        )
    changed = sorted(
        rule
        for rule in set(new.points) | set(old.points) | set(new.coupons) | set(old.coupons)
        if (new.points[rule], new.coupons[rule]) != (old.points[rule], old.coupons[rule])
    )
    for rule in changed:
        lines.append(
            f"  {rule}: points {old.points[rule]} → {new.points[rule]}, "
            f"coupons {old.coupons[rule]} → {new.coupons[rule]}"
        )
    return "\n".join(lines)


def _figure(value: object, *, signed: bool = False) -> str:
    if isinstance(value, int):
        return f"{value:+,}" if signed else f"{value:,}"
    return f"{value:+,.2f}" if signed else f"{value:,.2f}"
