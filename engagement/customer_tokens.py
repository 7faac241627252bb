"""Customer tokens: how a conversation proves which shop customer it speaks for (pure).

The shop, which knows who is signed in on its site, mints a short-lived token for that
customer and hands it to the chat (``/chat?token=…``, or rasa-webchat's ``customData``, or
``Authorization: Bearer …`` on REST). A token is a JWT (HS256) signed with
``FUSION_CUSTOMER_TOKEN_SECRET``, a secret of its own that only the shop and Fusion know:
``sub`` the customer id, ``exp`` its expiry (at most a day ahead), ``aud`` "fusion-customer".
Any JWT library mints one; ``python -m bot customer-token ID`` does it from a terminal.

Conversations without a token are anonymous. Their ids start with "~", which no shop
customer id may (``engagement.commerce``): the web's are minted by Fusion and signed with
the server secret, so a client cannot choose someone else's; REST's are derived from the
``sender`` the client chose.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

import jwt

AUDIENCE = "fusion-customer"
MAX_LIFETIME = timedelta(hours=24)
DEFAULT_LIFETIME = timedelta(minutes=60)
MAX_TOKEN_LENGTH = 2048
ANONYMOUS_PREFIX = "~"
# The REST and socket.io channels put a keyed hash of the client's address in every message's
# metadata under this key (never the address itself): it also marks their messages.
CLIENT_KEY = "fusion_client"
_CUSTOMER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}")
_WEB_ANONYMOUS = re.compile(r"~w-([0-9a-f]{32})-([0-9a-f]{16})")


class InvalidCustomerToken(Exception):
    """The token is missing a claim, expired, too long-lived or not signed by the shop."""


def mint_customer_token(
    secret: str, customer_id: str, now: datetime, lifetime: timedelta = DEFAULT_LIFETIME
) -> str:
    if not _CUSTOMER_ID.fullmatch(customer_id):
        raise ValueError("a customer id is 1-128 letters, digits or _ . : @ -, not starting with -")
    if not timedelta(0) < lifetime <= MAX_LIFETIME:
        raise ValueError("a customer token lives between a second and 24 hours")
    claims = {
        "sub": customer_id,
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_customer_token(secret: str, token: object, now: datetime) -> str:
    """The customer id the token proves, or ``InvalidCustomerToken`` saying why not."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidCustomerToken("no customer token, or not a text of at most 2048 characters")
    if not token.isascii():
        raise InvalidCustomerToken("a customer token is ASCII (base64url and dots)")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=AUDIENCE,
            options={"require": ["sub", "exp", "aud"], "verify_exp": False},
        )
    except jwt.PyJWTError as exc:
        raise InvalidCustomerToken(f"the customer token is not valid: {exc}") from None
    expires = claims["exp"]
    if not isinstance(expires, int | float):
        raise InvalidCustomerToken("the customer token's exp is not a number")
    left = expires - now.timestamp()
    if left <= 0:
        raise InvalidCustomerToken("the customer token has expired")
    if left > MAX_LIFETIME.total_seconds():
        raise InvalidCustomerToken("the customer token lives longer than 24 hours")
    customer_id = claims["sub"]
    if not isinstance(customer_id, str) or not _CUSTOMER_ID.fullmatch(customer_id):
        raise InvalidCustomerToken("the customer token's sub is not a customer id")
    return customer_id


# On these channels a conversation's id is the shop's customer id only when the customer
# proved it with a token (bot/channels.py); their anonymous conversations start with "~".
TOKEN_CHANNELS = ("rest", "socketio")


def is_anonymous(conversation_id: str) -> bool:
    return conversation_id.startswith(ANONYMOUS_PREFIX)


def customer_of_conversation(
    conversation_id: str, linked: str | None, channel: str | None
) -> str | None:
    """The customer a conversation speaks for: the one it was linked to with a code, else the
    customer whose token opened it; None for an anonymous conversation, and for a messaging
    app's, whose platform id is nobody's customer id until linked."""
    if linked:
        return linked
    if is_anonymous(conversation_id) or (channel or "rest") not in TOKEN_CHANNELS:
        return None
    return conversation_id


def new_web_anonymous_id(server_secret: str) -> str:
    """A fresh anonymous web conversation id, signed so that only Fusion mints them."""
    nonce = secrets.token_hex(16)
    return f"~w-{nonce}-{_mac(server_secret, nonce)}"


def is_web_anonymous_id(server_secret: str, value: object) -> bool:
    match = _WEB_ANONYMOUS.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return False
    return hmac.compare_digest(match.group(2), _mac(server_secret, match.group(1)))


def rest_anonymous_id(server_secret: str, sender: str) -> str:
    """The anonymous conversation a token-less REST ``sender`` talks in (never a customer's)."""
    digest = hmac.new(server_secret.encode(), b"rest:" + sender.encode(), hashlib.sha256)
    return f"~r-{digest.hexdigest()[:32]}"


def _mac(server_secret: str, nonce: str) -> str:
    digest = hmac.new(server_secret.encode(), b"web:" + nonce.encode(), hashlib.sha256)
    return digest.hexdigest()[:16]
