"""Conditions compiled once into small closures, so evaluation does no parsing per event."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from engagement.rules.model import Check

_MISSING = object()
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
OPERATORS = (*_COMPARE, "in", "not_in", "contains", "exists")


def compile_condition(scope: str, path: str, op: str, value: Any) -> Check:
    """A test of (event data, customer counters); raises ValueError for a bad value."""
    keys = tuple(path.split("."))
    pick = _picker(scope, keys)
    if op in ("gt", "gte", "lt", "lte"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"'{op}' compares with a number, not {value!r}")
        compare = _COMPARE[op]
        return lambda event, customer: _ordered(pick(event, customer), value, compare)
    if op in ("eq", "ne"):
        if isinstance(value, (list, dict)):
            raise ValueError(f"'{op}' compares with one value; use 'in' for a list")
        equal = op == "eq"
        return lambda event, customer: (pick(event, customer) == value) is equal
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise ValueError(f"'{op}' needs a non-empty list")
        choices = frozenset(v for v in value if not isinstance(v, (list, dict)))
        inside = op == "in"
        return lambda event, customer: _member(pick(event, customer), choices) is inside
    if op == "contains":
        if isinstance(value, (list, dict)):
            raise ValueError("'contains' tests one value")
        return lambda event, customer: _contains(pick(event, customer), value)
    if not isinstance(value, bool):
        raise ValueError("'exists' takes true or false")
    return lambda event, customer: (pick(event, customer) is not _MISSING) is value


def _picker(
    scope: str, keys: tuple[str, ...]
) -> Callable[[Mapping[str, Any], Mapping[str, Any]], Any]:
    if scope == "customer":
        (key,) = keys
        return lambda event, customer: customer.get(key, _MISSING)
    if len(keys) == 1:
        (key,) = keys
        return lambda event, customer: event.get(key, _MISSING)

    def pick(event: Mapping[str, Any], customer: Mapping[str, Any]) -> Any:
        value: Any = event
        for key in keys:
            if not isinstance(value, Mapping):
                return _MISSING
            value = value.get(key, _MISSING)
        return value

    return pick


def _ordered(found: Any, value: float, compare: Callable[[Any, Any], bool]) -> bool:
    if isinstance(found, bool) or not isinstance(found, (int, float)):
        return False
    return compare(found, value)


def _member(found: Any, choices: frozenset[Any]) -> bool:
    try:
        return found in choices
    except TypeError:
        return False


def _contains(found: Any, value: Any) -> bool:
    if isinstance(found, (list, tuple, set, frozenset)):
        return value in found
    return False
