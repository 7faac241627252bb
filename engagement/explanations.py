"""Why a customer got no points for something (pure): what they ask about, read from their
message, and the answer about that one activity, from the decision log, the ledger and the
status of their contributions and referrals. Never a list of unrelated rules."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

# What a customer can ask "why no points?" about, in the order their words are read: "mon
# vote pour une idée" is about a vote, "mon avis sur la commande CMD-1" about a review.
SUBJECTS = ("vote", "review", "idea", "referral", "share", "club", "news", "purchase")

# Word stems (accents removed, lower case) that name each subject, in French and English.
_STEMS: dict[str, tuple[str, ...]] = {
    "vote": ("vote", "voting", "votai"),
    "review": ("avis", "review", "commentaire", "evaluation"),
    "idea": ("idee", "idea", "suggestion"),
    "referral": ("parrain", "filleul", "refer", "friend", "amie", "copine", "copain"),
    "share": ("partag", "share", "sharing"),
    "club": ("club",),
    "news": ("nouvelle", "news", "abonn", "subscri", "inscri"),
    "purchase": (
        "achat", "achet", "command", "comand", "order", "purchas", "bought", "buy", "cmd",
    ),
}  # fmt: skip
_EXACT: dict[str, tuple[str, ...]] = {"referral": ("ami", "amis")}
# The events that are an activity by themselves (the others are read from contributions and
# referrals) → the subject they are about: "news" is subscribing to the brand's news.
EVENT_SUBJECTS = {"purchase": "purchase", "vote": "vote", "share": "share",
                  "opt_in": "news", "club_join": "club"}  # fmt: skip
_ORDER_ID = re.compile(r"(?:#|\bcmd[- ]?)\d{3,}|\b[a-z]{1,5}-\d{3,}\b", re.IGNORECASE)

# What the answer can be about a rule that did not pay (the decision log's outcomes).
RULE_OUTCOMES = ("not_eligible", "no_consent", "capped", "over_budget")
# Outcomes whose answer is the same whatever the activity (the others name it).
# "capped_once": capped by a rule that pays once ever ("possible again later" would be untrue).
GENERIC_OUTCOMES = (*RULE_OUTCOMES, "capped_once", "no_reward")
# Why a referral did not count (engagement/referrals.py's refusals) → the answer's outcome.
REFERRAL_REFUSALS = {
    "self-referral": "refused_self",
    "friend already referred": "refused_already_referred",
    "not the friend's first purchase": "refused_not_first_purchase",
}


@dataclass(frozen=True)
class Asked:
    """What the customer asks about: a subject (None: they did not say) and an order id."""

    subject: str | None
    order_id: str | None = None


@dataclass(frozen=True)
class Activity:
    """One thing the customer did that may earn points.

    ``events``: the ids of the events the rules decided on for it; ``status``: a
    contribution's (pending, approved, rejected, shipped), a referral's (converted,
    refused), otherwise "done"; ``reason``: why a referral was refused."""

    subject: str
    at: datetime
    events: tuple[str, ...] = ()
    status: str = "done"
    order_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Logged:
    """A row of the decision log: the rule's outcome for one event."""

    event_id: str
    rule_id: str
    outcome: str


@dataclass(frozen=True)
class Entry:
    """A ledger entry: an award, or a reversal of the award ``reverses``."""

    id: int
    event_id: str
    points: int
    reverses: int | None = None


@dataclass(frozen=True)
class Explanation:
    """The answer. ``subject`` is None only when the customer has no activity at all.

    ``outcome``: pending, rejected, awarded, refunded, none_found, unknown_order,
    no_reward, one of ``RULE_OUTCOMES`` (then ``rule_id`` says which rule) or, for a
    referral, one of ``REFERRAL_REFUSALS``' values or "refused"."""

    subject: str | None
    outcome: str
    rule_id: str | None = None
    points: int = 0
    order_id: str | None = None


