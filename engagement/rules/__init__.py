"""Reward rules: the file community managers edit, its parser, and the pure evaluator."""

from engagement.rules.engine import (
    ALREADY_EARNED,
    AWARDED,
    CAPPED,
    NO_CONSENT,
    NOT_ELIGIBLE,
    OVER_BUDGET,
    CustomerFacts,
    Decision,
    EventFacts,
    StreamEvaluator,
    Usage,
    evaluate,
    evaluate_stream,
)
from engagement.rules.model import (
    Badge,
    Budget,
    CouponTemplate,
    Limit,
    PointsExpiry,
    Problem,
    Rule,
    RuleSet,
    RulesFileInvalid,
)
from engagement.rules.parser import EVENT_TYPES, parse_rules
from engagement.rules.stamp import stamp_version

__all__ = [
    "ALREADY_EARNED", "AWARDED", "CAPPED", "EVENT_TYPES", "NOT_ELIGIBLE", "NO_CONSENT",
    "OVER_BUDGET", "Badge", "Budget", "CouponTemplate", "CustomerFacts", "Decision",
    "EventFacts", "Limit", "PointsExpiry", "Problem", "Rule", "RuleSet", "RulesFileInvalid",
    "StreamEvaluator", "Usage", "evaluate", "evaluate_stream", "parse_rules", "stamp_version",
]  # fmt: skip
