"""The customer ladder (README: rules): which stage a customer stands on, from facts. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

STAGES = ("need", "choice", "relation", "attention", "adherence", "contribution", "flow")


@dataclass(frozen=True)
class LadderCriteria:
    """Thresholds for each stage's entry criterion (the defaults README's rules lists)."""

    purchases_for_choice: int = 1
    conversations_for_relation: int = 1
    nudge_answers_for_attention: int = 1
    repeat_purchases_for_adherence: int = 2
    contributions_for_contribution: int = 1
    contribution_kinds_for_flow: int = 2
    channels_for_flow: int = 2
    months_for_flow: int = 3
    ignored_nudges_to_zap: int = 5


@dataclass(frozen=True)
class StageChanged:
    customer_id: str
    from_stage: str
    to_stage: str
    at: datetime


def stage_of(facts: Mapping[str, Any], criteria: LadderCriteria = LadderCriteria()) -> str:
    """The highest stage whose criterion the customer meets (each stage builds on the one
    below: a customer who contributed without ever buying stays at ``need``)."""
    checks = _criteria_met(facts, criteria)
    stage = "need"
    for candidate in STAGES[1:]:
        if not checks[candidate]:
            break
        stage = candidate
    return stage


def next_step(facts: Mapping[str, Any], criteria: LadderCriteria = LadderCriteria()) -> str | None:
    """What the customer can do next that they have not done yet, towards the first stage
    above theirs whose criterion they do not meet (None at the top).

    Criteria the customer already meets above their stage are skipped (a club member who
    stands on ``relation`` is not asked to join the club). Answering one of our messages
    (``attention``) is no step a customer can take on their own: the answer is counted
    when they write after a message we sent, so it is named only when nothing else is
    left. ``facts`` are the ladder's (``customer_counters``), with the conversation the
    customer is having counted in ``conversations``, and ``pending_contributions``:
    reviews and ideas waiting for moderation."""
    checks = _criteria_met(facts, criteria)
    stage = stage_of(facts, criteria)
    unmet = [s for s in STAGES[STAGES.index(stage) + 1 :] if not checks[s]]
    towards = [s for s in unmet if s != "attention"] or unmet
    if not towards:
        return None
    match towards[0]:
        case "choice":
            return "first_purchase"
        case "relation":
            return "talk"
        case "attention":
            return "answer_message"
        case "adherence":
            return "join_club"
        case "contribution":
            return "contribution_pending" if _n(facts, "pending_contributions") else "contribute"
    if _n(facts, "contribution_kinds") < criteria.contribution_kinds_for_flow:
        return "contribute_another_way"
    return "stay_connected"


def _criteria_met(facts: Mapping[str, Any], criteria: LadderCriteria) -> dict[str, bool]:
    """Whether the customer meets each stage's own entry criterion (whatever lies below)."""
    return {
        "choice": _n(facts, "purchases") >= criteria.purchases_for_choice,
        "relation": _n(facts, "conversations") >= criteria.conversations_for_relation,
        "attention": _n(facts, "nudge_answers") >= criteria.nudge_answers_for_attention,
        "adherence": bool(facts.get("opted_in"))
        or bool(facts.get("club_member"))
        or _n(facts, "purchases") >= criteria.repeat_purchases_for_adherence,
        "contribution": _n(facts, "contributions") >= criteria.contributions_for_contribution,
        "flow": _n(facts, "contribution_kinds") >= criteria.contribution_kinds_for_flow
        and (
            _n(facts, "channels") >= criteria.channels_for_flow
            or _n(facts, "months_active") >= criteria.months_for_flow
        ),
    }


def is_zapped(facts: Mapping[str, Any], criteria: LadderCriteria = LadderCriteria()) -> bool:
    """Opted out, or ignored the last N nudges in a row: stop nudging (README: rules)."""
    return bool(facts.get("opted_out")) or (
        _n(facts, "ignored_nudges_in_row") >= criteria.ignored_nudges_to_zap
    )


def stage_change(
    customer_id: str, previous: str | None, current: str, at: datetime
) -> StageChanged | None:
    before = previous or "need"
    return None if before == current else StageChanged(customer_id, before, current, at)


def _n(facts: Mapping[str, Any], key: str) -> int:
    value = facts.get(key, 0)
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0
