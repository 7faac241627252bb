"""Rule evaluation: pure functions of the rules, the event, the customer, usage and ``now``.

``evaluate`` decides one event; ``evaluate_stream`` decides a stream of events while keeping
limits, budgets and badges in memory, which is what a dry-run and a back-test need.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engagement.rules.model import Rule, RuleSet

AWARDED = "awarded"
NOT_ELIGIBLE = "not_eligible"
CAPPED = "capped"
OVER_BUDGET = "over_budget"
NO_CONSENT = "no_consent"
ALREADY_EARNED = "already_earned"


@dataclass(frozen=True, slots=True)
class EventFacts:
    id: str
    type: str
    occurred_at: datetime
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    id: str
    counters: Mapping[str, Any]


@dataclass(frozen=True)
class Usage:
    """What limits and budgets have used so far.

    ``per_customer[(rule_id, period_key)]`` counts this customer's awards;
    ``budget_left[(rule_id, period_key)]`` is (points left, coupons left), None = unbounded.
    A key that is absent means nothing was used yet.
    """

    per_customer: Mapping[tuple[str, str], int] = field(default_factory=dict)
    budget_left: Mapping[tuple[str, str], tuple[int | None, int | None]] = field(
        default_factory=dict
    )


@dataclass(frozen=True, slots=True)
class Decision:
    event_id: str
    rule_id: str
    outcome: str
    reason: str
    points: int = 0
    badge: str | None = None
    coupon: str | None = None
    fusion: int = 0
    period_key: str = ""


def evaluate(
    rules: RuleSet,
    event: EventFacts,
    customer: CustomerFacts,
    usage: Usage,
    now: datetime | None,
) -> list[Decision]:
    """One decision per rule listening to the event's type: awarded, or why not."""
    return [_decide(rule, event, customer, usage) for rule in rules.for_event(event.type)]


def _decide(rule: Rule, event: EventFacts, customer: CustomerFacts, usage: Usage) -> Decision:
    data, counters = event.data, customer.counters
    for condition in rule.conditions:
        if not condition.check(data, counters):
            return Decision(event.id, rule.id, NOT_ELIGIBLE, f"not met: {condition.describe()}")
    if rule.requires_consent and not counters.get("opted_in"):
        return Decision(event.id, rule.id, NO_CONSENT, "needs the customer's consent")
    points = rule.points_for(data)
    gives_more = points or rule.coupon or rule.fusion
    if rule.badge and not gives_more and rule.badge in counters.get("badges", ()):
        return Decision(event.id, rule.id, ALREADY_EARNED, f"badge {rule.badge} already earned")
    key = ""
    if rule.limit is not None:
        key = rule.limit.period_key(event.occurred_at)
        if usage.per_customer.get((rule.id, key), 0) >= rule.limit.count:
            reason = f"limit of {rule.limit.count} per {rule.limit.per} reached"
            return Decision(event.id, rule.id, CAPPED, reason, period_key=key)
    if rule.budget is not None:
        budget_key = rule.budget.period_key(event.occurred_at)
        points_left, coupons_left = usage.budget_left.get((rule.id, budget_key), (None, None))
        if points_left is None and rule.budget.points is not None:
            points_left = rule.budget.points
        if coupons_left is None and rule.budget.coupons is not None:
            coupons_left = rule.budget.coupons
        if (points_left is not None and points > points_left) or (
            coupons_left is not None and rule.coupon and coupons_left < 1
        ):
            reason = f"budget per {rule.budget.per} spent"
            return Decision(event.id, rule.id, OVER_BUDGET, reason, period_key=key)
    return Decision(
        event.id, rule.id, AWARDED, "conditions met", points, rule.badge, rule.coupon,
        rule.fusion, key,
    )  # fmt: skip


class StreamEvaluator:
    """Decides events one after the other, counting limits, budgets and badges as it goes."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self._per_customer: dict[str, dict[tuple[str, str], int]] = {}
        self._budget_left: dict[tuple[str, str], tuple[int | None, int | None]] = {}
        self._badges: dict[str, set[str]] = {}

    def decide(self, event: EventFacts, customer: CustomerFacts) -> list[Decision]:
        listening = self.rules.for_event(event.type)
        if not listening:
            return []
        used = self._per_customer.setdefault(customer.id, {})
        earned = self._badges.get(customer.id)
        if earned:
            counters = dict(customer.counters)
            counters["badges"] = frozenset(counters.get("badges", ())) | earned
            customer = CustomerFacts(customer.id, counters)
        usage = Usage(used, self._budget_left)
        decisions = []
        for rule in listening:
            decision = _decide(rule, event, customer, usage)
            if decision.outcome == AWARDED:
                _consume(rule, decision, event, used, self._budget_left)
                if decision.badge:
                    self._badges.setdefault(customer.id, set()).add(decision.badge)
            decisions.append(decision)
        return decisions


def evaluate_stream(
    rules: RuleSet,
    pairs: Iterable[tuple[EventFacts, CustomerFacts]],
    now: datetime | None,
) -> Iterator[Decision]:
    """Decisions for events in order, counting limits, budgets and badges as they go."""
    evaluator = StreamEvaluator(rules)
    for event, customer in pairs:
        yield from evaluator.decide(event, customer)


def _consume(
    rule: Rule,
    decision: Decision,
    event: EventFacts,
    used: dict[tuple[str, str], int],
    budget_left: dict[tuple[str, str], tuple[int | None, int | None]],
) -> None:
    if rule.limit is not None:
        key = (rule.id, decision.period_key)
        used[key] = used.get(key, 0) + 1
    if rule.budget is not None:
        key = (rule.id, rule.budget.period_key(event.occurred_at))
        points_left, coupons_left = budget_left.get(key, (rule.budget.points, rule.budget.coupons))
        budget_left[key] = (
            None if points_left is None else points_left - decision.points,
            None if coupons_left is None else coupons_left - (1 if decision.coupon else 0),
        )
