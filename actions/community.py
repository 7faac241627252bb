"""leaderboard (opt-in, by display name) and ask_recommendation."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.slots import LEADERBOARD_OFFER
from actions.talk import account_of, language_of
from engagement.recommendations import BEST_SELLERS, BOUGHT_TOGETHER
from engagement.services.community import CommunityService
from engagement.wording import format_count

Domain = dict[str, Any]


class ActionLeaderboard(Action):
    """Shows the board, then offers to join it (or to leave it): the next affirm or deny
    is answered by ``action_leaderboard_answer``."""

    def __init__(self, community: CommunityService) -> None:
        self._community = community

    def name(self) -> str:
        return "action_leaderboard"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Domain
    ) -> list[EventType]:
        customer = account_of(tracker, dispatcher)
        if customer is None:
            return []
        board = await self._community.leaderboard(customer)
        if not board.top:
            dispatcher.utter_message(response="utter_leaderboard_empty")
        language = language_of(tracker)
        for standing in board.top:
            dispatcher.utter_message(
                response="utter_leaderboard_line", rank=standing.rank, name=standing.name,
                points=standing.points,
                points_text=format_count(standing.points, "point", language),
            )  # fmt: skip
        if board.mine is not None:
            dispatcher.utter_message(
                response="utter_leaderboard_mine", rank=board.mine.rank, name=board.mine.name
            )
            dispatcher.utter_message(response="utter_leaderboard_offer_leave")
            return [SlotSet(LEADERBOARD_OFFER, "leave")]
        dispatcher.utter_message(response="utter_leaderboard_offer_join")
        return [SlotSet(LEADERBOARD_OFFER, "join")]


class ActionLeaderboardAnswer(Action):
    def __init__(self, community: CommunityService) -> None:
        self._community = community

    def name(self) -> str:
        return "action_leaderboard_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Domain
    ) -> list[EventType]:
        customer = account_of(tracker, dispatcher)
        if customer is None:
            return []
        offer = tracker.get_slot(LEADERBOARD_OFFER)
        agreed = (tracker.latest_message.get("intent") or {}).get("name") == "affirm"
        customer_id = customer
        if agreed and offer == "join":
            name = await self._community.join_leaderboard(customer_id)
            dispatcher.utter_message(response="utter_leaderboard_joined", name=name)
        elif agreed and offer == "leave":
            await self._community.leave_leaderboard(customer_id)
            dispatcher.utter_message(response="utter_leaderboard_left")
        else:
            dispatcher.utter_message(response="utter_leaderboard_unchanged")
        return [SlotSet(LEADERBOARD_OFFER, None)]


class ActionRecommend(Action):
    def __init__(self, community: CommunityService) -> None:
        self._community = community

    def name(self) -> str:
        return "action_recommend"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Domain
    ) -> list[EventType]:
        customer = account_of(tracker, dispatcher)
        if customer is None:
            return []
        found = await self._community.suggestions(customer)
        if not found.bought:
            dispatcher.utter_message(response="utter_recommend_none")
        names = ", ".join(item.name for item in found.items)
        if found.basis == BOUGHT_TOGETHER:
            dispatcher.utter_message(response="utter_recommendations", items=names)
        elif found.basis == BEST_SELLERS:
            response = "utter_recommend_best_sellers" if found.bought else (
                "utter_recommend_best_sellers_to_start"
            )  # fmt: skip
            dispatcher.utter_message(response=response, items=names)
        elif found.bought:
            dispatcher.utter_message(response="utter_recommend_nothing_yet")
        return []
