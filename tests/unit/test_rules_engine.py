"""Rule evaluation: awarded, or exactly why not — a pure function of data and time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from engagement.rules import (
    CustomerFacts,
    EventFacts,
    Usage,
    evaluate,
    evaluate_stream,
    parse_rules,
)

RULES = parse_rules("""\
version: 1
badges:
  first_purchase: {fr: "Premier achat", en: "First purchase"}
coupons:
  sorry: {percent: 10, valid_days: 30}
rules:
  - id: purchase_points
    on: purchase
    then: {points_per_euro: 1, max_points: 100}
  - id: first_purchase_badge
    on: purchase
    if:
      - customer.purchases: {eq: 1}
    then: {badge: first_purchase}
  - id: big_basket
    on: purchase
    if:
      - event.order.total: {gte: 100}
    then: {points: 20}
    limit: {count: 1, per: week}
  - id: newsletter_bonus
    on: purchase
    requires_consent: true
    then: {points: 5}
  - id: sorry_coupon
    on: cancellation
    then: {coupon: sorry, fusion: -4}
    budget: {coupons: 2, per: month}
""")
MONDAY = datetime(2026, 11, 23, 10, tzinfo=timezone.utc)


def purchase(event_id: str, total: float, at: datetime = MONDAY) -> EventFacts:
    return EventFacts(event_id, "purchase", at, {"order": {"total": total}})


def customer(purchases: int = 1, **counters: object) -> CustomerFacts:
    return CustomerFacts("c-1", {"purchases": purchases, "badges": frozenset(), **counters})


def outcomes(decisions: list) -> dict[str, str]:
    return {d.rule_id: d.outcome for d in decisions}


def test_a_purchase_pays_per_euro_up_to_the_cap_and_says_why_not_for_the_rest() -> None:
    decisions = evaluate(RULES, purchase("e-1", 150.0), customer(2), Usage(), MONDAY)
    assert outcomes(decisions) == {
        "purchase_points": "awarded", "first_purchase_badge": "not_eligible",
        "big_basket": "awarded", "newsletter_bonus": "no_consent",
    }  # fmt: skip
    paid = {d.rule_id: d.points for d in decisions if d.outcome == "awarded"}
    assert paid == {"purchase_points": 100, "big_basket": 20}
    not_eligible = next(d for d in decisions if d.rule_id == "first_purchase_badge")
    assert "customer.purchases eq 1" in not_eligible.reason


def test_consent_unlocks_the_rule_that_needs_it() -> None:
    decisions = evaluate(RULES, purchase("e-1", 10.0), customer(opted_in=True), Usage(), MONDAY)
    assert outcomes(decisions)["newsletter_bonus"] == "awarded"


def test_a_limit_caps_within_its_period_and_resets_in_the_next() -> None:
    week = purchase("e-1", 150.0).occurred_at.strftime("%G-W%V")
    used = Usage(per_customer={("big_basket", week): 1})
    assert (
        outcomes(evaluate(RULES, purchase("e-2", 150.0), customer(), used, MONDAY))["big_basket"]
        == "capped"
    )
    next_week = purchase("e-3", 150.0, MONDAY + timedelta(days=7))
    assert outcomes(evaluate(RULES, next_week, customer(), used, MONDAY))["big_basket"] == "awarded"


def test_a_badge_already_held_is_not_given_again() -> None:
    held = customer(1, badges=frozenset({"first_purchase"}))
    assert (
        outcomes(evaluate(RULES, purchase("e-1", 5.0), held, Usage(), MONDAY))[
            "first_purchase_badge"
        ]
        == "already_earned"
    )


def test_a_stream_keeps_limits_budgets_and_badges_as_it_goes() -> None:
    cancellations = [
        (EventFacts(f"x-{i}", "cancellation", MONDAY, {}), CustomerFacts(f"c-{i}", {}))
        for i in range(4)
    ]
    purchases = [(purchase(f"p-{i}", 120.0), customer(1)) for i in range(2)]
    decisions = list(evaluate_stream(RULES, [*cancellations, *purchases], MONDAY))
    coupons = [d.outcome for d in decisions if d.rule_id == "sorry_coupon"]
    assert coupons == ["awarded", "awarded", "over_budget", "over_budget"]
    assert [d.outcome for d in decisions if d.rule_id == "big_basket"] == ["awarded", "capped"]
    badge = [d.outcome for d in decisions if d.rule_id == "first_purchase_badge"]
    assert badge == ["awarded", "already_earned"]


def test_an_event_no_rule_listens_to_decides_nothing() -> None:
    event = EventFacts("e-1", "shipment", MONDAY, {})
    assert evaluate(RULES, event, customer(), Usage(), MONDAY) == []
