"""Points expiry (README: rules): which points expire, and which customers to warn. Pure.

Each award is a lot that expires ``after_days`` after it was earned. Reversals and expiries
name the lot they take from; any other debit takes from the oldest lots first. What is left
of a lot past its date expires; what is left of a lot within ``warn_days`` of its date is
announced once, so the customer hears about it before it happens.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from engagement.rules import PointsExpiry


@dataclass(frozen=True)
class LedgerEntry:
    id: int
    points: int
    kind: str
    created_at: datetime
    reverses_entry_id: int | None = None


@dataclass(frozen=True)
class Lot:
    entry_id: int
    points_left: int
    expires_at: datetime


@dataclass(frozen=True)
class ExpiryPlan:
    expire: tuple[Lot, ...]
    warn: tuple[Lot, ...]

    @property
    def points_to_expire(self) -> int:
        return sum(lot.points_left for lot in self.expire)

    @property
    def points_to_warn(self) -> int:
        return sum(lot.points_left for lot in self.warn)


def open_lots(entries: Iterable[LedgerEntry], policy: PointsExpiry) -> list[Lot]:
    """What is left of each award after every debit, oldest first."""
    ordered = sorted(entries, key=lambda e: (_aware(e.created_at), e.id))
    left: dict[int, int] = {}
    earned: dict[int, datetime] = {}
    for entry in ordered:
        if entry.points > 0:
            left[entry.id] = entry.points
            earned[entry.id] = _aware(entry.created_at)
        elif entry.reverses_entry_id in left:
            lot = entry.reverses_entry_id
            left[lot] = max(0, left[lot] + entry.points)
        else:
            debit = -entry.points
            for lot in left:
                taken = min(debit, left[lot])
                left[lot] -= taken
                debit -= taken
                if not debit:
                    break
    after = timedelta(days=policy.after_days)
    return [Lot(lot, points, earned[lot] + after) for lot, points in left.items() if points > 0]


def plan_expiry(entries: Iterable[LedgerEntry], policy: PointsExpiry, now: datetime) -> ExpiryPlan:
    lots = open_lots(entries, policy)
    now = _aware(now)
    warn_from = timedelta(days=policy.warn_days)
    return ExpiryPlan(
        expire=tuple(lot for lot in lots if lot.expires_at <= now),
        warn=tuple(lot for lot in lots if now < lot.expires_at <= now + warn_from),
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
