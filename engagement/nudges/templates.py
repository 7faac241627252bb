"""Nudge messages: Jinja2 templates rendered in its sandbox, strictly (DESIGN §5).

A marketer's template can reach only the values it is given (no attribute of Python
objects beyond the sandbox's safe ones); a value the customer does not have raises
``MissingData`` naming it, so that customer is skipped with a reason instead of receiving
"Bonjour  !".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from engagement.commerce import InvalidField

MAX_TEMPLATE_LENGTH = 1000
MAX_CONSTANT = 10**6
# What a template may use; the planner fills them per customer (coupon at send time).
VARIABLES = ("first_name", "points", "stage", "next_badge", "coupon_code", "coupon_value")
# A message needs variables, if/else, comparisons and a few filters. Jinja's sandbox stops
# attribute tricks but not a template that burns memory or CPU ('x' * 10**10, nested loops
# over range(), '%0999999999d' % 1, |center(10**9)), which would take the dispatcher down:
# anything outside this list is refused when the campaign is saved.
FILTERS = frozenset({"default", "d", "upper", "lower", "capitalize", "title", "trim",
                     "round", "int", "float", "string", "abs", "e", "escape"})  # fmt: skip
_ALLOWED = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.Const, nodes.If,
    nodes.CondExpr, nodes.Compare, nodes.Operand, nodes.And, nodes.Or, nodes.Not, nodes.Neg,
    nodes.Pos, nodes.Add, nodes.Sub, nodes.Concat, nodes.Filter, nodes.Test, nodes.Keyword,
)  # fmt: skip


class MissingData(LookupError):
    """The template needs a value this customer does not have."""


class _MessageEnvironment(SandboxedEnvironment):
    """Jinja's sandbox without its globals (range, lipsum, cycler…), and with the operators
    that multiply sizes refused at render time too, for templates saved before the check."""

    intercepted_binops = frozenset({"*", "**", "%", "/", "//"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        raise SecurityError(f"the operator {operator!r} is not allowed in a message")


def new_environment() -> SandboxedEnvironment:
    environment = _MessageEnvironment(undefined=StrictUndefined, autoescape=False)
    environment.globals.clear()
    return environment


_NAMES = {"Call": "a function call", "Getattr": "an attribute (x.y)", "Getitem": "an index (x[…])",
          "For": "a loop", "Assign": "'set'", "AssignBlock": "'set'", "Macro": "a macro",
          "Mul": "'*'", "Pow": "'**'", "Mod": "'%'", "Div": "'/'", "FloorDiv": "'//'",
          "List": "a list", "Dict": "a dict", "Tuple": "a tuple", "Slice": "a slice"}  # fmt: skip


def _refused_construct(parsed: nodes.Template) -> tuple[int, str] | None:
    """The first construct a message may not use, with its line."""
    for node in parsed.find_all(nodes.Node):
        if not isinstance(node, _ALLOWED):
            kind = type(node).__name__
            return node.lineno, _NAMES.get(kind, f"'{kind}'")
        if isinstance(node, nodes.Filter) and (
            node.name not in FILTERS or node.dyn_args or node.dyn_kwargs
        ):
            return node.lineno, f"the filter {node.name!r}"
        if isinstance(node, nodes.Const):
            value = node.value
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                if abs(value) > MAX_CONSTANT:
                    return node.lineno, f"a number over {MAX_CONSTANT}"
            elif not (value is None or isinstance(value, (bool, str))):
                return node.lineno, "a constant of this kind"
    return None


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
    refused = _refused_construct(parsed)
    if refused is not None:
        line, construct = refused
        raise InvalidField(
            field, f"line {line}: {construct} is not allowed in a message; use the variables, "
            f"if/else, comparisons and the filters {', '.join(sorted(FILTERS))}",
        )  # fmt: skip
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
    except SecurityError as exc:  # a template saved before the constructs were checked
        raise MissingData(f"the message cannot be rendered: {exc}") from None


def needs_coupon(text: str) -> bool:
    return bool({"coupon_code", "coupon_value"} & meta.find_undeclared_variables(
        new_environment().parse(text)
    ))  # fmt: skip
