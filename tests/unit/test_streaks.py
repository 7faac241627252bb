"""Streaks: calendar months in a row with a purchase, ending with the current one."""

from __future__ import annotations

import pytest

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
