"""What every action shares: the customer's language, stable event ids, reward announcements.

Python passes names and numbers; the sentences are responses in ``domain.yml``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.slots import CUSTOMER_ID, LANGUAGE
from engagement.customer_tokens import customer_of_conversation
from engagement.rewards import Award
from engagement.wording import format_count


def language_of(tracker: Tracker) -> str:
    return "en" if tracker.get_slot(LANGUAGE) == "en" else "fr"


def customer_of(tracker: Tracker) -> str | None:
    """The customer this conversation speaks for (``customer_of_conversation``)."""
    linked = tracker.get_slot(CUSTOMER_ID)
    return customer_of_conversation(
        tracker.sender_id, str(linked) if linked else None, channel_of(tracker)
    )


def account_of(tracker: Tracker, dispatcher: CollectingDispatcher) -> str | None:
    """The customer, or None after telling an anonymous conversation how to reach its account."""
    customer = customer_of(tracker)
    if customer is None:
        dispatcher.utter_message(response="utter_needs_account")
    return customer


def recent_texts(tracker: Tracker, count: int = 5) -> list[str]:
    texts = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"]
    return [text for text in texts if text][-count:]


def message_key(tracker: Tracker) -> str:
    """The id of the customer's latest message: an action retried for it records nothing new."""
    message_id = tracker.latest_message.get("message_id") or ""
    turns = sum(1 for event in tracker.events if event.get("event") == "user")
    return message_id or f"turn-{turns}"


def event_id(tracker: Tracker, kind: str) -> str:
    return f"{kind}:{tracker.sender_id}:{message_key(tracker)}"


def channel_of(tracker: Tracker) -> str:
    return str(tracker.get_latest_input_channel() or "rest")


def announce(
    dispatcher: CollectingDispatcher,
    awards: Iterable[Award],
    badge_names: Mapping[str, tuple[str, str]],
    language: str,
) -> None:
    """Tells the customer what they just earned (nothing when nothing was awarded)."""
    for award in awards:
        if award.outcome != "awarded":
            continue
        if award.points:
            dispatcher.utter_message(
                response="utter_reward_points", points=award.points,
                points_text=format_count(award.points, "point", language),
            )  # fmt: skip
        if award.badge:
            fr, en = badge_names.get(award.badge, (award.badge, award.badge))
            dispatcher.utter_message(
                response="utter_reward_badge", badge=en if language == "en" else fr
            )
        if award.coupon_code:
            dispatcher.utter_message(response="utter_reward_coupon", code=award.coupon_code)
