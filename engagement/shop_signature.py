"""The signature of the shop's requests (commerce events, coupon checks at checkout): pure.

The shop sends ``Fusion-Signature: t=<unix seconds>,v1=<hex>`` where ``v1`` is the hex
HMAC-SHA256, keyed with ``FUSION_SHOP_SECRET``, of the bytes ``<t>.<METHOD>.<path>.<body>``:

- ``t``: the same decimal number of seconds since 1970-01-01 UTC as in the header;
- ``METHOD``: the HTTP method in capitals (``POST``);
- ``path``: the request target exactly as sent on the request line, without scheme or host:
  the path, percent-encoding as sent, plus ``?`` and the query string when there is one
  (``/api/v1/coupons/ABC123/redeem``);
- ``body``: the raw bytes of the body exactly as sent (nothing when there is none).

So a signature is good for one request: one endpoint, one coupon code, one body, within
``TOLERANCE_S`` of the service's clock; the service also remembers the signatures it has
accepted (``engagement.services.shop_signatures``) and refuses one seen before.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass

HEADER = "Fusion-Signature"
TOLERANCE_S = 300  # how far t may be from the service's clock, either way
_MAX_HEADER_LENGTH = 512
_FIELD = re.compile(r"([A-Za-z0-9]{1,16})=([\x21-\x7e]{1,128})")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_HEX = re.compile(r"[0-9a-fA-F]{64}")
_EXPECTED = f"expected {HEADER}: t=<unix seconds>,v1=<64 hex digits>"


class InvalidSignature(Exception):
    """The request is not signed with the shop secret, or not for now, or was seen before."""


@dataclass(frozen=True)
class ShopSignature:
    """A parsed ``Fusion-Signature`` header (not yet checked against anything)."""

    timestamp: int
    v1: str  # 64 lowercase hex digits


def signed_bytes(timestamp: int, method: str, path: str, body: bytes) -> bytes:
    """What ``v1`` is the HMAC of: ``<t>.<METHOD>.<path>.<body>``."""
    return f"{timestamp}.{method.upper()}.{path}.".encode() + body


def signature_of(secret: str, timestamp: int, method: str, path: str, body: bytes) -> str:
    """``v1``: the hex HMAC-SHA256 of ``signed_bytes`` with the shop secret."""
    message = signed_bytes(timestamp, method, path, body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, method: str, path: str, body: bytes, *, now: float | None = None) -> str:
    """The ``Fusion-Signature`` header's value for a request sent ``now`` (default: now)."""
    timestamp = int(time.time() if now is None else now)
    return f"t={timestamp},v1={signature_of(secret, timestamp, method, path, body)}"


def shop_headers(
    secret: str, method: str, path: str, body: bytes, *, now: float | None = None
) -> dict[str, str]:
    """The headers a shop sends with ``body``: its signature and its JSON content type."""
    return {HEADER: sign(secret, method, path, body, now=now), "Content-Type": "application/json"}


def parse(header: str | None) -> ShopSignature:
    """The header's ``t`` and ``v1``; any other ``name=value`` field is ignored (room for a
    later scheme). Anything else, non-ASCII or oversized included, is ``InvalidSignature``."""
    if header is None or not header.strip():
        raise InvalidSignature(f"{HEADER} is missing ({_EXPECTED})")
    if not header.isascii() or len(header) > _MAX_HEADER_LENGTH:
        raise InvalidSignature(f"{HEADER} is malformed ({_EXPECTED})")
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        match = _FIELD.fullmatch(part.strip())
        if match is None:
            raise InvalidSignature(f"{HEADER} is malformed ({_EXPECTED})")
        fields.setdefault(match.group(1), []).append(match.group(2))
    timestamps, macs = fields.get("t", []), fields.get("v1", [])
    if len(timestamps) != 1 or not _TIMESTAMP.fullmatch(timestamps[0]):
        raise InvalidSignature(f"{HEADER} needs exactly one t=<unix seconds> ({_EXPECTED})")
    if len(macs) != 1 or not _HEX.fullmatch(macs[0]):
        raise InvalidSignature(f"{HEADER} needs exactly one v1=<64 hex digits> ({_EXPECTED})")
    return ShopSignature(int(timestamps[0]), macs[0].lower())


def check_time(signature: ShopSignature, now: float) -> None:
    """Refuses a signature made more than ``TOLERANCE_S`` away from ``now``."""
    if abs(now - signature.timestamp) > TOLERANCE_S:
        raise InvalidSignature(
            f"{HEADER}'s t is more than {TOLERANCE_S} s away from the service's clock: "
            "sign each request when sending it"
        )


def check_mac(
    secret: str, signature: ShopSignature, method: str, path: str, body: bytes
) -> None:
    """Refuses a ``v1`` that is not this request's, comparing bytes in constant time."""
    expected = signature_of(secret, signature.timestamp, method, path, body)
    if not hmac.compare_digest(expected.encode("ascii"), signature.v1.encode("ascii")):
        raise InvalidSignature(
            f"{HEADER} does not match this request: v1 must be the HMAC-SHA256 of "
            "<t>.<METHOD>.<path>.<body> with FUSION_SHOP_SECRET"
        )


def verify(
    secret: str, header: str | None, method: str, path: str, body: bytes, *, now: float
) -> ShopSignature:
    """The request's signature when it is well-formed, fresh and right (not whether it was
    already used: that takes the database, see ``engagement.services.shop_signatures``)."""
    signature = parse(header)
    check_time(signature, now)
    check_mac(secret, signature, method, path, body)
    return signature
