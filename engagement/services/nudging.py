"""The scheduler's nudge jobs: plan the runs that are due (planner.py) and dispatch the
deliveries whose time has come, claimed with a lease so that a crash or a second
engagement service sends nothing twice."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from engagement.commerce import InvalidField
from engagement.ladder import LadderCriteria
from engagement.nudges.audience import CustomerSnapshot
from engagement.nudges.campaigns import (
    ARCHIVED,
    BUDGET_SPENT,
    DONE,
    PAUSED,
    SCHEDULED,
    CampaignSpec,
    parse_campaign,
)
from engagement.nudges.messages import Messages, skip_reason
from engagement.nudges.planning import Guards
from engagement.nudges.templates import MissingData, RenderFailed
from engagement.ports import Clock, Conversations, ConversationState, ConversationsUnavailable
from engagement.rewards import new_coupon_code
from engagement.rules.model import CouponTemplate
from engagement.services.planner import CampaignPlanner, Planned
from engagement.services.rules_book import RulesBook
from engagement.services.snapshots import snapshots
from engagement.storage import tables as t
from engagement.storage.database import Database
from engagement.storage.rewards import SqlRewards

BUSY_RETRY = timedelta(minutes=5)
OFFLINE_RETRY = timedelta(minutes=2)
MAX_ATTEMPTS = 6
log = logging.getLogger(__name__)
IDLE = ConversationState()


@dataclass(frozen=True)
class Dispatched:
    sent: int
    deferred: int
    failed: int
    skipped: int = 0

    def __str__(self) -> str:
        return (f"{self.sent} nudges sent, {self.deferred} deferred, {self.failed} failed, "
                f"{self.skipped} skipped")  # fmt: skip


@dataclass(frozen=True)
class Dispatching:
    """How the dispatcher paces itself (composition root: from the settings)."""

    busy_retry: timedelta = BUSY_RETRY  # a customer mid-conversation is asked again then
    offline_retry: timedelta = OFFLINE_RETRY  # a web customer who is away, likewise
    concurrency: int = 8  # trigger_intent calls in flight, all Rasa servers together
    batch: int = 64  # deliveries claimed at once
    lease: timedelta = timedelta(seconds=60)  # longer than a batch takes
    retry: timedelta = timedelta(seconds=30)  # the first back-off when Rasa is down


@dataclass
class _Send:
    """One claimed delivery on its way: what it will say, then what became of it."""

    row: Any
    channel: str = ""
    spec: CampaignSpec | None = None
    text: str | None = None
    coupon_code: str | None = None  # the code in ``text``, minted under the budget
    coupon: CouponTemplate | None = None  # what that code is worth
    points: int = 0
    changes: dict[str, Any] = field(default_factory=dict)
    outcome: str = "skipped"


class NudgeService:
    def __init__(
        self, db: Database, clock: Clock, rules: RulesBook, guards: Guards,
        conversations: Conversations, pacing: Dispatching = Dispatching(),
    ) -> None:  # fmt: skip
        self._db = db
        self._clock = clock
        self._rules = rules
        self._guards = guards
        self._conversations = conversations
        self._pacing = pacing
        self._planner = CampaignPlanner(db, clock, rules, guards)

    async def plan_due(self) -> Planned:
        return await self._planner.plan_due()

    async def drain(self, budget: timedelta = timedelta(seconds=60)) -> Dispatched:
        """The scheduler's job: batch after batch until nothing is due or ``budget`` has
        passed (the next tick goes on), so a tick sends more than one batch."""
        deadline = time.monotonic() + budget.total_seconds()
        totals = [0, 0, 0, 0]
        while time.monotonic() < deadline:
            done = await self.dispatch()
            counts = (done.sent, done.deferred, done.failed, done.skipped)
            if any(counts):
                log.info("dispatched a batch: %s", done)
            totals = [total + count for total, count in zip(totals, counts, strict=True)]
            if not any(counts):
                break
        return Dispatched(*totals)

    async def dispatch(self) -> Dispatched:
        """One batch: claimed, prepared (re-checked, rendered) with a few queries for the
        whole batch; those whose customer can take a nudge now are paid for under their
        campaign's budget (coupon minted, points reserved), sent concurrently, and all is
        recorded in one transaction. A crash anywhere leaves leases that expire; the send
        that follows recognises, by its key, a nudge that had arrived."""
        sends = [_Send(row, row.channel) for row in await self._claim()]
        if not sends:
            return Dispatched(0, 0, 0)
        now = self._clock.now()
        await self._prepare(sends, now)
        ready = self._one_per_conversation([send for send in sends if send.text is not None], now)
        try:
            states = await self._conversations.states(
                [(send.row.sender_id, send.channel) for send in ready]
            )
        except ConversationsUnavailable:
            for send in ready:
                send.outcome, send.changes = self._retry(send.row, now)
            ready, states = [], {}
        going = [s for s in ready if self._goes_now(s, states.get(s.row.sender_id, IDLE), now)]
        paid = [send for send in going if await self._pay(send, now)]
        gate = asyncio.Semaphore(self._pacing.concurrency)

        async def deliver(send: _Send) -> None:
            async with gate:
                await self._deliver(send, now)

        await asyncio.gather(*(deliver(send) for send in paid))
        await self._record(sends, now)
        outcomes = [send.outcome for send in sends]
        return Dispatched(outcomes.count("sent"), outcomes.count("deferred"),
                          outcomes.count("failed"), outcomes.count("skipped"))  # fmt: skip

    def _one_per_conversation(self, ready: list[_Send], now: datetime) -> list[_Send]:
        """Two nudges for one conversation in a batch (two campaigns at once): the second
        waits like for a busy customer, rather than arriving on the heels of the first
        (and queueing on Rasa's conversation lock)."""
        first: list[_Send] = []
        taken: set[str] = set()
        for send in ready:
            if send.row.sender_id in taken:
                send.outcome = "deferred"
                send.changes = {
                    "lease_until": None, "send_at": now + self._pacing.busy_retry,
                    "attempts": send.row.attempts - 1, "reason": "another_nudge",
                }  # fmt: skip
            else:
                taken.add(send.row.sender_id)
                first.append(send)
        return first

    async def came_back(self, sender_id: str) -> int:
        """The customer is back on a channel that knew they were away: what waited for them
        is due now (the dispatcher shows it at its next tick)."""
        d = t.deliveries
        async with self._db.begin() as conn:
            result = await conn.execute(
                sa.update(d).where((d.c.sender_id == sender_id) & (d.c.status == "pending")
                                   & (d.c.reason == "offline"))
                .values(send_at=self._clock.now())
            )  # fmt: skip
        return int(result.rowcount or 0)

    async def _claim(self) -> list[Any]:
        """Takes up to a batch of due deliveries of running campaigns, and those already
        paid for of a campaign paused because its budget is spent: a lease that a crashed
        dispatcher lets expire. The rows come back as claimed (attempts counted)."""
        now = self._clock.now()
        d, c = t.deliveries, t.campaigns
        stopped = sa.select(c.c.id).where(c.c.status.in_((PAUSED, ARCHIVED)))
        spent = sa.select(c.c.id).where(c.c.status == PAUSED, c.c.status_reason == BUDGET_SPENT)
        paid = d.c.coupon_code.is_not(None) | (d.c.points > 0)
        held = d.c.campaign_id.in_(stopped) & ~(paid & d.c.campaign_id.in_(spent))
        claimable = (
            (d.c.status == "pending")
            & (d.c.send_at <= now)
            & (d.c.lease_until.is_(None) | (d.c.lease_until < now))
        )
        claim = uuid.uuid4().hex
        async with self._db.begin() as conn:
            candidates = (
                sa.select(d.c.id).where(claimable & ~held)
                .order_by(d.c.send_at).limit(self._pacing.batch)
            )  # fmt: skip
            # the condition is checked again row by row as it is written: another dispatcher
            # that took a row meanwhile keeps it
            await conn.execute(
                sa.update(d).where(d.c.id.in_(candidates.scalar_subquery()) & claimable)
                .values(lease_until=now + self._pacing.lease, attempts=d.c.attempts + 1,
                        claim=claim)
                .execution_options(synchronize_session=False)
            )  # fmt: skip
            return list(await conn.execute(sa.select(d).where(d.c.claim == claim)))

    async def _prepare(self, sends: list[_Send], now: datetime) -> None:
        """Whatever may have changed since planning is checked again at send time."""
        async with self._db.connect() as conn:
            rules = (await self._rules.in_force(conn)).rules
            campaigns = {row.id: row for row in await conn.execute(
                sa.select(t.campaigns).where(
                    t.campaigns.c.id.in_({send.row.campaign_id for send in sends})
                )
            )}  # fmt: skip
            registry = t.conversation_channels
            channels = {row.sender_id: row for row in await conn.execute(
                sa.select(registry).where(
                    registry.c.sender_id.in_([send.row.sender_id for send in sends])
                )
            )}  # fmt: skip
        specs: dict[str, CampaignSpec] = {}
        broken: dict[str, str] = {}  # campaigns that cannot send, and why: paused below
        for cid, campaign in campaigns.items():
            try:
                specs[cid] = parse_campaign(campaign.spec, tuple(rules.coupons))
            except InvalidField as exc:  # e.g. its coupon template left the rules
                broken[cid] = f"invalid campaign: {exc.field}: {exc.reason}"
        customers = {c.id: c async for c in snapshots(
            self._db, now, [send.row.customer_id for send in sends],
            brand_timezone=self._guards.brand_timezone,
            ladder=replace(LadderCriteria(), **rules.ladder),
        )}  # fmt: skip
        messages = Messages()
        rendered: list[_Send] = []
        for send in sends:
            row, spec = send.row, specs.get(send.row.campaign_id)
            customer = customers.get(row.customer_id)
            channel = channels.get(row.sender_id)
            if channel is not None:  # where the conversation writes from now
                send.channel = channel.channel
            if row.campaign_id in broken and spec is None:
                send.changes = {"status": "skipped", "reason": "invalid_campaign",
                                "lease_until": None}  # fmt: skip
                continue
            reason = self._stale(send, spec, customer, channel, now)
            if reason is not None or spec is None or customer is None:
                send.changes = {"status": "skipped", "reason": reason, "lease_until": None}
                continue
            code, template = None, None
            if spec.coupon:  # minted with this code if the budget pays for it (_pay)
                template = rules.coupons[spec.coupon]
                code = row.coupon_code or new_coupon_code()
            try:
                send.text = messages.text(
                    row.campaign_id, spec, customer, row.language, coupon=template, code=code
                )
            except MissingData as exc:
                send.changes = {"status": "skipped", "reason": skip_reason(exc),
                                "lease_until": None}  # fmt: skip
                continue
            except RenderFailed as exc:  # the message's fault, not the customer's
                send.changes = {"status": "skipped", "reason": skip_reason(exc),
                                "lease_until": None}  # fmt: skip
                broken.setdefault(
                    row.campaign_id, f"the {row.language} message cannot be rendered: {exc}"
                )
                continue
            except Exception as exc:  # a template Jinja cannot even compile any more
                send.changes = {"status": "skipped", "reason": "template_error",
                                "lease_until": None}  # fmt: skip
                broken.setdefault(row.campaign_id, f"the {row.language} message: {exc}")
                continue
            send.spec, send.coupon_code, send.coupon = spec, code, template
            rendered.append(send)
        for send in rendered:
            if send.row.campaign_id in broken:
                # rendered, but its campaign pauses: it waits like the campaign's others
                self._wait(send, "campaign_paused")
        if broken:
            await self._pause(broken, now)

    async def _pause(self, broken: dict[str, str], now: datetime) -> None:
        """Pauses the campaigns that cannot send, saying why in their status: their pending
        nudges wait until a marketer fixes the campaign and resumes it (which checks again)."""
        c = t.campaigns
        async with self._db.begin() as conn:
            for campaign_id, reason in broken.items():
                log.warning("campaign %s paused: %s", campaign_id, reason)
                await conn.execute(
                    sa.update(c).where((c.c.id == campaign_id)
                                       & c.c.status.in_((SCHEDULED, DONE)))
                    .values(status=PAUSED, status_reason=reason[:200], updated_at=now)
                )  # fmt: skip

    def _stale(
        self, send: _Send, spec: CampaignSpec | None, customer: CustomerSnapshot | None,
        channel: Any, now: datetime,
    ) -> str | None:  # fmt: skip
        row = send.row
        if spec is None:
            return "campaign_gone"
        if customer is None:
            return "customer_gone"
        delay = spec.schedule.delay or timedelta(0)  # after_event: due that long after
        if row.created_at + delay + timedelta(days=spec.window_days) < now:
            return "expired"  # could not go out within the campaign's window
        if spec.marketing:
            if customer.opted_out:
                return "opted_out"
            if not customer.opted_in:
                return "no_consent"
            if customer.zapped:
                return "zapped"
        last_message = channel.last_seen_at if channel is not None else None
        if self._guards.outside_channel_window(send.channel, last_message, now):
            return "channel_window"
        return None

    def _wait(self, send: _Send, reason: str) -> None:
        """Not sent this time, through no fault of its own: it waits, its attempt uncounted."""
        send.text, send.outcome = None, "deferred"
        send.changes = {"reason": reason, "lease_until": None, "attempts": send.row.attempts - 1}

    async def _pay(self, send: _Send, now: datetime) -> bool:
        """Just before it goes, the nudge is paid for under its campaign's budget: the coupon
        minted, the points reserved, and both written on the delivery, so that once paid it
        goes out whatever happens to the budget (a retry, a pause for "budget spent"). One
        the budget cannot pay for waits, and its campaign pauses saying why."""
        if await self._take_budget(send, now):
            return True
        self._wait(send, "budget_spent")
        return False

    async def _take_budget(self, send: _Send, now: datetime) -> bool:
        row, spec = send.row, send.spec
        assert spec is not None
        needs_coupon = spec.coupon is not None and row.coupon_code is None
        points = spec.points if row.points == 0 else 0
        if not needs_coupon and not points:
            send.points = row.points
            return True
        c = t.campaigns
        async with self._db.begin() as conn:
            taken = await conn.execute(
                sa.update(c).where(
                    (c.c.id == row.campaign_id)
                    & _within(c.c.coupons_issued, int(needs_coupon), spec.coupon_budget)
                    & _within(c.c.points_issued, points, spec.points_budget)
                ).values(coupons_issued=c.c.coupons_issued + int(needs_coupon),
                         points_issued=c.c.points_issued + points)
            )  # fmt: skip
            if taken.rowcount != 1:
                await conn.execute(sa.update(c).where((c.c.id == row.campaign_id)
                                                      & c.c.status.in_((SCHEDULED, DONE))).values(
                    status=PAUSED, status_reason=BUDGET_SPENT, updated_at=now,
                ))  # fmt: skip
                return False
            code, template = send.coupon_code, send.coupon
            if needs_coupon and code is not None and template is not None:
                await SqlRewards(conn).add_coupon(
                    code=code, customer_id=row.customer_id, template_id=template.id,
                    kind=template.kind, value=template.value, min_basket=template.min_basket,
                    created_at=now, expires_at=now + timedelta(days=template.valid_days),
                    event_id=f"nudge:{row.run_id}:{row.customer_id}",
                    rule_id=f"campaign:{row.campaign_id}",
                )  # fmt: skip
            await conn.execute(sa.update(t.deliveries).where(t.deliveries.c.id == row.id).values(
                coupon_code=code if needs_coupon else row.coupon_code, points=points or row.points,
            ))  # fmt: skip
        send.points = points or row.points
        return True

    def _goes_now(self, send: _Send, state: ConversationState, now: datetime) -> bool:
        """Whether the customer can take the nudge now; otherwise it waits or, shown by an
        earlier attempt whose answer got lost, is recorded as sent (it was paid for then)."""
        row = send.row
        if _key(row) in state.shown:
            send.points = row.points
            send.outcome, send.changes = "sent", self._sent(send, now)
            return False
        if state.busy is None and state.online is not False:
            return True
        wait = self._pacing.busy_retry if state.busy else self._pacing.offline_retry
        send.outcome = "deferred"
        send.changes = {"lease_until": None, "send_at": now + wait, "attempts": row.attempts - 1,
                        "reason": state.busy or "offline"}  # fmt: skip
        return False

    async def _deliver(self, send: _Send, now: datetime) -> None:
        row = send.row
        try:
            await self._conversations.nudge(row.sender_id, send.channel, send.text or "", _key(row))
        except ConversationsUnavailable:
            send.outcome, send.changes = self._retry(row, now)
            return
        send.outcome, send.changes = "sent", self._sent(send, now)

    def _sent(self, send: _Send, now: datetime) -> dict[str, Any]:
        return {"status": "sent", "sent_at": now, "message": send.text, "lease_until": None,
                "channel": send.channel}  # fmt: skip

    def _retry(self, row: Any, now: datetime) -> tuple[str, dict[str, Any]]:
        if row.attempts >= MAX_ATTEMPTS:
            return "failed", {"status": "failed", "reason": "undeliverable", "lease_until": None}
        backoff = self._pacing.retry * 2 ** (row.attempts - 1)
        return "deferred", {"lease_until": None, "send_at": now + backoff}

    async def _record(self, sends: list[_Send], now: datetime) -> None:
        """Every outcome of the batch in one transaction, one statement per kind of change;
        the points of a sent nudge with it. Only rows this dispatch still holds are written."""
        d = t.deliveries
        kinds: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for send in sends:
            changes = {**send.changes, "claim": None}
            kinds.setdefault(tuple(sorted(changes)), []).append(
                {**{f"new_{key}": value for key, value in changes.items()},
                 "delivery": send.row.id, "held_by": send.row.claim}
            )  # fmt: skip
        async with self._db.begin() as conn:
            for keys, rows in kinds.items():
                statement = (
                    sa.update(d)
                    .where((d.c.id == sa.bindparam("delivery")) & (d.c.status == "pending")
                           & (d.c.claim == sa.bindparam("held_by")))
                    .values({key: sa.bindparam(f"new_{key}") for key in keys})
                )  # fmt: skip
                await conn.execute(statement, rows)
            rewards = SqlRewards(conn)
            for send in sends:
                if send.outcome == "sent" and send.points:
                    await rewards.add_points(
                        customer_id=send.row.customer_id, points=send.points, kind="award",
                        event_id=f"nudge:{send.row.run_id}:{send.row.customer_id}",
                        rule_id=f"campaign:{send.row.campaign_id}", at=now,
                    )  # fmt: skip


def _key(row: Any) -> str:
    """What makes a retried nudge harmless: the conversation shows a key once."""
    return f"{row.run_id}:{row.id}"


def _within(issued: Any, more: int, budget: int | None) -> Any:
    if budget is None or not more:
        return sa.true()
    return issued + more <= budget
