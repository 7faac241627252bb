"""Linking a conversation on another channel to the shop's customer (pure).

The web channel's conversation id is the shop's customer id (README: shop); a customer who
also writes from a messaging app types there a one-time code shown on the web, and that
conversation then speaks for the same customer: one balance, one history.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

LINK_CODE_TTL = timedelta(minutes=10)
# Wrong codes a conversation may type per window: 5 tries in 10^6 codes that live 10 min.
MAX_LINK_FAILURES = 5
LINK_FAILURE_WINDOW = timedelta(hours=1)


class LinkOutcome(str, Enum):
    LINKED = "linked"
    ALREADY = "already"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    LOCKED = "locked"


@dataclass(frozen=True)
class LinkCode:
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class LinkResult:
    outcome: LinkOutcome
    customer_id: str | None = None


def new_link_code(now: datetime) -> LinkCode:
    """Six digits, easy to type on a phone; short-lived, single use, tries limited."""
    return LinkCode(f"{secrets.randbelow(10**6):06d}", now + LINK_CODE_TTL)


def normalised_code(text: str) -> str | None:
    """The six digits of what the customer typed ("482 913", "482-913"), else None."""
    digits = "".join(ch for ch in text if ch.isdigit())
    return digits if len(digits) == 6 else None
