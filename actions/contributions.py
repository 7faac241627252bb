"""Reviews and ideas (forms), the community's ideas and votes: the service decides."""

from __future__ import annotations

import hashlib
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.orders import corrected, match_order, order_named, requested, say_not_theirs
from actions.talk import account_of, announce, channel_of, customer_of, language_of, message_key
from engagement.contributions import (
    MAX_BODY,
    MAX_TITLE,
    Submission,
    idea_in_sentence,
    parse_rating,
    parse_rating_in_sentence,
)
from engagement.ports import Clock
from engagement.services.account import AccountService
from engagement.services.contributions import (
    ContributionService,
    NoPurchaseYet,
    TooManyContributions,
    UnknownContribution,
    VoteRefused,
)
from engagement.services.orders import OrderBook
from engagement.wording import format_count

FAILURES = "form_failures"
REVIEW_SLOTS = ("review_subject", "review_rating", "review_text")
IDEA_SLOTS = ("idea_title", "idea_text")
YES_OR_NO = ("affirm", "deny")


def contribution_id(tracker: Tracker, kind: str) -> str:
    digest = hashlib.sha256(f"{tracker.sender_id}:{message_key(tracker)}".encode()).hexdigest()
    return f"{kind}-{digest[:16]}"


class Validator(FormValidationAction):
    """Accepts or refuses one answer; after two refusals, explains and asks to continue."""

    def accept(self, slot: str, value: Any) -> dict[str, Any]:
        return {slot: value, FAILURES: 0}

    def refuse(
        self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        failures = int(tracker.get_slot(FAILURES) or 0) + 1
        if failures >= 2:
            dispatcher.utter_message(response=f"utter_explain_{slot}")
            dispatcher.utter_message(response="utter_ask_continue_form")
            failures = 0
        return {slot: None, FAILURES: failures}

    def text(self, slot: str, value: Any, low: int, high: int, dispatcher, tracker):  # type: ignore[no-untyped-def]
        text = str(value or "").strip()
        if low <= len(text) <= high:
            return self.accept(slot, text)
        return self.refuse(slot, dispatcher, tracker)


class ValidateReviewForm(Validator):
    """Takes what the message that opens the form already says: "I'd give the blue mug 4 out
    of 5" names the order (by its item) and the rating; the form asks only the rest."""

    def __init__(self, orders: OrderBook) -> None:
        self._orders = orders

    def name(self) -> str:
        return "validate_review_form"

    async def extract_review_subject(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await order_named(self._orders, tracker, "review_subject")

    def extract_review_rating(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("review_rating") or requested(tracker) == "review_rating":
            return {}  # at its question, the slot's own mapping takes the answer
        rating = parse_rating_in_sentence(str(tracker.latest_message.get("text") or ""))
        return {"review_rating": str(rating)} if rating else {}

    def extract_review_text(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """At "what did you think of it?", a sentence the NLU reads as a yes or a no ("lovely
        vase, exactly like the pictures") is still the review (the slot's mapping skips it)."""
        text = str(tracker.latest_message.get("text") or "").strip()
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if requested(tracker) == "review_text" and intent in YES_OR_NO and len(text.split()) >= 4:
            return {"review_text": text}
        return {}

    async def validate_review_subject(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        customer = customer_of(tracker)
        if customer is not None:
            match = await match_order(self._orders, tracker, customer, text=str(value or ""))
            if match.order is not None:
                return self.accept("review_subject", match.order.id)
            if say_not_theirs(dispatcher, match, language_of(tracker)):
                return {"review_subject": None}
        return self.text("review_subject", value, 2, 128, dispatcher, tracker)

    def validate_review_rating(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if corrected(tracker, "review_subject"):
            return {"review_rating": None}  # "non, pas celle-là : la 48216" is no rating
        rating = parse_rating(str(value))
        if rating is None:
            return self.refuse("review_rating", dispatcher, tracker)
        return self.accept("review_rating", str(rating))

    def validate_review_text(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.text("review_text", value, 2, MAX_BODY, dispatcher, tracker)


class ValidateIdeaForm(Validator):
    def name(self) -> str:
        return "validate_idea_form"

    def extract_idea_title(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The idea given in the message that opens the form ("j'ai une idée : …")."""
        if tracker.get_slot("idea_title") or requested(tracker):
            return {}
        idea = idea_in_sentence(str(tracker.latest_message.get("text") or ""))
        return {"idea_title": idea} if idea else {}

    def validate_idea_title(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.text("idea_title", value, 3, MAX_TITLE, dispatcher, tracker)

    def validate_idea_text(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.text("idea_text", value, 2, MAX_BODY, dispatcher, tracker)


class ContributionAction(Action):
    def __init__(
        self, contributions: ContributionService, account: AccountService, clock: Clock
    ) -> None:
        self._contributions = contributions
        self._account = account
        self._clock = clock


class ActionSubmitReview(ContributionAction):
    def name(self) -> str:
        return "action_submit_review"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        customer = account_of(tracker, dispatcher)
        if customer is None:
            return [SlotSet(slot, None) for slot in REVIEW_SLOTS]
        subject = str(tracker.get_slot("review_subject") or "")
        is_order = any(ch.isdigit() for ch in subject) and " " not in subject.strip()
        try:
            _, recorded = await self._contributions.submit(
            Submission(
                id=contribution_id(tracker, "review"), customer_id=customer,
                kind="review", occurred_at=self._clock.now(),
                rating=parse_rating(tracker.get_slot("review_rating")),
                body=tracker.get_slot("review_text"), title=subject,
                order_id=subject if is_order else None, sku=None if is_order else subject,
                language=language_of(tracker), channel=channel_of(tracker),
            ))  # fmt: skip
        except TooManyContributions:
            dispatcher.utter_message(response="utter_too_many_contributions")
            return [SlotSet(slot, None) for slot in REVIEW_SLOTS]
        except NoPurchaseYet:
            dispatcher.utter_message(response="utter_contribution_needs_purchase")
            return [SlotSet(slot, None) for slot in REVIEW_SLOTS]
        points = await self._account.points_on("review_approved")
        dispatcher.utter_message(
            response="utter_review_received", points=points,
            points_text=format_count(points, "point", language_of(tracker)),
        )  # fmt: skip
        announce(
            dispatcher, recorded.awards, await self._account.badge_names(), language_of(tracker)
        )
        return [SlotSet(slot, None) for slot in REVIEW_SLOTS]


class ActionSubmitIdea(ContributionAction):
    def name(self) -> str:
        return "action_submit_idea"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        customer = account_of(tracker, dispatcher)
        if customer is None:
            return [SlotSet(slot, None) for slot in IDEA_SLOTS]
        try:
            await self._contributions.submit(Submission(
                id=contribution_id(tracker, "idea"), customer_id=customer, kind="idea",
                occurred_at=self._clock.now(), title=tracker.get_slot("idea_title"),
                body=tracker.get_slot("idea_text"), language=language_of(tracker),
                channel=channel_of(tracker),
            ))  # fmt: skip
        except TooManyContributions:
            dispatcher.utter_message(response="utter_too_many_contributions")
            return [SlotSet(slot, None) for slot in IDEA_SLOTS]
        except NoPurchaseYet:
            dispatcher.utter_message(response="utter_contribution_needs_purchase")
            return [SlotSet(slot, None) for slot in IDEA_SLOTS]
        points = await self._account.points_on("idea_approved")
        dispatcher.utter_message(
            response="utter_idea_received", points=points,
            points_text=format_count(points, "point", language_of(tracker)),
        )  # fmt: skip
        return [SlotSet(slot, None) for slot in IDEA_SLOTS]


class ActionBrowseIdeas(ContributionAction):
    def name(self) -> str:
        return "action_browse_ideas"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        await show_ideas(
            self._contributions, dispatcher, "utter_ideas_intro", language_of(tracker)
        )
        return []


class ActionVoteIdea(ContributionAction):
    def name(self) -> str:
        return "action_vote_idea"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        idea_id = next(tracker.get_latest_entity_values("idea_id"), None)
        if not idea_id:
            await show_ideas(
                self._contributions, dispatcher, "utter_ask_which_idea", language_of(tracker)
            )
            return []
        customer = account_of(tracker, dispatcher)
        if customer is None:
            return []
        try:
            counted, votes = await self._contributions.vote(str(idea_id), customer)
        except (VoteRefused, UnknownContribution):
            dispatcher.utter_message(response="utter_vote_refused")
            return []
        except TooManyContributions:
            dispatcher.utter_message(response="utter_too_many_contributions")
            return []
        except NoPurchaseYet:
            dispatcher.utter_message(response="utter_contribution_needs_purchase")
            return []
        response = "utter_vote_counted" if counted else "utter_vote_already"
        votes_text = format_count(votes, "vote", language_of(tracker))
        dispatcher.utter_message(response=response, votes=votes, votes_text=votes_text)
        return []


async def show_ideas(
    contributions: ContributionService, dispatcher: CollectingDispatcher, intro: str,
    language: str,
) -> None:
    ideas = await contributions.best_ideas(limit=3)
    if not ideas:
        dispatcher.utter_message(response="utter_no_ideas")
        return
    dispatcher.utter_message(response=intro)
    for idea in ideas:
        dispatcher.utter_message(
            response="utter_idea_item", title=idea["title"], votes=idea["votes"],
            votes_text=format_count(idea["votes"], "vote", language), idea_id=idea["id"],
        )  # fmt: skip
