"""Small pure helpers: streaks of months with a purchase, and what went wrong with an order."""

from __future__ import annotations

import pytest

from engagement.contributions import problem_kind
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
