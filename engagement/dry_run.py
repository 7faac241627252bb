"""What a rules file would award over a list of events: the pure core of dry-run and back-test."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from engagement.commerce import COMMERCE_EVENT_TYPES, InvalidField, parse_commerce_event
from engagement.rewards import customer_counters
from engagement.rules import CustomerFacts, Decision, EventFacts, RuleSet, StreamEvaluator

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


class Replay:
    """Feeds events in order through ``rules``, as if the store started empty."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.report = DryRunReport()
        self._evaluator = StreamEvaluator(rules)
        self._counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._balances: Counter[str] = Counter()
        self._consent: dict[str, str] = {}
        self._placed_at: dict[str, datetime] = {}
        self._purchase_months: defaultdict[str, set[str]] = defaultdict(set)

    def feed(self, event: ReplayedEvent) -> None:
        self.report.events += 1
        customer = event.customer_id
        self._counts[customer][event.type] += 1
        if event.type in ("opt_in", "opt_out"):
            self._consent[customer] = event.type
        month = event.occurred_at.astimezone(timezone.utc).strftime("%Y-%m")
        if event.type == "purchase":
            self._purchase_months[customer].add(month)
        counters = customer_counters(
            dict(self._counts[customer]), self._balances[customer], frozenset(), None,
            self._consent.get(customer), self._purchase_months[customer], month,
        )  # fmt: skip
        facts = self._with_delivery_time(event)
        decisions = self._evaluator.decide(
            EventFacts(event.id, event.type, event.occurred_at, facts),
            CustomerFacts(customer, counters),
        )
        for decision in decisions:
            self._count(decision, customer, event.basket)

    def _with_delivery_time(self, event: ReplayedEvent) -> dict[str, Any]:
        order = event.facts.get("order") or {}
        order_id = order.get("id")
        if event.type == "purchase" and order_id:
            self._placed_at.setdefault(order_id, event.occurred_at)
        if event.type == "delivery" and order_id in self._placed_at:
            days = (event.occurred_at - self._placed_at[order_id]).days
            return {**event.facts, "order": {**order, "days_to_deliver": days}}
        return event.facts

    def _count(self, decision: Decision, customer: str, basket: Decimal | None) -> None:
        report = self.report
        report.outcomes[decision.outcome] += 1
        if decision.outcome != "awarded":
            return
        report.customers.add(customer)
        report.points[decision.rule_id] += decision.points
        self._balances[customer] += decision.points
        if decision.badge:
            report.badges[decision.rule_id] += 1
        if decision.coupon:
            report.coupons[decision.rule_id] += 1
            template = self.rules.coupons[decision.coupon]
            paid = basket or template.min_basket
            report.coupon_cost += (
                template.value if template.kind == "amount" else paid * template.value / 100
            )


def dry_run(rules: RuleSet, events: Iterable[ReplayedEvent]) -> DryRunReport:
    """What ``rules`` would award over ``events``, replayed in order from an empty store."""
    replay = Replay(rules)
    for event in events:
        replay.feed(event)
    return replay.report


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
        facts=dict(data.get("facts") or data.get("data") or {}),
        basket=None,
    )


def stored_event(
    event_id: str, type_: str, customer_id: str, occurred_at: datetime, payload: dict[str, Any]
) -> ReplayedEvent:
    """An event as the events table keeps it (the raw body for the shop's events)."""
    if type_ in COMMERCE_EVENT_TYPES:
        return replayed_event(payload)
    facts = dict(payload.get("facts") or {})
    return ReplayedEvent(event_id, type_, customer_id, occurred_at, facts, None)