def asked_about(text: str | None, order_id: str | None = None) -> Asked:
    """The subject of "why no points for …?" from the message's words, and the order it
    names (the ``order_id`` entity, or an order number written in the text)."""
    plain = _plain(text or "")
    words = re.findall(r"\w+", plain)
    named = order_id or _order_in(text or "")
    for subject in SUBJECTS:
        stems, exact = _STEMS[subject], _EXACT.get(subject, ())
        if any(word.startswith(stems) or word in exact for word in words):
            return Asked(subject, named)
    return Asked("purchase" if named else None, named)


def explain(
    asked: Asked,
    activities: Iterable[Activity],
    decisions: Sequence[Logged],
    ledger: Sequence[Entry],
    paying: Collection[str],
    once: Collection[str] = (),
) -> Explanation:
    """The answer about the activity asked about (its most recent one of that subject, the
    order named if any), or about the customer's most recent activity when they did not
    say. ``paying``: the ids of the rules that give points (a badge-only rule that did not
    apply is no answer to "why no points?"); ``once``: those that pay once ever."""
    candidates = list(activities)
    if asked.subject is not None:
        candidates = [a for a in candidates if a.subject == asked.subject]
    if asked.order_id:
        forms = set(order_id_forms(asked.order_id))
        same_order = [a for a in candidates if a.order_id and forms & {*order_id_forms(a.order_id)}]
        if same_order or asked.subject in (None, "purchase"):
            candidates = same_order
    if not candidates:
        if asked.subject is None and asked.order_id is None:
            return Explanation(None, "none_found")
        if asked.order_id and asked.subject in (None, "purchase"):
            return Explanation("purchase", "unknown_order", order_id=asked.order_id)
        return Explanation(asked.subject, "none_found", order_id=asked.order_id)
    activity = max(candidates, key=lambda a: a.at)
    return _explain_one(activity, decisions, ledger, paying, once)


def _explain_one(
    activity: Activity,
    decisions: Sequence[Logged],
    ledger: Sequence[Entry],
    paying: Collection[str],
    once: Collection[str],
) -> Explanation:
    subject, order_id = activity.subject, activity.order_id
    if activity.status == "pending":
        return Explanation(subject, "pending")
    if activity.status == "rejected":
        return Explanation(subject, "rejected")
    if activity.status == "refused":
        outcome = REFERRAL_REFUSALS.get(activity.reason or "", "refused")
        return Explanation(subject, outcome)
    events = set(activity.events)
    awards = {e.id: e.points for e in ledger if e.event_id in events and e.reverses is None}
    taken = sum(e.points for e in ledger if e.reverses in awards)
    if sum(awards.values()) > 0:
        net = sum(awards.values()) + taken
        if net > 0:
            return Explanation(subject, "awarded", points=net, order_id=order_id)
        taken_back = {"purchase": "refunded", "review": "rejected", "idea": "rejected"}
        return Explanation(subject, taken_back.get(subject, "no_reward"), order_id=order_id)
    mine = [d for d in decisions if d.event_id in events and d.rule_id in paying]
    missed = next((d for d in mine if d.outcome in RULE_OUTCOMES), None)
    if missed is not None:
        capped_once = missed.outcome == "capped" and missed.rule_id in once
        outcome = "capped_once" if capped_once else missed.outcome
        return Explanation(subject, outcome, missed.rule_id, order_id=order_id)
    return Explanation(subject, "no_reward", order_id=order_id)


def order_id_forms(order_id: str) -> list[str]:
    """``#48213``, ``cmd 48213`` and ``CMD-48213`` all name the shop's order ``CMD-48213``."""
    bare = order_id.strip().lstrip("#").upper()
    digits = "".join(ch for ch in bare if ch.isdigit())
    forms = {bare}
    if digits:
        forms |= {digits, f"CMD-{digits}", f"O-{digits}"}
    return sorted(forms)


def _order_in(text: str) -> str | None:
    found = _ORDER_ID.search(text)
    return found.group(0) if found else None


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
