"""Points expiry: which lots expire, which are announced, whatever took from them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from engagement.expiry import LedgerEntry, open_lots, plan_expiry
from engagement.rules import PointsExpiry

POLICY = PointsExpiry(after_days=365, warn_days=30)
START = datetime(2025, 1, 1, tzinfo=timezone.utc)


def at(days: int) -> datetime:
    return START + timedelta(days=days)


def test_a_reversal_takes_from_its_own_lot_and_other_debits_from_the_oldest() -> None:
    entries = [
        LedgerEntry(1, 100, "award", at(0)),
        LedgerEntry(2, 50, "award", at(10)),
        LedgerEntry(3, -50, "reversal", at(20), reverses_entry_id=2),
        LedgerEntry(4, 80, "award", at(30)),
        LedgerEntry(5, -120, "spend", at(40)),
    ]
    assert [(lot.entry_id, lot.points_left) for lot in open_lots(entries, POLICY)] == [(4, 60)]


def test_points_are_announced_within_the_warning_window_then_expire() -> None:
    entries = [LedgerEntry(1, 100, "award", at(0)), LedgerEntry(2, 40, "award", at(100))]
    quiet = plan_expiry(entries, POLICY, at(300))
    assert (quiet.points_to_warn, quiet.points_to_expire) == (0, 0)
    warned = plan_expiry(entries, POLICY, at(340))
    assert (warned.points_to_warn, warned.points_to_expire) == (100, 0)
    due = plan_expiry(entries, POLICY, at(365))
    assert (due.points_to_expire, due.points_to_warn) == (100, 0)
    assert plan_expiry(entries, POLICY, at(450)).points_to_warn == 40


def test_an_expired_lot_is_not_expired_twice() -> None:
    entries = [
        LedgerEntry(1, 100, "award", at(0)),
        LedgerEntry(2, -100, "expiry", at(365), reverses_entry_id=1),
    ]
    assert plan_expiry(entries, POLICY, at(700)).expire == ()
