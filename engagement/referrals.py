"""Referral codes, share links and the checks a referral must pass (pure, README: rules)."""

from __future__ import annotations

import base64
import secrets
from datetime import date

REFERRAL = "referral"
SHARE = "share"
KINDS = (REFERRAL, SHARE)


def new_personal_code() -> str:
    """10 characters of base32 (50 random bits): unguessable enough for a link that
    only pays when a friend actually buys or a visitor actually opens it."""
    return base64.b32encode(secrets.token_bytes(10)).decode()[:10]


def referral_refusal(
    *, referrer_id: str | None, friend_id: str, friend_purchases: int, already_referred: bool
) -> str | None:
    """Why a purchase with a referral code does not convert, or None when it does."""
    if referrer_id is None:
        return "unknown referral code"
    if referrer_id == friend_id:
        return "self-referral"
    if already_referred:
        return "friend already referred"
    if friend_purchases > 1:
        return "not the friend's first purchase"
    return None


def share_event_id(code: str, day: date) -> str:
    """At most one rewarded share per link and day, however often it is opened."""
    return f"share:{code}:{day.isoformat()}"
