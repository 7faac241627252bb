"""The brand week by week (README: rules), pure: the ladder as it stood at the end of each
week, the brand fusion score at each week's end, rewards issued per week.

Weeks start on Monday, 00:00 UTC; a week is named by the date it starts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal

from engagement.fusion import FusionEntry, brand_score, fusion_score
from engagement.ladder import STAGES

ACTIVE_DAYS = 90  # a customer counts in the brand score if they did something this recently


def week_starts(now: datetime, weeks: int) -> list[datetime]:
    """The Mondays (00:00 UTC) of the last ``weeks`` weeks, the current one last."""
    today = now.astimezone(timezone.utc).date()
    monday = today - timedelta(days=today.weekday())
    return [
        datetime.combine(monday - timedelta(weeks=back), time(), timezone.utc)
        for back in range(weeks - 1, -1, -1)
    ]


def week_of(moment: datetime, starts: Sequence[datetime]) -> int | None:
    """The index of the week ``moment`` falls in, None before the first one."""
    found = None
    for index, start in enumerate(starts):
        if moment >= start:
            found = index
    return found


@dataclass(frozen=True)
class StageMove:
    customer_id: str
    to_stage: str
    at: datetime


def funnel_by_week(
    joined: Iterable[tuple[str, datetime]], moves: Iterable[StageMove], ends: Sequence[datetime]
) -> list[dict[str, int]]:
    """How many customers stood on each stage at each of ``ends`` (sorted): ``joined`` says
    when each customer appeared (on the first stage), ``moves`` their steps since."""
    timeline: list[tuple[datetime, int, str, str]] = [(at, 0, who, STAGES[0]) for who, at in joined]
    timeline += [(m.at, 1, m.customer_id, m.to_stage) for m in moves]
    timeline.sort(key=lambda item: (item[0], item[1]))
    stage: dict[str, str] = {}
    counts: Counter[str] = Counter()
    result, position = [], 0
    for end in ends:
        while position < len(timeline) and timeline[position][0] < end:
            _, _, who, to = timeline[position]
            if who in stage:
                counts[stage[who]] -= 1
            stage[who] = to
            counts[to] += 1
            position += 1
        result.append({name: counts[name] for name in STAGES})
    return result


def fusion_by_week(
    entries: Iterable[tuple[str, FusionEntry]],
    activity: Iterable[tuple[str, datetime]],
    ends: Sequence[datetime],
) -> list[float | None]:
    """The brand score at each of ``ends``: the mean score of the customers active in the
    90 days before it, each scored with what had happened by then."""
    by_customer: defaultdict[str, list[FusionEntry]] = defaultdict(list)
    for customer, entry in entries:
        by_customer[customer].append(entry)
    seen: defaultdict[str, list[datetime]] = defaultdict(list)
    for customer, at in activity:
        seen[customer].append(at)
    scores: list[float | None] = []
    for end in ends:
        since = end - timedelta(days=ACTIVE_DAYS)
        active = [who for who, moments in seen.items() if any(since <= m < end for m in moments)]
        scores.append(brand_score(
            fusion_score([e for e in by_customer.get(who, ()) if e.occurred_at < end], end).value
            for who in active
        ))  # fmt: skip
    return scores


@dataclass
class WeekRewards:
    points: int = 0
    coupons: int = 0
    cost: Decimal = Decimal(0)


def rewards_by_week(
    points: Iterable[tuple[datetime, int]],
    coupons: Iterable[tuple[datetime, Decimal]],
    starts: Sequence[datetime],
    point_value: Decimal,
) -> list[WeekRewards]:
    """Points awarded (net of reversals) and coupons issued per week, and what they cost:
    each point at ``point_value``, each coupon at its estimated value."""
    weeks = [WeekRewards() for _ in starts]
    for at, amount in points:
        index = week_of(at, starts)
        if index is not None:
            weeks[index].points += amount
            weeks[index].cost += amount * point_value
    for at, value in coupons:
        index = week_of(at, starts)
        if index is not None:
            weeks[index].coupons += 1
            weeks[index].cost += value
    return weeks

