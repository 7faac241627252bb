"""refer_friend and share_brand: the customer's personal code and tracked links."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.talk import account_of, language_of
from engagement.referrals import REFERRAL, SHARE
from engagement.services.referrals import ReferralService
from engagement.wording import format_count


class ActionReferFriend(Action):
    def __init__(self, referrals: ReferralService) -> None:
        self._referrals = referrals

    def name(self) -> str:
        return "action_refer_friend"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        customer_id = account_of(tracker, dispatcher)
        if customer_id is None:
            return []
        code = await self._referrals.code_for(customer_id, REFERRAL)
        done = await self._referrals.referrals_of(customer_id)
        dispatcher.utter_message(
            response="utter_referral_code", code=code.code, link=self._referrals.link(code)
        )
        if done.converted:
            dispatcher.utter_message(
                response="utter_referrals_converted", count=done.converted,
                friends_text=format_count(done.converted, "referred_friend", language_of(tracker)),
            )  # fmt: skip
        return []


class ActionShareBrand(Action):
    def __init__(self, referrals: ReferralService) -> None:
        self._referrals = referrals

    def name(self) -> str:
        return "action_share_brand"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        customer = account_of(tracker, dispatcher)
        if customer is None:
            return []
        code = await self._referrals.code_for(customer, SHARE)
        dispatcher.utter_message(
            response="utter_share_link", link=self._referrals.link(code), visits=code.visits,
            visits_text=format_count(code.visits, "time", language_of(tracker)),
        )  # fmt: skip
        return []
