"""Nudge messages: Jinja2 templates rendered in its sandbox, strictly (README: campaigns).

A marketer's template can reach only the values it is given (no attribute of Python
objects beyond the sandbox's safe ones); a value the customer does not have raises
``MissingData`` naming it, so that customer is skipped with a reason instead of receiving
"Bonjour  !".

A template that fails for a reason of its own (``{{ first_name - 1 }}``, a number too large)
is refused when the campaign is saved or previewed: ``check_renders`` renders it against
sample values of every kind its variables hold. One that still fails at send time raises
``RenderFailed``, which skips that delivery and pauses its campaign, nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import product
from types import TracebackType
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.filters import do_round
from jinja2.sandbox import SandboxedEnvironment

from engagement.commerce import InvalidField
from engagement.ladder import STAGES

MAX_TEMPLATE_LENGTH = 1000
MAX_CONSTANT = 10**6
MAX_DECIMALS = 6  # |round(n): 10**n is computed, which takes seconds for n near MAX_CONSTANT
# What a template may use; the planner fills them per customer (coupon at send time), in
# the message's language: points_text is "1 250 points" / "1,250 points", coupon_value
# "5 €" / "€5" (engagement/wording.py), points stays a number to compare.
VARIABLES = ("first_name", "points", "points_text", "stage", "next_badge", "coupon_code",
             "coupon_value")  # fmt: skip
# What each variable can hold at send time, for the check that renders a template before it
# is saved: text or a whole number, or nothing (a customer without a first name, a badge to
# come or a coupon: the variable is then undefined, and the customer skipped if it is used).
SAMPLES: dict[str, tuple[Any, ...]] = {
    "first_name": ("Camille", None),
    "points": (0, 1250),
    "points_text": ("0 point", "1,250 points"),
    "stage": (STAGES[0], STAGES[-1]),
    "next_badge": ("Ambassadeur", None),
    "coupon_code": ("BIENVENUE5-7K2Q9XWM", None),
    "coupon_value": ("5\u00a0€", "10%", None),
}
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


class RenderFailed(ValueError):
    """The template fails whatever the customer (an operation on text, a number too large,
    a construct refused): the campaign's message must change. ``line`` is the template's."""

    def __init__(self, line: int | None, problem: str) -> None:
        super().__init__(f"line {line}: {problem}" if line else problem)
        self.line = line
        self.problem = problem


class _MessageEnvironment(SandboxedEnvironment):
    """Jinja's sandbox without its globals (range, lipsum, cycler…), and with the operators
    that multiply sizes refused at render time too, for templates saved before the check."""

    intercepted_binops = frozenset({"*", "**", "%", "/", "//"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        raise SecurityError(f"the operator {operator!r} is not allowed in a message")


def _bounded_round(value: Any, precision: Any = 0, method: Any = "common") -> Any:
    if not isinstance(precision, int) or not 0 <= precision <= MAX_DECIMALS:
        raise SecurityError(f"round keeps 0 to {MAX_DECIMALS} decimals")
    return do_round(value, precision, method)


def new_environment() -> SandboxedEnvironment:
    environment = _MessageEnvironment(undefined=StrictUndefined, autoescape=False)
    environment.globals.clear()
    environment.filters["round"] = _bounded_round
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
    except Exception as exc:  # TypeError, OverflowError, SecurityError (an older template)…
        raise RenderFailed(_template_line(exc.__traceback__), _problem(exc)) from None


def check_renders(environment: SandboxedEnvironment, text: str, field: str) -> None:
    """Renders a checked template (``check_template``) with every combination of the
    sample values of the variables it uses; ``InvalidField`` naming the line and the values
    when one fails other than for a missing value."""
    template = environment.from_string(text)
    used = sorted(meta.find_undeclared_variables(environment.parse(text)) & set(SAMPLES))
    for values in product(*(SAMPLES[name] for name in used)):
        sample = dict(zip(used, values, strict=True))
        try:
            render(environment, template, sample)
        except MissingData:
            continue  # such a customer is skipped with that reason: not the template's fault
        except RenderFailed as exc:
            shown = ", ".join(f"{name}={value!r}" for name, value in sample.items()
                              if value is not None) or "no values"  # fmt: skip
            raise InvalidField(field, f"{exc} (with {shown})") from None


def _template_line(trace: TracebackType | None) -> int | None:
    """The template line an exception came from: Jinja rewrites the traceback so that the
    template's frames carry its file name and line."""
    line = None
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == "<template>":
            line = trace.tb_lineno
        trace = trace.tb_next
    return line


def _problem(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def needs_coupon(text: str) -> bool:
    return bool({"coupon_code", "coupon_value"} & meta.find_undeclared_variables(
        new_environment().parse(text)
    ))  # fmt: skip
