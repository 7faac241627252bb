"""Small pure helpers: streaks of months with a purchase, and what went wrong with an order."""

from __future__ import annotations

import pytest

from engagement.contributions import idea_in_sentence, problem_kind
from engagement.rewards import months_in_a_row


@pytest.mark.parametrize(
    ("months", "until", "streak"),
    [
        ({"2026-09", "2026-10", "2026-11"}, "2026-11", 3),
        ({"2026-09", "2026-11"}, "2026-11", 1),
        ({"2025-12", "2026-01"}, "2026-01", 2),  # across a new year
        ({"2026-10"}, "2026-11", 0),
        (set(), None, 0),
    ],
)
def test_a_streak_counts_back_from_the_current_month(months, until, streak) -> None:
    assert months_in_a_row(months, until) == streak


@pytest.mark.parametrize(
    ("text", "kind"),
    [("mon vase est arrivé cassé", "broken"), ("an item is missing", "missing_item"),
     ("mauvaise taille", "wrong_item"), ("still not delivered", "late"), ("bof", "other")],
)  # fmt: skip
def test_what_went_wrong_is_read_from_the_customers_words(text: str, kind: str) -> None:
    assert problem_kind(text) == kind


@pytest.mark.parametrize(
    ("text", "idea"),
    [
        ("j'ai une idée : des carnets en papier recyclé", "des carnets en papier recyclé"),
        ("here's my idea - refillable candles!", "refillable candles"),
        ("Suggestion: a bulk aisle", "a bulk aisle"),
        ("j'ai une idée", None),  # offered, not given yet
        ("I have an idea for you", None),
        ("idée : vrac", None),  # one word is no idea to publish
    ],
)
def test_an_idea_given_in_the_sentence_that_offers_it_is_read(text: str, idea: str | None) -> None:
    assert idea_in_sentence(text) == idea
