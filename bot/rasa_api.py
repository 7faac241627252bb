"""How our processes prove themselves to Rasa's HTTP API: a short-lived JWT (HS256, signed
with FUSION_RASA_TOKEN, role "admin") in the ``Authorization`` header. Rasa's plain token
travels in the query string, where proxies and access logs keep it; we never send it.

The Rasa server checks them with ``claims`` (``bot.rasa_server`` puts it in place of
sanic-jwt's check, which took a token without ``exp`` or valid until 2100, and answered 500
to ``alg: none``): HS256 only, signed with the secret, ``exp`` required and at most
``MAX_AHEAD_S`` ahead; anything else is refused, whatever its bytes."""

from __future__ import annotations

import re
import time
from typing import Any

import jwt

ALGORITHM = "HS256"
LIFETIME_S = 300  # what ``bearer`` gives its tokens
CLOCK_SKEW_S = 60  # how far apart the clocks of our servers may be
MAX_AHEAD_S = LIFETIME_S + CLOCK_SKEW_S  # the furthest ``exp`` a server accepts
MAX_TOKEN_LENGTH = 4096
_JWT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")  # ASCII only


def bearer(secret: str, *, now: float | None = None) -> dict[str, str]:
    """The header of one call (a fresh token each time: signing costs microseconds)."""
    issued = int(time.time() if now is None else now)
    payload = {"user": {"username": "fusion", "role": "admin"}, "iat": issued,
               "exp": issued + LIFETIME_S}  # fmt: skip
    return {"Authorization": f"Bearer {jwt.encode(payload, secret, algorithm=ALGORITHM)}"}


def claims(
    authorization: str | None, secret: str | None, *, now: float | None = None
) -> dict[str, Any] | None:
    """The claims of ``Bearer <a token of ours>``; None for anything else."""
    if not secret or not isinstance(authorization, str):
        return None
    if not authorization.startswith("Bearer "):
        return None
    return token_claims(authorization.removeprefix("Bearer "), secret, now=now)


def token_claims(token: str, secret: str, *, now: float | None = None) -> dict[str, Any] | None:
    """The claims of a JWT signed with ``secret`` in HS256 whose ``exp`` is after ``now`` and
    at most ``MAX_AHEAD_S`` after it; None when it is malformed (undecodable bytes
    included), of another algorithm (``none`` too), wrongly signed, without ``exp``,
    expired, or valid for longer than our tokens ever are."""
    if not secret or len(token) > MAX_TOKEN_LENGTH or not _JWT.fullmatch(token):
        return None
    try:
        if jwt.get_unverified_header(token).get("alg") != ALGORITHM:
            return None
        payload = jwt.decode(
            token, secret, algorithms=[ALGORITHM],
            # exp and iat are checked below, against ``now`` and with CLOCK_SKEW_S
            options={"require": ["exp"], "verify_exp": False, "verify_iat": False},
        )  # fmt: skip
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    moment = time.time() if now is None else now
    expires = payload.get("exp")
    if isinstance(expires, bool) or not isinstance(expires, (int, float)):
        return None
    if not moment < expires <= moment + MAX_AHEAD_S:
        return None
    issued = payload.get("iat", moment)
    if isinstance(issued, bool) or not isinstance(issued, (int, float)):
        return None
    if issued > moment + CLOCK_SKEW_S:
        return None
    return dict(payload)


def is_valid(authorization: str | None, secret: str | None) -> bool:
    """True for ``Bearer <a token of ours, unexpired, signed with secret>``."""
    return claims(authorization, secret) is not None
