"""Nudge messages: Jinja2 templates rendered in its sandbox, strictly (DESIGN §5).

A marketer's template can reach only the values it is given (no attribute of Python
objects beyond the sandbox's safe ones); a value the customer does not have raises
``MissingData`` naming it, so that customer is skipped with a reason instead of receiving
"Bonjour  !".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError, meta
from jinja2.sandbox import SandboxedEnvironment

from engagement.commerce import InvalidField

MAX_TEMPLATE_LENGTH = 1000
# What a template may use; the planner fills them per customer (coupon at send time).
VARIABLES = ("first_name", "points", "stage", "next_badge", "coupon_code", "coupon_value")


class MissingData(LookupError):
    """The template needs a value this customer does not have."""


def new_environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def check_template(environment: SandboxedEnvironment, text: Any, field: str) -> str:
    """The template if it compiles and uses only known variables; else ``InvalidField``."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidField(field, "must be a non-empty string")
    if len(text) > MAX_TEMPLATE_LENGTH:
        raise InvalidField(field, f"at most {MAX_TEMPLATE_LENGTH} characters")
    try:
        parsed = environment.parse(text)
    except TemplateSyntaxError as exc:
        raise InvalidField(field, f"line {exc.lineno}: {exc.message}") from None
    unknown = sorted(meta.find_undeclared_variables(parsed) - set(VARIABLES))
    if unknown:
        raise InvalidField(field, f"unknown variable {unknown[0]!r}; use {', '.join(VARIABLES)}")
    return text


def render(
    environment: SandboxedEnvironment, text: str | Template, values: Mapping[str, Any]
) -> str:
    """``text`` may be compiled already (``environment.from_string``): a campaign's message
    is compiled once per batch, not once per customer."""
    present = {key: value for key, value in values.items() if value is not None and value != ""}
    template = environment.from_string(text) if isinstance(text, str) else text
    try:
        return template.render(**present).strip()
    except UndefinedError as exc:
        raise MissingData(str(exc.message or "a value is missing")) from None


def needs_coupon(text: str) -> bool:
    return bool({"coupon_code", "coupon_value"} & meta.find_undeclared_variables(
        new_environment().parse(text)
    ))  # fmt: skip
