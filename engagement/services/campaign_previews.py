"""A campaign's message as one customer will read it, rendered exactly as the dispatcher
renders it (engagement/nudges/messages.py): the preview, and the test send that shows it to
one customer at once (README: campaigns)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from engagement.commerce import InvalidField
from engagement.ladder import LadderCriteria
from engagement.nudges.audience import CustomerSnapshot
from engagement.nudges.campaigns import CampaignSpec
from engagement.nudges.messages import SAMPLE_COUPON_CODE, SAMPLE_CUSTOMER, Messages
from engagement.nudges.templates import MissingData, RenderFailed
from engagement.ports import Clock, Conversations
from engagement.services.campaigns import CampaignService
from engagement.services.rules_book import RulesBook
from engagement.services.snapshots import snapshots
from engagement.storage.database import Database

WEB_CHAT = "socketio"  # whose conversation id is the shop's customer id (README: shop)


class NoConversationSide(RuntimeError):
    """This engagement service was started without a Rasa server to send through."""


class CampaignPreviews:
    def __init__(
        self, db: Database, clock: Clock, rules: RulesBook, campaigns: CampaignService,
        brand_timezone: str, conversations: Conversations | None = None,
    ) -> None:  # fmt: skip
        self._db = db
        self._clock = clock
        self._rules = rules
        self._campaigns = campaigns
        self._brand_timezone = brand_timezone
        self._conversations = conversations

    async def preview(self, campaign_id: str, customer_id: str | None) -> dict[str, Any]:
        spec = await self._campaigns.parse(
            (await self._campaigns.get(campaign_id))["spec"], renders=True
        )
        return await self._preview(spec, customer_id)

    async def draft(self, body: Any, customer_id: str | None) -> dict[str, Any]:
        """The same for a campaign being written (nothing saved)."""
        return await self._preview(await self._campaigns.parse(body, renders=True), customer_id)

    async def test_send(self, campaign_id: str, customer_id: str) -> dict[str, Any]:
        """Shows the message to one customer now, in their language, guards aside, counted
        nowhere: on the conversation they last wrote from, else on the web chat if they
        have it open (they may not have written yet). A coupon campaign shows the sample
        code ``SAMPLE_COUPON_CODE``: no coupon is minted, the budget is untouched."""
        if self._conversations is None:
            raise NoConversationSide("test sends need the Rasa server")
        spec = await self._campaigns.parse(
            (await self._campaigns.get(campaign_id))["spec"], renders=True
        )
        customer = await self._customer(customer_id)
        text = (await self._render(spec, customer, [customer.language]))[customer.language]
        sender, channel = await self._conversation_of(customer)
        await self._conversations.nudge(sender, channel, text, f"test:{uuid.uuid4().hex}")
        code = SAMPLE_COUPON_CODE if spec.coupon else None
        return {"sent_to": sender, "channel": channel, "text": text, "coupon_code": code}

    async def _preview(self, spec: CampaignSpec, customer_id: str | None) -> dict[str, Any]:
        """Every language, as ``customer_id`` reads it, or with sample values of every
        variable (a first name, points, a coupon…) when no customer is named."""
        customer = SAMPLE_CUSTOMER if customer_id is None else await self._customer(customer_id)
        rendered = await self._render(spec, customer, list(spec.messages))
        return {"customer_id": customer_id, "sample": customer_id is None, **rendered}

    async def _render(
        self, spec: CampaignSpec, customer: CustomerSnapshot, languages: list[str]
    ) -> dict[str, str]:
        async with self._db.connect() as conn:
            coupons = (await self._rules.in_force(conn)).rules.coupons
        coupon = coupons.get(spec.coupon) if spec.coupon else None
        code = SAMPLE_COUPON_CODE if coupon else None
        messages, rendered = Messages(), {}
        for language in languages:
            try:
                rendered[language] = messages.text(
                    "preview", spec, customer, language, coupon=coupon, code=code
                )
            except MissingData as exc:  # for the sample: a coupon's variables, no coupon
                field, who = "customer_id", "this customer"
                if customer is SAMPLE_CUSTOMER:
                    field, who = f"messages.{language}", "every customer"
                raise InvalidField(field, f"{who} would be skipped: {exc}") from None
            except RenderFailed as exc:  # values of this customer the samples did not have
                raise InvalidField(f"messages.{language}", f"{exc} (for this customer)") from None
        return rendered

    async def _customer(self, customer_id: str) -> CustomerSnapshot:
        async with self._db.connect() as conn:
            overrides = (await self._rules.in_force(conn)).rules.ladder
        found = [c async for c in snapshots(
            self._db, self._clock.now(), [customer_id], brand_timezone=self._brand_timezone,
            ladder=replace(LadderCriteria(), **overrides),
        )]  # fmt: skip
        if not found:
            raise InvalidField("customer_id", "unknown customer")
        return found[0]

    async def _conversation_of(self, customer: CustomerSnapshot) -> tuple[str, str]:
        sender = customer.extra.get("sender_id")
        if sender and customer.channel:
            return str(sender), customer.channel
        assert self._conversations is not None
        states = await self._conversations.states([(customer.id, WEB_CHAT)])
        state = states.get(customer.id)
        if state is not None and state.online is False:
            raise InvalidField("customer_id", "no conversation to send to: this customer "
                               "never wrote and does not have the chat open")  # fmt: skip
        return customer.id, WEB_CHAT
