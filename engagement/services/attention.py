"""What a customer's messages tell the nudges: the hours they write at (their usual active
hour) and which nudges they answered. An answer counts as attention on the ladder (the
``nudge_answer`` event goes through the rules like any other)."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta

import sqlalchemy as sa

from engagement.ports import Clock
from engagement.rewards import IncomingEvent
from engagement.services.rewards import RewardsService
from engagement.storage import tables as t
from engagement.storage.database import Database
from engagement.storage.rewards import insert_ignoring_duplicates

ANSWER_WINDOW = timedelta(hours=48)  # a message this soon after a nudge answers it
REMEMBERED = 10_000


class AttentionService:
    """Rasa calls the action server several times per turn: each message is counted once
    per process (a small memory of the last message seen per conversation)."""

    def __init__(self, db: Database, clock: Clock, rewards: RewardsService) -> None:
        self._db = db
        self._clock = clock
        self._rewards = rewards
        self._last: OrderedDict[str, datetime] = OrderedDict()

    async def wrote(self, sender_id: str, customer_id: str, at: datetime) -> int:
        """The customer wrote in this conversation at ``at``; how many nudges that answered."""
        if (last := self._last.get(sender_id)) is not None and at <= last:
            return 0
        self._remember(sender_id, at)
        activity, d = t.customer_activity, t.deliveries
        async with self._db.begin() as conn:
            new_hour = insert_ignoring_duplicates(conn, activity, ["customer_id", "hour"])
            await conn.execute(new_hour.values(customer_id=customer_id, hour=at.hour, messages=0))
            await conn.execute(
                sa.update(activity)
                .where((activity.c.customer_id == customer_id) & (activity.c.hour == at.hour))
                .values(messages=activity.c.messages + 1)
            )  # fmt: skip
            answered = (
                d.c.sender_id.__eq__(sender_id)
                & (d.c.status == "sent")
                & (d.c.answered_at.is_(None))
                & d.c.sent_at.between(at - ANSWER_WINDOW, at)
            )
            ids = []  # each taken with its own conditional update: of two messages at once,
            for found in list(await conn.scalars(sa.select(d.c.id).where(answered))):  # one
                taken = await conn.execute(  # counts the answer (and its reward event)
                    sa.update(d)
                    .where((d.c.id == found) & d.c.answered_at.is_(None))
                    .values(answered_at=at)
                )
                if taken.rowcount == 1:
                    ids.append(found)
        for delivery_id in ids:
            await self._rewards.record_event(IncomingEvent(
                id=f"nudge-answer-{delivery_id}", type="nudge_answer", customer_id=customer_id,
                occurred_at=at, source="conversation",
            ))  # fmt: skip
        return len(ids)

    def _remember(self, sender_id: str, at: datetime) -> None:
        self._last[sender_id] = at
        self._last.move_to_end(sender_id)
        while len(self._last) > REMEMBERED:
            self._last.popitem(last=False)
