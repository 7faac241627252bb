"""What a rules file would award over a list of events: the pure core of dry-run and back-test."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from engagement.commerce import COMMERCE_EVENT_TYPES, InvalidField, parse_commerce_event
from engagement.rewards import customer_counters
from engagement.rules import CustomerFacts, Decision, EventFacts, RuleSet, evaluate_stream

POINT_VALUE = Decimal("0.01")  # what one point costs the brand, for the liability figure


@dataclass(frozen=True)
class ReplayedEvent:
    id: str
    type: str
    customer_id: str
    occurred_at: datetime
    facts: dict[str, Any]
    basket: Decimal | None


@dataclass
class DryRunReport:
    events: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    points: Counter[str] = field(default_factory=Counter)
    coupons: Counter[str] = field(default_factory=Counter)
    badges: Counter[str] = field(default_factory=Counter)
    coupon_cost: Decimal = Decimal(0)
    customers: set[str] = field(default_factory=set)

    @property
    def points_liability(self) -> Decimal:
        return sum(self.points.values()) * POINT_VALUE

    def render(self) -> str:
        lines = [f"{self.events} events, {len(self.customers)} customers rewarded"]
        for rule in sorted(set(self.points) | set(self.coupons) | set(self.badges)):
            lines.append(
                f"  {rule:<32} points={self.points[rule]:<8} coupons={self.coupons[rule]:<6} "
                f"badges={self.badges[rule]}"
            )
        outcomes = ", ".join(f"{k}={v}" for k, v in sorted(self.outcomes.items()))
        lines.append(f"decisions: {outcomes or 'none'}")
        lines.append(
            f"points liability: {sum(self.points.values())} points = {self.points_liability:.2f} €;"
            f" coupons: {sum(self.coupons.values())} worth about {self.coupon_cost:.2f} €"
        )
        return "\n".join(lines)


def dry_run(rules: RuleSet, events: Iterable[ReplayedEvent]) -> DryRunReport:
    """Replays ``events`` in order through ``rules``, as if the store started empty."""
    report = DryRunReport()
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    baskets: dict[str, Decimal | None] = {}
    balances: Counter[str] = Counter()
    consent: dict[str, str] = {}

    def facts() -> Iterator[tuple[EventFacts, CustomerFacts]]:
        for event in events:
            report.events += 1
            counts[event.customer_id][event.type] += 1
            if event.type in ("opt_in", "opt_out"):
                consent[event.customer_id] = event.type
            baskets[event.id] = event.basket
            counters = customer_counters(
                dict(counts[event.customer_id]), balances[event.customer_id], frozenset(), None,
                consent.get(event.customer_id),
            )
            yield (
                EventFacts(event.id, event.type, event.occurred_at, event.facts),
                CustomerFacts(event.customer_id, counters),
            )

    customer_of: dict[str, str] = {}
    for decision in evaluate_stream(rules, _remember(facts(), customer_of), None):
        _count(report, rules, decision, customer_of, baskets, balances)
    return report


def _remember(
    pairs: Iterator[tuple[EventFacts, CustomerFacts]], customer_of: dict[str, str]
) -> Iterator[tuple[EventFacts, CustomerFacts]]:
    for event, customer in pairs:
        customer_of[event.id] = customer.id
        yield event, customer


def _count(
    report: DryRunReport,
    rules: RuleSet,
    decision: Decision,
    customer_of: dict[str, str],
    baskets: dict[str, Decimal | None],
    balances: Counter[str],
) -> None:
    report.outcomes[decision.outcome] += 1
    if decision.outcome != "awarded":
        return
    customer = customer_of[decision.event_id]
    report.customers.add(customer)
    report.points[decision.rule_id] += decision.points
    balances[customer] += decision.points
    if decision.badge:
        report.badges[decision.rule_id] += 1
    if decision.coupon:
        report.coupons[decision.rule_id] += 1
        template = rules.coupons[decision.coupon]
        basket = baskets.get(decision.event_id) or template.min_basket
        report.coupon_cost += (
            template.value if template.kind == "amount" else basket * template.value / 100
        )


def read_events(path: Path) -> Iterator[ReplayedEvent]:
    with path.open() as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                try:
                    yield replayed_event(json.loads(line))
                except (ValueError, InvalidField) as exc:
                    raise ValueError(f"{path}:{number}: {exc}") from None


def replayed_event(data: dict[str, Any]) -> ReplayedEvent:
    """An event as stored or as exported: a commerce event, or a conversation event."""
    if data.get("type") in COMMERCE_EVENT_TYPES:
        event = parse_commerce_event(json.dumps(data).encode())
        return ReplayedEvent(
            event.id, event.type, event.customer.id, event.occurred_at, event.facts(),
            event.order.total,
        )  # fmt: skip
    customer = data.get("customer") or {}
    return ReplayedEvent(
        id=str(data["id"]),
        type=str(data["type"]),
        customer_id=str(customer.get("id") or data.get("customer_id")),
        occurred_at=datetime.fromisoformat(str(data["occurred_at"]).replace("Z", "+00:00")),
        facts=dict(data.get("data") or {}),
        basket=None,
    )
