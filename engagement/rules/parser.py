"""``parse_rules(text)``: a rules file to a ``RuleSet``, or every problem with its line.

The YAML is loaded with a loader that remembers the line of every key, so a problem deep in
a rule points at the line a community manager has to fix. The parser never raises anything
but ``RulesFileInvalid``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from engagement.rules.conditions import OPERATORS, compile_condition
from engagement.rules.model import (
    PERIODS,
    Badge,
    Budget,
    Condition,
    CouponTemplate,
    Limit,
    PointsExpiry,
    Problem,
    Rule,
    RuleSet,
    RulesFileInvalid,
)

EVENT_TYPES = frozenset(
    {
        # from the shop
        "purchase", "shipment", "delivery", "cancellation", "refund",
        # from the conversation and the community
        "review", "review_approved", "idea", "idea_approved", "idea_shipped", "vote",
        "referral", "referral_converted", "share", "survey_answer", "opt_in", "opt_out",
        "club_join", "conversation", "problem_report", "problem_resolved", "nudge_answer",
    }
)  # fmt: skip
CUSTOMER_FIELDS = frozenset(
    {
        "purchases", "conversations", "nudge_answers", "reviews", "ideas", "referrals",
        "shares", "contributions", "contribution_kinds", "points", "language", "opted_in",
        "club_member", "badges", "stage", "purchase_streak_months",
    }
)  # fmt: skip
# Incentives must not depend on the opinion (README: rules): review rules may not test these.
OPINION_FIELDS = frozenset(
    {"rating", "stars", "score", "sentiment", "tone", "polarity", "opinion", "text", "nps"}
)
REVIEW_EVENTS = frozenset({"review", "review_approved"})
LADDER_KEYS = frozenset(
    {
        "purchases_for_choice", "conversations_for_relation", "nudge_answers_for_attention",
        "repeat_purchases_for_adherence", "contributions_for_contribution",
        "contribution_kinds_for_flow", "channels_for_flow", "months_for_flow",
        "ignored_nudges_to_zap",
    }
)  # fmt: skip
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_POINTS = 100_000


class Located(dict[Any, Any]):
    """A mapping that knows its own line and the line of each key."""

    line: int = 1
    lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.lines.get(key, self.line)


class LocatedList(list[Any]):
    line: int = 1
    lines: list[int]


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false, so a rule's ``on:`` key stays the word "on"."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Located:
    mapping = Located()
    mapping.line = node.start_mark.line + 1
    mapping.lines = {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise _Problem(line, "a key must be a plain word")
        if key in mapping:
            raise _Problem(line, f"'{key}' is given twice")
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[key] = line
    return mapping


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LocatedList:
    items = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    items.line = node.start_mark.line + 1
    items.lines = [child.start_mark.line + 1 for child in node.value]
    return items


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class _Problem(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def load_located(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except _Problem as problem:
        raise RulesFileInvalid([Problem(problem.line, problem.message)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        reason = exc.problem or str(exc)
        raise RulesFileInvalid([Problem(line, f"not valid YAML: {reason}")]) from None
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as exc:
        raise RulesFileInvalid([Problem(1, f"not valid YAML: {exc}")]) from None


def parse_rules(text: str) -> RuleSet:
    """The rule set of ``text``; raises ``RulesFileInvalid`` listing every problem."""
    document = load_located(text)
    problems: list[Problem] = []
    if not isinstance(document, Located):
        raise RulesFileInvalid([Problem(1, "the file must be a mapping with a 'rules' list")])
    builder = _Builder(problems)
    ruleset = builder.build(document)
    if problems or ruleset is None:
        raise RulesFileInvalid(problems or [Problem(1, "no rules")])
    return ruleset


class _Builder:
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(line, message))

    def build(self, doc: Located) -> RuleSet | None:
        self.unknown_keys(doc, {"version", "badges", "coupons", "rules", "points_expiry", "ladder"})
        version = doc.get("version", 1)  # the number it was published as (publishing sets it)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            self.problem(doc.line_of("version"), "'version' must be a whole number from 1")
        badges = self.named_section(doc, "badges", self.badge)
        coupons = self.named_section(doc, "coupons", self.coupon)
        expiry = self.expiry(doc)
        ladder = self.ladder(doc)
        raw_rules = doc.get("rules")
        if not isinstance(raw_rules, LocatedList) or not raw_rules:
            self.problem(doc.line_of("rules"), "'rules' must be a non-empty list")
            return None
        rules: list[Rule] = []
        seen: dict[str, int] = {}
        for raw, line in zip(raw_rules, raw_rules.lines, strict=True):
            rule_id = raw.get("id") if isinstance(raw, Located) else None
            if isinstance(rule_id, str) and rule_id in seen:
                self.problem(line, f"rule id '{rule_id}' is already used on line {seen[rule_id]}")
            elif isinstance(rule_id, str):
                seen[rule_id] = line
            rule = self.rule(raw, line, badges, coupons)
            if rule is not None:
                rules.append(rule)
        return RuleSet.of(
            tuple(rules), badges=badges, coupons=coupons, points_expiry=expiry, ladder=ladder
        )

    def unknown_keys(self, mapping: Located, allowed: set[str]) -> None:
        for key in mapping:
            if key not in allowed:
                self.problem(
                    mapping.line_of(key),
                    f"unknown key '{key}' (expected one of: {', '.join(sorted(allowed))})",
                )

    def named_section(
        self, doc: Located, name: str, build: Callable[[str, Any, int], Any]
    ) -> dict[str, Any]:
        section = doc.get(name)
        if section is None:
            return {}
        if not isinstance(section, Located):
            self.problem(doc.line_of(name), f"'{name}' must be a mapping of ids")
            return {}
        built = {}
        for key, value in section.items():
            line = section.line_of(key)
            if not isinstance(key, str) or not IDENTIFIER.match(key):
                self.problem(line, f"'{key}' is not a valid id (lowercase letters, digits, _)")
                continue
            item = build(key, value, line)
            if item is not None:
                built[key] = item
        return built

    def badge(self, badge_id: str, value: Any, line: int) -> Badge | None:
        if not isinstance(value, Located):
            self.problem(line, f"badge '{badge_id}' needs its names: {{fr: ..., en: ...}}")
            return None
        self.unknown_keys(value, {"fr", "en"})
        names = {}
        for language in ("fr", "en"):
            name = value.get(language)
            if not isinstance(name, str) or not name.strip():
                self.problem(value.line_of(language), f"badge '{badge_id}' needs a {language} name")
            names[language] = str(name or "")
        return Badge(badge_id, names["fr"], names["en"])

    def coupon(self, coupon_id: str, value: Any, line: int) -> CouponTemplate | None:
        if not isinstance(value, Located):
            self.problem(line, f"coupon '{coupon_id}' must be a mapping")
            return None
        self.unknown_keys(value, {"percent", "amount", "valid_days", "min_basket"})
        kinds = [k for k in ("percent", "amount") if k in value]
        if len(kinds) != 1:
            self.problem(line, f"coupon '{coupon_id}' needs exactly one of 'percent' or 'amount'")
            return None
        kind = kinds[0]
        amount = self.decimal(value, kind, line)
        if amount is not None and (amount <= 0 or (kind == "percent" and amount > 100)):
            self.problem(value.line_of(kind), f"'{kind}' must be above 0" + (
                " and at most 100" if kind == "percent" else ""))  # fmt: skip
        valid_days = self.integer(value, "valid_days", 1, 3650, required=True)
        min_basket = self.decimal(value, "min_basket", line) if "min_basket" in value else None
        if amount is None or valid_days is None:
            return None
        return CouponTemplate(coupon_id, kind, amount, valid_days, min_basket or Decimal(0))

    def expiry(self, doc: Located) -> PointsExpiry | None:
        value = doc.get("points_expiry")
        if value is None:
            return None
        if not isinstance(value, Located):
            self.problem(doc.line_of("points_expiry"), "'points_expiry' must be a mapping")
            return None
        self.unknown_keys(value, {"after_days", "warn_days"})
        after = self.integer(value, "after_days", 1, 3650, required=True)
        warn = self.integer(value, "warn_days", 0, 365, required=True)
        if after is None or warn is None:
            return None
        if warn >= after:
            self.problem(value.line_of("warn_days"), "'warn_days' must be less than 'after_days'")
        return PointsExpiry(after, warn)

    def ladder(self, doc: Located) -> dict[str, int]:
        value = doc.get("ladder")
        if value is None:
            return {}
        if not isinstance(value, Located):
            self.problem(doc.line_of("ladder"), "'ladder' must be a mapping of thresholds")
            return {}
        self.unknown_keys(value, set(LADDER_KEYS))
        ladder = {}
        for key in value:
            if key in LADDER_KEYS:
                number = self.integer(value, key, 1, 1000, required=True)
                if number is not None:
                    ladder[key] = number
        return ladder

    def rule(
        self, raw: Any, line: int, badges: Mapping[str, Badge], coupons: Mapping[str, Any]
    ) -> Rule | None:
        if not isinstance(raw, Located):
            self.problem(line, "each rule must be a mapping with 'id', 'on' and 'then'")
            return None
        allowed = {"id", "on", "if", "then", "limit", "budget", "requires_consent", "description"}
        self.unknown_keys(raw, allowed)
        count = len(self.problems)
        rule_id = raw.get("id")
        if not isinstance(rule_id, str) or not IDENTIFIER.match(rule_id):
            self.problem(raw.line_of("id"), "a rule needs an 'id' (lowercase letters, digits, _)")
            rule_id = "?"
        on = raw.get("on")
        on_line = raw.line_of("on")
        if on not in EVENT_TYPES:
            self.problem(on_line, f"rule '{rule_id}': 'on' must be one of the event types "
                         f"({', '.join(sorted(EVENT_TYPES))}), not {on!r}")  # fmt: skip
        conditions = self.conditions(raw, rule_id, str(on))
        effects = self.effects(raw, rule_id, badges, coupons)
        limit = self.limit(raw, rule_id)
        budget = self.budget(raw, rule_id)
        descriptions = self.description(raw, rule_id)
        consent = raw.get("requires_consent", False)
        if not isinstance(consent, bool):
            self.problem(
                raw.line_of("requires_consent"), "'requires_consent' must be true or false"
            )
        if len(self.problems) > count or effects is None:
            return None
        return Rule(
            id=rule_id, on=str(on), conditions=conditions, limit=limit, budget=budget,
            requires_consent=bool(consent), line=line, **descriptions, **effects,
        )  # fmt: skip

    def description(self, raw: Located, rule_id: str) -> dict[str, Any]:
        value = raw.get("description")
        if value is None:
            return {}
        if not isinstance(value, Located) or not all(
            isinstance(value.get(lang), str) and value[lang].strip() for lang in ("fr", "en")
        ):
            self.problem(raw.line_of("description"), f"rule '{rule_id}': 'description' needs "
                         "a French and an English text: {fr: ..., en: ...}")  # fmt: skip
            return {}
        self.unknown_keys(value, {"fr", "en"})
        return {"description_fr": value["fr"], "description_en": value["en"]}

    def conditions(self, raw: Located, rule_id: str, on: str) -> tuple[Condition, ...]:
        items = raw.get("if")
        if items is None:
            return ()
        if not isinstance(items, LocatedList):
            self.problem(raw.line_of("if"), f"rule '{rule_id}': 'if' must be a list of conditions")
            return ()
        conditions = []
        for item, line in zip(items, items.lines, strict=True):
            if not isinstance(item, Located) or len(item) != 1:
                self.problem(line, "a condition is one field with one test, "
                             "e.g. '- event.order.total: {gte: 100}'")  # fmt: skip
                continue
            ((field, test),) = item.items()
            condition = self.condition(str(field), test, line, rule_id, on)
            if condition is not None:
                conditions.append(condition)
        return tuple(conditions)

    def condition(
        self, field: str, test: Any, line: int, rule_id: str, on: str
    ) -> Condition | None:
        scope, _, path = field.partition(".")
        if scope not in ("event", "customer") or not path:
            self.problem(line, f"'{field}': a field starts with 'event.' or 'customer.'")
            return None
        if scope == "customer" and path not in CUSTOMER_FIELDS:
            self.problem(line, f"'{field}' is not a customer field "
                         f"({', '.join(sorted(CUSTOMER_FIELDS))})")  # fmt: skip
            return None
        if on in REVIEW_EVENTS and scope == "event" and (set(path.split(".")) & OPINION_FIELDS):
            self.problem(line, f"rule '{rule_id}' may not condition a review reward on "
                         f"'{field}': incentives must not depend on the opinion")  # fmt: skip
            return None
        if not isinstance(test, Located) or len(test) != 1:
            self.problem(line, f"'{field}' needs one test, e.g. {{gte: 100}} "
                         f"(tests: {', '.join(OPERATORS)})")  # fmt: skip
            return None
        ((op, value),) = test.items()
        if op not in OPERATORS:
            self.problem(line, f"unknown test '{op}' (tests: {', '.join(OPERATORS)})")
            return None
        try:
            check = compile_condition(scope, path, str(op), value)
        except ValueError as exc:
            self.problem(line, f"'{field}': {exc}")
            return None
        return Condition(field, str(op), value, check)

    def effects(
        self, raw: Located, rule_id: str, badges: Mapping[str, Badge], coupons: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        then = raw.get("then")
        if not isinstance(then, Located) or not then:
            self.problem(raw.line_of("then"), f"rule '{rule_id}' needs 'then' with what it gives")
            return None
        self.unknown_keys(then, {"points", "points_per_euro", "max_points", "badge", "coupon",
                                 "fusion"})  # fmt: skip
        effects: dict[str, Any] = {
            "points": self.integer(then, "points", 1, MAX_POINTS) or 0,
            "max_points": self.integer(then, "max_points", 1, MAX_POINTS),
            "fusion": self.integer(then, "fusion", -20, 20) or 0,
            "points_per_euro": None,
        }
        if "points_per_euro" in then:
            rate = self.decimal(then, "points_per_euro", then.line)
            if rate is not None and not Decimal(0) < rate <= 100:
                self.problem(then.line_of("points_per_euro"), "'points_per_euro' must be 0–100")
            effects["points_per_euro"] = rate
        for key, known, kind in (("badge", badges, "badges"), ("coupon", coupons, "coupons")):
            if key in then:
                if then[key] not in known:
                    self.problem(then.line_of(key), f"{key} '{then[key]}' is not defined under "
                                 f"'{kind}'")  # fmt: skip
                effects[key] = str(then[key])
        if effects["fusion"] == 0 and not (
            effects["points"] or effects["points_per_euro"] or "badge" in then or "coupon" in then
        ):
            self.problem(then.line, f"rule '{rule_id}' gives nothing")
        return effects

    def limit(self, raw: Located, rule_id: str) -> Limit | None:
        value = raw.get("limit")
        if value is None:
            return None
        if not isinstance(value, Located):
            self.problem(raw.line_of("limit"), "'limit' must be {count: N, per: day|week|...}")
            return None
        self.unknown_keys(value, {"count", "per"})
        count = self.integer(value, "count", 1, 10_000, required=True)
        per = self.period(value)
        return Limit(count, per) if count is not None and per is not None else None

    def budget(self, raw: Located, rule_id: str) -> Budget | None:
        value = raw.get("budget")
        if value is None:
            return None
        if not isinstance(value, Located):
            self.problem(raw.line_of("budget"), "'budget' must be {points|coupons: N, per: ...}")
            return None
        self.unknown_keys(value, {"points", "coupons", "per"})
        points = self.integer(value, "points", 1, 10**9)
        coupons = self.integer(value, "coupons", 1, 10**7)
        if points is None and coupons is None:
            self.problem(value.line, f"rule '{rule_id}': a budget needs 'points' or 'coupons'")
        per = self.period(value)
        return Budget(per, points, coupons) if per is not None else None

    def period(self, value: Located) -> str | None:
        per = value.get("per")
        if per not in PERIODS:
            self.problem(value.line_of("per"), f"'per' must be one of {', '.join(PERIODS)}")
            return None
        return str(per)

    def integer(
        self, mapping: Located, key: str, low: int, high: int, *, required: bool = False
    ) -> int | None:
        if key not in mapping:
            if required:
                self.problem(mapping.line, f"'{key}' is required")
            return None
        value = mapping[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problem(
                mapping.line_of(key), f"'{key}' must be a whole number from {low} to {high}"
            )
            return None
        return value

    def decimal(self, mapping: Located, key: str, line: int) -> Decimal | None:
        value = mapping.get(key)
        try:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InvalidOperation
            return Decimal(str(value))
        except InvalidOperation:
            self.problem(mapping.line_of(key), f"'{key}' must be a number")
            return None
