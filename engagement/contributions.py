"""Contributions (README: rules): what a customer may submit, and how moderation moves it. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from engagement.commerce import InvalidField

# Reviews and ideas wait for a moderator; a share or a survey answer stands at once.
MODERATED = frozenset({"review", "idea"})
KINDS = frozenset({"review", "idea", "share", "survey_answer"})
MAX_TITLE = 200
MAX_BODY = 5_000

# (status now, moderator's decision) → status after
TRANSITIONS = {
    ("pending", "approve"): "approved",
    ("pending", "reject"): "rejected",
    ("approved", "reject"): "rejected",
    ("approved", "ship"): "shipped",
}
DECISIONS = frozenset(decision for _, decision in TRANSITIONS)


class ModerationRefused(ValueError):
    """A decision that does not apply to the contribution in its current status."""


@dataclass(frozen=True)
class Submission:
    id: str
    customer_id: str
    kind: str
    occurred_at: datetime
    title: str | None = None
    body: str | None = None
    rating: int | None = None
    order_id: str | None = None
    sku: str | None = None
    language: str | None = None
    channel: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidField("kind", f"must be one of {', '.join(sorted(KINDS))}")
        if self.kind == "review":
            if isinstance(self.rating, bool) or self.rating not in range(1, 6):
                raise InvalidField("rating", "a review has a rating from 1 to 5")
            if not (self.order_id or self.sku):
                raise InvalidField("order_id", "a review is about an order or a product")
        elif self.rating is not None:
            raise InvalidField("rating", f"a {self.kind} has no rating")
        if self.kind == "idea" and not (self.title or "").strip():
            raise InvalidField("title", "an idea needs a title")
        if self.title is not None and len(self.title) > MAX_TITLE:
            raise InvalidField("title", f"is longer than {MAX_TITLE} characters")
        if self.body is not None and len(self.body) > MAX_BODY:
            raise InvalidField("body", f"is longer than {MAX_BODY} characters")

    @property
    def initial_status(self) -> str:
        return "pending" if self.kind in MODERATED else "approved"


def moderate(kind: str, status: str, decision: str) -> str:
    """The status after ``decision``; raises ``ModerationRefused`` when it does not apply."""
    if decision not in DECISIONS:
        raise InvalidField("decision", f"must be one of {', '.join(sorted(DECISIONS))}")
    after = TRANSITIONS.get((status, decision))
    if after is None or (decision == "ship" and kind != "idea"):
        raise ModerationRefused(f"cannot {decision} a {status} {kind}")
    return after


def event_of(kind: str, status: str) -> str | None:
    """The event a status change emits for the rules (None: the rewards are reversed)."""
    if status == "approved" and kind in MODERATED:
        return f"{kind}_approved"
    if status == "shipped":
        return "idea_shipped"
    return None


def submission_event_id(contribution_id: str) -> str:
    return f"contribution:{contribution_id}"


def status_event_id(contribution_id: str, status: str) -> str:
    return f"contribution:{contribution_id}:{status}"


_RATING_WORDS = {
    "un": 1, "une": 1, "one": 1, "deux": 2, "two": 2, "trois": 3, "three": 3,
    "quatre": 4, "four": 4, "cinq": 5, "five": 5,
}  # fmt: skip


_OUT_OF_FIVE = re.compile(
    r"\b([1-5]|un|une|one|deux|two|trois|three|quatre|four|cinq|five)\s*"
    r"(?:/\s*5|sur\s+5|out\s+of\s+5|[ée]toiles?|stars?|\u2b50|\u2605)", re.IGNORECASE
)
_STARS = re.compile(r"[\u2605\u2b50]")


def parse_rating_in_sentence(text: str | None) -> int | None:
    """A rating stated as one anywhere in a sentence: "je lui mets quatre étoiles", "I'd give
    the blue mug 4 out of 5", "3/5", "★★★★" (a bare number is not: "2 jours de retard")."""
    if not text:
        return None
    stated = _OUT_OF_FIVE.search(text.lower())
    if stated:
        word = stated.group(1)
        return int(word) if word.isdigit() else _RATING_WORDS[word]
    stars = len(_STARS.findall(text))
    if 1 <= stars <= 5 and not _STARS.sub("", text).strip(" .!"):
        return stars
    return None


def parse_rating(text: str | None) -> int | None:
    """1–5 from the answer to "what rating?": "4", "4/5", "4 étoiles", "quatre", "five
    stars", or a sentence that states one."""
    if not text:
        return None
    stated = parse_rating_in_sentence(text)
    if stated:
        return stated
    words = text.lower().replace("/", " ").replace("*", " ").split()
    if not words:
        return None
    first = words[0].strip(".,!")
    value = int(first) if first.isdigit() else _RATING_WORDS.get(first)
    return value if value is not None and 1 <= value <= 5 else None


# "j'ai une idée : des carnets en papier recyclé", "here's my idea - refillable candles"
_IDEA_GIVEN = re.compile(
    r"\b(?:id[ée]e|idea|suggestion|proposition|proposal|pitch)\s*[:\-\u2013\u2014]\s*(?P<idea>.+)",
    re.IGNORECASE,
)


def idea_in_sentence(text: str | None) -> str | None:
    """The idea itself when the message that offers one already gives it after a colon or a
    dash ("j'ai une idée : des carnets en papier recyclé"), else None."""
    found = _IDEA_GIVEN.search(text or "")
    idea = found.group("idea").strip(" .!…") if found else ""
    return idea if 3 <= len(idea) <= MAX_TITLE and len(idea.split()) >= 2 else None


PROBLEM_KINDS = ("broken", "missing_item", "wrong_item", "late", "other")
_PROBLEM_WORDS = (
    ("broken", ("cass", "abîm", "abim", "broke", "damag", "défect", "defect", "troué", "hole")),
    ("missing_item", ("manqu", "missing", "pas tout", "incomplet", "incomplete", "pas dans",
                      "absent", "oubli", "not in the", "wasn't in", "was not in", "forgot")),
    ("wrong_item", ("mauvais", "wrong", "pas le bon", "taille", "size", "couleur", "colour")),
    ("late", ("retard", "late", "jamais", "never", "toujours pas", "still not", "perdu", "lost")),
)


def problem_kind(text: str | None) -> str:
    """What went wrong, from the customer's words (FR or EN); ``other`` when unclear."""
    lowered = (text or "").lower()
    for kind, words in _PROBLEM_WORDS:
        if any(word in lowered for word in words):
            return kind
    return "other"
