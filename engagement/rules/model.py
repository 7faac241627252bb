"""What a reward-rules file means once parsed: rules, badges, coupon templates, policies."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

PERIODS = ("day", "week", "month", "year", "ever")

# A compiled condition: (description, test of (event data, customer counters)).
Check = Callable[[Mapping[str, Any], Mapping[str, Any]], bool]


def period_key(per: str, moment: datetime) -> str:
    """The bucket of ``moment`` (in UTC) for a limit or budget ``per`` period."""
    at = moment.astimezone(timezone.utc) if moment.tzinfo else moment
    match per:
        case "day":
            return at.strftime("%Y-%m-%d")
        case "week":
            year, week, _ = at.isocalendar()
            return f"{year}-W{week:02d}"
        case "month":
            return at.strftime("%Y-%m")
        case "year":
            return at.strftime("%Y")
    return "ever"


@dataclass(frozen=True)
class Limit:
    """At most ``count`` awards of a rule to one customer per period."""

    count: int
    per: str

    def period_key(self, moment: datetime) -> str:
        return period_key(self.per, moment)


@dataclass(frozen=True)
class Budget:
    """What a rule may hand out in total per period (points, coupons, or both)."""

    per: str
    points: int | None = None
    coupons: int | None = None

    def period_key(self, moment: datetime) -> str:
        return period_key(self.per, moment)


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any
    check: Check = dataclasses.field(compare=False, repr=False)

    def describe(self) -> str:
        return f"{self.field} {self.op} {self.value!r}"


@dataclass(frozen=True)
class Rule:
    id: str
    on: str
    conditions: tuple[Condition, ...] = ()
    points: int = 0
    points_per_euro: Decimal | None = None
    max_points: int | None = None
    badge: str | None = None
    coupon: str | None = None
    fusion: int = 0
    limit: Limit | None = None
    budget: Budget | None = None
    requires_consent: bool = False
    line: int = 0
    description_fr: str | None = None
    description_en: str | None = None

    def describe(self, language: str | None) -> str:
        """What customers are told the rule is (its id when it has no description)."""
        text = self.description_en if language == "en" else self.description_fr
        return text or self.id

    def points_for(self, event: Mapping[str, Any]) -> int:
        points = self.points
        if self.points_per_euro is not None:
            total = (event.get("order") or {}).get("total") or 0
            points += int(Decimal(str(total)) * self.points_per_euro)
        if self.max_points is not None:
            points = min(points, self.max_points)
        return points


@dataclass(frozen=True)
class Badge:
    id: str
    fr: str
    en: str

    def name(self, language: str | None) -> str:
        return self.en if language == "en" else self.fr


@dataclass(frozen=True)
class CouponTemplate:
    id: str
    kind: str  # "percent" or "amount"
    value: Decimal
    valid_days: int
    min_basket: Decimal = Decimal(0)


@dataclass(frozen=True)
class PointsExpiry:
    """Points expire ``after_days`` after they were earned; warn ``warn_days`` before."""

    after_days: int
    warn_days: int


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    badges: Mapping[str, Badge]
    coupons: Mapping[str, CouponTemplate]
    points_expiry: PointsExpiry | None = None
    ladder: Mapping[str, int] = field(default_factory=dict)
    by_event: Mapping[str, tuple[Rule, ...]] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, rules: tuple[Rule, ...], **rest: Any) -> RuleSet:
        by_event: dict[str, list[Rule]] = {}
        for rule in rules:
            by_event.setdefault(rule.on, []).append(rule)
        return cls(rules, by_event={k: tuple(v) for k, v in by_event.items()}, **rest)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def for_event(self, event_type: str) -> tuple[Rule, ...]:
        return self.by_event.get(event_type, ())


@dataclass(frozen=True)
class Problem:
    line: int
    message: str


class RulesFileInvalid(ValueError):
    """A rules file with problems; every problem has its line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: p.line)
        super().__init__("; ".join(f"line {p.line}: {p.message}" for p in self.problems))
