"""The rules file community managers edit: what it accepts, and every problem located."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engagement.rules import RulesFileInvalid, parse_rules

DEFAULT = Path(__file__).parents[2] / "rewards" / "rules.yml"

VALID = """\
version: 1
badges:
  first_review: {fr: "Premier avis", en: "First review"}
rules:
  - id: review_points
    on: review
    then: {points: 10, badge: first_review}
"""


def problems(text: str) -> list[tuple[int, str]]:
    with pytest.raises(RulesFileInvalid) as caught:
        parse_rules(text)
    return [(p.line, p.message) for p in caught.value.problems]


def test_the_default_catalogue_is_valid_and_names_badges_in_both_languages() -> None:
    rules = parse_rules(DEFAULT.read_text())
    assert len(rules.rules) >= 15
    assert all(badge.fr and badge.en and badge.fr != badge.en for badge in rules.badges.values())
    assert {"purchase", "review_approved", "cancellation", "referral_converted"} <= {
        r.on for r in rules.rules
    }
    assert rules.points_expiry is not None


def test_the_version_line_is_the_number_a_file_was_published_as_or_none_yet() -> None:
    assert parse_rules(VALID.replace("version: 1", "version: 7")).rules
    assert parse_rules(VALID.replace("version: 1\n", "")).rules


def test_a_bare_on_key_means_the_event_type_not_a_boolean() -> None:
    assert parse_rules(VALID).rules[0].on == "review"


def test_every_problem_is_reported_with_its_line() -> None:
    text = """\
version: 1
coupons:
  big: {percent: 150, valid_days: 10}
rules:
  - id: a
    on: purchse
    then: {points: 10}
  - id: b
    on: purchase
    then: {badge: unknown}
  - id: a
    on: purchase
    then: {points: 5}
    limit: {count: 0, per: fortnight}
"""
    found = problems(text)
    lines = [line for line, _ in found]
    assert lines == sorted(lines)
    messages = dict(found)
    assert 3 in messages and "percent" in messages[3]
    assert 6 in messages and "purchse" in messages[6]
    assert 10 in messages and "unknown" in messages[10]
    assert any(line == 14 for line in lines)  # the limit: count 0 and an unknown period
    assert any("already used on line 5" in message for _, message in found)


@pytest.mark.parametrize("field", ["event.rating", "event.review.sentiment", "event.text"])
@pytest.mark.parametrize("on", ["review", "review_approved"])
def test_a_review_reward_may_not_depend_on_the_opinion(field: str, on: str) -> None:
    text = VALID.replace("on: review", f"on: {on}\n    if:\n      - {field}: {{gte: 4}}")
    ((line, message),) = problems(text)
    assert line == 8 and "opinion" in message


def test_other_events_may_test_their_own_fields() -> None:
    text = VALID.replace("on: review", "on: purchase\n    if:\n      - event.order.total: {gte: 4}")
    assert parse_rules(text).rules[0].conditions[0].field == "event.order.total"


def with_condition(condition: str) -> str:
    return VALID.replace("then: {points: 10", f"if: [{{{condition}}}]\n    then: {{points: 10")


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("version: 1\nrules: [\n", 3, "YAML"),
        ("- just\n- a list\n", 1, "mapping"),
        ("version: 1\nrules:\n  - id: x\n    id: y\n", 4, "twice"),
        (VALID.replace("{points: 10, badge: first_review}", "{}"), 7, "gives"),
        (with_condition("customer.mood: {eq: 1}"), 7, "customer field"),
        (with_condition("event.total: {gte: many}"), 7, "number"),
        (VALID.replace("version: 1", "version: first"), 1, "version"),
        (VALID.replace("version: 1", "version: 0"), 1, "version"),
    ],
)  # fmt: skip
def test_a_broken_file_says_where_and_why(text: str, line: int, words: str) -> None:
    found = problems(text)
    assert any(at == line and words in message for at, message in found), found


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_either_rules_or_located_problems(text: str) -> None:
    check_never_crashes(text)


LINES = st.sampled_from(VALID.splitlines() + ["  - id: x", "    on: [", "then: 3", "\t", ": :"])


@settings(max_examples=300, deadline=None)
@given(st.lists(LINES, max_size=20))
def test_mangled_rules_files_are_either_rules_or_located_problems(lines: list[str]) -> None:
    check_never_crashes("\n".join(lines))


def check_never_crashes(text: str) -> None:
    try:
        parse_rules(text)
    except RulesFileInvalid as invalid:
        assert invalid.problems
        last = text.count("\n") + 2
        assert all(1 <= p.line <= last and p.message for p in invalid.problems)
