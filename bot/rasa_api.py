"""How our processes prove themselves to Rasa's HTTP API: a short-lived JWT (HS256, signed
with FUSION_RASA_TOKEN, role "admin") in the ``Authorization`` header. Rasa's plain token
travels in the query string, where proxies and access logs keep it; we never send it."""

from __future__ import annotations

import time

import jwt

ALGORITHM = "HS256"
LIFETIME_S = 300


def bearer(secret: str, *, now: float | None = None) -> dict[str, str]:
    """The header of one call (a fresh token each time: signing costs microseconds)."""
    issued = int(time.time() if now is None else now)
    payload = {"user": {"username": "fusion", "role": "admin"}, "iat": issued,
               "exp": issued + LIFETIME_S}  # fmt: skip
    return {"Authorization": f"Bearer {jwt.encode(payload, secret, algorithm=ALGORITHM)}"}


def is_valid(authorization: str | None, secret: str | None) -> bool:
    """True for ``Bearer <a token of ours, unexpired, signed with secret>``."""
    if not secret or not authorization or not authorization.startswith("Bearer "):
        return False
    try:
        jwt.decode(authorization.removeprefix("Bearer "), secret, algorithms=[ALGORITHM])
    except jwt.PyJWTError:
        return False
    return True
