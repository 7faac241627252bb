"""What a campaign achieved (README: campaigns): conversion of the nudged against the hold-out
within the campaign's window, the uplift, the opt-out rate, and whether to pause it (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from engagement.ladder import STAGES

# What counts as a conversion: a purchase or a contribution (a stage up counts as well).
CONVERTING_EVENTS = ("purchase", "review_approved", "idea_approved", "referral_converted",
                     "share", "vote", "club_join")  # fmt: skip
# A campaign pauses itself past these, once enough customers were nudged to tell.
MIN_SENT_TO_JUDGE = 50
MAX_OPT_OUT_RATE = 0.05
MIN_UPLIFT = -0.05


@dataclass(frozen=True)
class Group:
    customers: int
    converted: int

    @property
    def rate(self) -> float | None:
        return self.converted / self.customers if self.customers else None


@dataclass(frozen=True)
class Outcome:
    sent: Group
    held_out: Group
    opted_out: int

    @property
    def uplift(self) -> float | None:
        if self.sent.rate is None or self.held_out.rate is None:
            return None
        return self.sent.rate - self.held_out.rate

    @property
    def opt_out_rate(self) -> float | None:
        return self.opted_out / self.sent.customers if self.sent.customers else None

    def pause_reason(self) -> str | None:
        if self.sent.customers < MIN_SENT_TO_JUDGE:
            return None
        rate = self.opt_out_rate or 0.0
        if rate > MAX_OPT_OUT_RATE:
            return f"opt-out rate {rate:.0%} is above {MAX_OPT_OUT_RATE:.0%}"
        uplift = self.uplift
        if (
            uplift is not None
            and self.held_out.customers >= MIN_SENT_TO_JUDGE
            and uplift < MIN_UPLIFT
        ):
            return f"uplift {uplift:+.0%} is below {MIN_UPLIFT:+.0%}"
        return None


Moment = tuple[str, datetime]  # (event type or "stage_up", when)


def outcome(
    deliveries: Iterable[tuple[str, str, datetime]],
    activity: Mapping[str, list[Moment]],
    window: timedelta,
) -> Outcome:
    """``deliveries``: (customer, "sent" or "held_out", from when); ``activity``: per
    customer, converting events, stage-ups and opt-outs with their time."""
    counts = {"sent": [0, 0], "held_out": [0, 0]}
    opted_out = 0
    for customer, group, start in deliveries:
        moments = [
            (kind, at) for kind, at in activity.get(customer, []) if start <= at <= start + window
        ]
        counts[group][0] += 1
        counts[group][1] += any(kind != "opt_out" for kind, _ in moments)
        if group == "sent" and any(kind == "opt_out" for kind, _ in moments):
            opted_out += 1
    return Outcome(Group(*counts["sent"]), Group(*counts["held_out"]), opted_out)


def spent_of(budget: int | None, used: int) -> dict[str, int | None]:
    """A budget (None: no limit), what the campaign's nudges took of it (coupons minted,
    points reserved, each paid for as its nudge went), and what is left."""
    left = None if budget is None else max(0, budget - used)
    return {"budget": budget, "used": used, "left": left}


def is_stage_up(from_stage: str, to_stage: str) -> bool:
    known = {stage: rank for rank, stage in enumerate(STAGES)}
    return known.get(to_stage, -1) > known.get(from_stage, -1)
