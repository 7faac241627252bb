"""A campaign's audience: conditions on a customer's snapshot, combined with all/any."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engagement.commerce import InvalidField
from engagement.ladder import STAGES
from engagement.settings import LANGUAGES


@dataclass(frozen=True)
class CustomerSnapshot:
    """What planning knows of one customer at ``now``."""

    id: str
    stage: str = "need"
    fusion: float = 50.0
    days_since_purchase: int | None = None
    days_since_message: int | None = None
    last_message_at: datetime | None = None  # for messaging platforms' windows
    badges: frozenset[str] = frozenset()
    language: str = "fr"
    channel: str | None = None
    opted_in: bool = False
    opted_out: bool = False
    club_member: bool = False
    zapped: bool = False
    timezone: str | None = None
    active_hour: int | None = None
    first_name: str | None = None
    points: int = 0
    next_badge: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


NUMBER, CHOICE, FLAG, SET, TEXT, PREFIX = "number", "choice", "flag", "set", "text", "prefix"
# a cohort by the start of its ids (the demo's "demo-", a shop's test accounts): the value
# ends with one of these, so it names a group, never one customer
PREFIX_ENDS = "-_:."
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "stage": (CHOICE, STAGES),
    "fusion": (NUMBER, ()),
    "days_since_purchase": (NUMBER, ()),
    "days_since_message": (NUMBER, ()),
    "badges": (SET, ()),
    "language": (CHOICE, LANGUAGES),
    "channel": (TEXT, ()),
    "consent": (FLAG, ()),
    "club_member": (FLAG, ()),
    "customer_id": (PREFIX, ()),
}
OPERATORS: dict[str, tuple[str, ...]] = {
    NUMBER: ("eq", "ne", "gt", "gte", "lt", "lte"),
    CHOICE: ("eq", "ne", "in", "not_in"),
    TEXT: ("eq", "ne", "in", "not_in"),
    FLAG: ("eq",),
    SET: ("contains", "not_contains"),
    PREFIX: ("starts_with",),
}


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any


@dataclass(frozen=True)
class Group:
    kind: str  # "all" or "any"
    members: tuple[Node, ...]


Node = Condition | Group
EVERYONE = Group("all", ())


def parse_audience(data: Any, path: str = "audience") -> Node:
    """The audience tree, or ``InvalidField`` naming the faulty part (``audience.all[1].op``)."""
    if data is None:
        return EVERYONE
    if not isinstance(data, dict):
        raise InvalidField(path, "must be an object")
    groups = [key for key in ("all", "any") if key in data]
    if groups:
        if len(data) != 1:
            raise InvalidField(path, "a group has exactly one key, all or any")
        kind = groups[0]
        members = data[kind]
        if not isinstance(members, list):
            raise InvalidField(f"{path}.{kind}", "must be a list")
        return Group(kind, tuple(
            parse_audience(m, f"{path}.{kind}[{i}]") for i, m in enumerate(members)
        ))  # fmt: skip
    return _condition(data, path)


def _condition(data: dict[str, Any], path: str) -> Condition:
    unknown = set(data) - {"field", "op", "value"}
    if unknown:
        raise InvalidField(f"{path}.{sorted(unknown)[0]}", "unknown key")
    name = data.get("field")
    if name not in FIELDS:
        raise InvalidField(f"{path}.field", f"one of {', '.join(FIELDS)}")
    kind, choices = FIELDS[name]
    op = data.get("op")
    if op not in OPERATORS[kind]:
        raise InvalidField(f"{path}.op", f"for {name}: one of {', '.join(OPERATORS[kind])}")
    value = data.get("value")
    if op in ("in", "not_in") and not isinstance(value, list):
        raise InvalidField(f"{path}.value", "must be a list")
    if op not in ("in", "not_in") and isinstance(value, list):
        raise InvalidField(f"{path}.value", "must be a single value")
    values: list[Any] = value if isinstance(value, list) else [value]
    for item in values:
        if kind == NUMBER and (isinstance(item, bool) or not isinstance(item, (int, float))):
            raise InvalidField(f"{path}.value", "must be a number")
        if kind == FLAG and not isinstance(item, bool):
            raise InvalidField(f"{path}.value", "must be true or false")
        if kind in (CHOICE, TEXT, SET, PREFIX) and not isinstance(item, str):
            raise InvalidField(f"{path}.value", "must be a string")
        if kind == PREFIX and not (item and item[-1] in PREFIX_ENDS):
            raise InvalidField(f"{path}.value", f"a prefix ending with one of {PREFIX_ENDS}")
        if choices and item not in choices:
            raise InvalidField(f"{path}.value", f"one of {', '.join(choices)}")
    return Condition(name, op, tuple(value) if isinstance(value, list) else value)


_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b, "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b,
    "in": lambda a, b: a in b, "not_in": lambda a, b: a not in b,
    "contains": lambda a, b: b in a, "not_contains": lambda a, b: b not in a,
    "starts_with": lambda a, b: a.startswith(b),
}  # fmt: skip


def matches(node: Node, customer: CustomerSnapshot) -> bool:
    if isinstance(node, Group):
        results = (matches(member, customer) for member in node.members)
        return all(results) if node.kind == "all" else any(results)
    actual = _value(customer, node.field)
    if actual is None:
        # "days since" with nothing to count from: never bought is longer ago than any N
        return node.op in ("gt", "gte", "ne", "not_in")
    return _TESTS[node.op](actual, node.value)


def _value(customer: CustomerSnapshot, name: str) -> Any:
    if name == "consent":
        return customer.opted_in
    if name == "customer_id":
        return customer.id
    return getattr(customer, name)


def as_json(node: Node) -> dict[str, Any]:
    if isinstance(node, Group):
        return {node.kind: [as_json(member) for member in node.members]}
    value = list(node.value) if isinstance(node.value, tuple) else node.value
    return {"field": node.field, "op": node.op, "value": value}
