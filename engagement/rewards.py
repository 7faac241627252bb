"""What the rewards engine records for one event, and the coupon codes it mints (pure)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engagement.commerce import CommerceEvent, Order, canonical_digest

ORDER_STATUS = {
    "purchase": "placed",
    "shipment": "shipped",
    "delivery": "delivered",
    "cancellation": "cancelled",
    "refund": "refunded",
}
# What counts as a contribution on the ladder (README: rules): approved reviews and ideas,
# converted referrals, shares.
CONTRIBUTION_TYPES = ("review_approved", "idea_approved", "referral_converted", "share")


class EventConflict(Exception):
    """A known event id came again with another body: refused, nothing is written."""


@dataclass(frozen=True)
class IncomingEvent:
    """An event for the rules: from the shop (with an order) or from the conversation."""

    id: str
    type: str
    customer_id: str
    occurred_at: datetime
    source: str
    facts: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)
    order: Order | None = None
    customer_name: str | None = None
    customer_language: str | None = None
    customer_timezone: str | None = None
    customer_email: str | None = None
    referral_code: str | None = None
    # the shop's body in canonical JSON, hashed: a replay must bring the same one
    body_sha256: str | None = None

    @classmethod
    def from_commerce(cls, event: CommerceEvent, payload: dict[str, Any]) -> IncomingEvent:
        return cls(
            id=event.id,
            type=event.type,
            customer_id=event.customer.id,
            occurred_at=event.occurred_at,
            source="shop",
            facts=event.facts(),
            payload=payload,
            order=event.order,
            customer_name=event.customer.name,
            customer_language=event.customer.language,
            customer_timezone=event.customer.timezone,
            customer_email=event.customer.email,
            referral_code=event.referral_code if event.type == "purchase" else None,
            body_sha256=canonical_digest(payload),
        )


@dataclass(frozen=True)
class Award:
    rule_id: str
    outcome: str
    reason: str
    points: int = 0
    badge: str | None = None
    coupon_code: str | None = None
    fusion: int = 0


@dataclass(frozen=True)
class EventRecorded:
    event_id: str
    replay: bool
    awards: tuple[Award, ...]
    balance: int
    stage: str


def new_coupon_code() -> str:
    """16 characters of base32 from 80 random bits (≥ 64 bits, README: rules)."""
    return base64.b32encode(secrets.token_bytes(10)).decode()


def customer_counters(
    counts: dict[str, int],
    balance: int,
    badges: frozenset[str],
    language: str | None,
    consent: str | None = None,
    purchase_months: Iterable[str] = (),
    month: str | None = None,
) -> dict[str, Any]:
    """The ``customer.…`` facts rules can test, from the customer's stored events;
    ``consent`` is the type of their latest opt_in/opt_out event, if any;
    ``purchase_months`` the months ("2026-11") with a purchase, for streaks up to ``month``."""
    return {
        "purchase_streak_months": months_in_a_row(purchase_months, month),
        "purchases": counts.get("purchase", 0) - counts.get("cancellation", 0),
        "conversations": counts.get("conversation", 0) + counts.get("problem_report", 0),
        "nudge_answers": counts.get("nudge_answer", 0),
        "reviews": counts.get("review_approved", 0),
        "ideas": counts.get("idea_approved", 0),
        "referrals": counts.get("referral_converted", 0),
        "shares": counts.get("share", 0),
        "contributions": sum(counts.get(kind, 0) for kind in CONTRIBUTION_TYPES),
        "contribution_kinds": sum(1 for kind in CONTRIBUTION_TYPES if counts.get(kind)),
        "points": balance,
        "language": language,
        "opted_in": consent == "opt_in",
        "opted_out": consent == "opt_out",
        "club_member": counts.get("club_join", 0) > 0,
        "badges": badges,
    }


def months_in_a_row(months: Iterable[str], until: str | None) -> int:
    """How many calendar months in a row, ending with ``until``, appear in ``months``."""
    if until is None:
        return 0
    present = set(months)
    year, month = (int(part) for part in until.split("-"))
    streak = 0
    while f"{year:04d}-{month:02d}" in present:
        streak += 1
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return streak
