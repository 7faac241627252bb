"""Commerce events from the shop (README: shop): parsing and validation, pure. The requests'
signature is ``engagement.shop_signature``."""

from __future__ import annotations

import hashlib
import json
import operator
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engagement.settings import LANGUAGES

COMMERCE_EVENT_TYPES = ("purchase", "shipment", "delivery", "cancellation", "refund")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
# one @, something on each side, a dot in the domain, no space: what a shop's form took
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_EMAIL_LENGTH = 254
# How deeply a shop's body may nest arrays and objects (an event nests 4 levels deep).
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(rb"[^\[\]{}]+")
_DEPTH_STEPS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")  # opening 2, closing 0


class MalformedBody(ValueError):
    """The body is not a JSON object."""


class InvalidField(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Item:
    sku: str
    name: str
    quantity: int
    price: Decimal


@dataclass(frozen=True)
class Order:
    id: str
    total: Decimal
    currency: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class CustomerRef:
    id: str
    name: str | None
    language: str | None
    timezone: str | None
    email: str | None = None


@dataclass(frozen=True)
class CommerceEvent:
    id: str
    type: str
    occurred_at: datetime
    customer: CustomerRef
    order: Order
    referral_code: str | None = None

    def facts(self) -> dict[str, Any]:
        """What reward rules can test as ``event.…``."""
        return {
            "order": {
                "id": self.order.id,
                "total": float(self.order.total),
                "currency": self.order.currency,
                "items_count": sum(item.quantity for item in self.order.items),
                "skus": [item.sku for item in self.order.items],
            },
            "channel": "shop",
        }


def json_depth(body: bytes) -> int:
    """How deeply ``body`` nests arrays and objects, counted without parsing it (so without
    recursion): brackets inside strings are skipped, the others summed as +1/-1."""
    brackets = _NOT_A_BRACKET.sub(b"", _JSON_STRING.sub(b"", body))
    steps = brackets.translate(_DEPTH_STEPS)
    # after i + 1 brackets, 2 × opened − (i + 1) = opened − closed: the depth there
    return max(map(operator.sub, accumulate(steps), range(1, len(steps) + 1)), default=0)


def load_json_object(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> dict[str, Any]:
    """The body (UTF-8) as a JSON object; ``MalformedBody`` (400) for anything else, a body
    nested deeper than ``max_depth`` included: refused before ``json.loads`` could recurse."""
    if json_depth(body) > max_depth:
        raise MalformedBody(f"the body nests arrays or objects deeper than {max_depth} levels")
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise MalformedBody("the body is not UTF-8") from None
    except (ValueError, RecursionError):
        raise MalformedBody("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise MalformedBody("the body must be a JSON object")
    return data


def canonical_digest(data: Any) -> str:
    """SHA-256 of ``data`` as canonical JSON (sorted keys, no spaces): the same for two
    bodies that differ only in layout or key order."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def parse_commerce_event(body: bytes | dict[str, Any]) -> CommerceEvent:
    """A commerce event from the shop's raw body, or from that body already loaded."""
    data = body if isinstance(body, dict) else load_json_object(body)
    _no_unknown(data, {"id", "type", "occurred_at", "customer", "order", "referral_code"}, "")
    customer = _object(data, "customer")
    _no_unknown(customer, {"id", "name", "email", "language", "timezone"}, "customer.")
    order = _object(data, "order")
    _no_unknown(order, {"id", "total", "currency", "items"}, "order.")
    return CommerceEvent(
        id=parse_identifier(data.get("id"), "id"),
        type=_choice(data.get("type"), "type", COMMERCE_EVENT_TYPES),
        occurred_at=_timestamp(data.get("occurred_at"), "occurred_at"),
        customer=CustomerRef(
            id=parse_identifier(customer.get("id"), "customer.id"),
            name=_optional_text(customer.get("name"), "customer.name", 200),
            language=_optional_choice(customer.get("language"), "customer.language", LANGUAGES),
            timezone=_optional_timezone(customer.get("timezone"), "customer.timezone"),
            email=_optional_email(customer.get("email"), "customer.email"),
        ),
        order=Order(
            id=parse_identifier(order.get("id"), "order.id"),
            total=parse_amount(order.get("total"), "order.total"),
            currency=_currency(order.get("currency"), "order.currency"),
            items=_items(order.get("items")),
        ),
        referral_code=_optional_referral_code(data.get("referral_code")),
    )


def _optional_referral_code(value: object) -> str | None:
    """The code of the link the friend came by (the shop passes it on with their first
    purchase); only purchases carry one."""
    if value is None:
        return None
    return parse_identifier(value, "referral_code")


def _no_unknown(data: dict[str, Any], known: set[str], prefix: str) -> None:
    for key in data:
        if key not in known:
            raise InvalidField(f"{prefix}{key}", "unknown field")


def _object(data: dict[str, Any], field: str) -> dict[str, Any]:
    value = data.get(field)
    if not isinstance(value, dict):
        raise InvalidField(field, "must be an object")
    return value


def parse_identifier(value: object, field: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise InvalidField(field, "must be an identifier of 1 to 128 letters, digits or _.:@-")
    return value


def _choice(value: object, field: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidField(field, f"must be one of {', '.join(allowed)}")
    return str(value)


def _optional_choice(value: object, field: str, allowed: tuple[str, ...]) -> str | None:
    return None if value is None else _choice(value, field, allowed)


def _optional_text(value: object, field: str, max_length: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise InvalidField(field, f"must be a text of at most {max_length} characters")
    return value.strip() or None


def _optional_email(value: object, field: str) -> str | None:
    text = _optional_text(value, field, MAX_EMAIL_LENGTH)
    if text is not None and not _EMAIL.match(text):
        raise InvalidField(field, "must be an e-mail address such as lea@example.com")
    return text


def _optional_timezone(value: object, field: str) -> str | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        ZoneInfo(value)
    except (ValueError, ZoneInfoNotFoundError):
        raise InvalidField(field, "must be an IANA time zone such as Europe/Paris") from None
    return value


def _timestamp(value: object, field: str) -> datetime:
    try:
        if not isinstance(value, str):
            raise ValueError
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidField(field, "must be an ISO-8601 date and time") from None
    if parsed.tzinfo is None:
        raise InvalidField(field, "must carry a time zone offset")
    return parsed


def parse_amount(value: object, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InvalidField(field, "must be a number")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise InvalidField(field, "must be a number") from None
    if not amount.is_finite() or amount < 0 or amount > Decimal("1e9"):
        raise InvalidField(field, "must be between 0 and 1,000,000,000")
    return amount.quantize(Decimal("0.01"))


def _currency(value: object, field: str) -> str:
    if not isinstance(value, str) or not _CURRENCY.match(value):
        raise InvalidField(field, "must be a 3-letter ISO currency code")
    return value


def _items(value: object) -> tuple[Item, ...]:
    if not isinstance(value, list) or len(value) > 500:
        raise InvalidField("order.items", "must be a list of at most 500 items")
    items = []
    for index, raw in enumerate(value):
        prefix = f"order.items[{index}]"
        if not isinstance(raw, dict):
            raise InvalidField(prefix, "must be an object")
        _no_unknown(raw, {"sku", "name", "quantity", "price"}, f"{prefix}.")
        quantity = raw.get("quantity")
        if (
            not isinstance(quantity, int)
            or isinstance(quantity, bool)
            or not 1 <= quantity <= 10_000
        ):
            raise InvalidField(f"{prefix}.quantity", "must be an integer from 1 to 10,000")
        items.append(
            Item(
                sku=parse_identifier(raw.get("sku"), f"{prefix}.sku"),
                name=_optional_text(raw.get("name"), f"{prefix}.name", 200) or "",
                quantity=quantity,
                price=parse_amount(raw.get("price"), f"{prefix}.price"),
            )
        )
    return tuple(items)
