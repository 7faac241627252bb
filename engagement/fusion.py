"""The fusion score (README: rules): 0–100, moved by events, decaying toward neutral. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

NEUTRAL = 50.0
HALF_LIFE_DAYS = 90.0


@dataclass(frozen=True)
class FusionEntry:
    event_id: str
    event_type: str
    delta: int
    occurred_at: datetime


@dataclass(frozen=True)
class Contribution:
    event_id: str
    event_type: str
    delta: int
    weight_now: float


@dataclass(frozen=True)
class FusionScore:
    value: float
    explanation: tuple[Contribution, ...]


def fusion_score(
    entries: Iterable[FusionEntry], now: datetime, *, half_life_days: float = HALF_LIFE_DAYS
) -> FusionScore:
    """Each entry's delta fades by half every ``half_life_days``; the sum moves the neutral
    value, clamped to 0–100. The explanation lists what makes the score, largest first."""
    contributions = []
    for entry in entries:
        age_days = max(0.0, (now - _aware(entry.occurred_at)).total_seconds() / 86_400)
        weight = entry.delta * 0.5 ** (age_days / half_life_days)
        contributions.append(Contribution(entry.event_id, entry.event_type, entry.delta, weight))
    value = min(100.0, max(0.0, NEUTRAL + sum(c.weight_now for c in contributions)))
    contributions.sort(key=lambda c: abs(c.weight_now), reverse=True)
    return FusionScore(round(value, 1), tuple(contributions))


def brand_score(customer_scores: Iterable[float]) -> float | None:
    """The mean over active customers; None when there is none."""
    scores = list(customer_scores)
    return round(sum(scores) / len(scores), 1) if scores else None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
