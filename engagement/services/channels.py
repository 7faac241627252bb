"""The conversation ↔ channel registry: which channel each conversation last wrote from and
when. Nudges name that channel (never Rasa's unreliable "latest")."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta

import sqlalchemy as sa

from engagement.ports import Clock
from engagement.storage import tables as t
from engagement.storage.database import Database
from engagement.storage.rewards import insert_ignoring_duplicates

REFRESH = timedelta(minutes=1)
REMEMBERED = 10_000


class ChannelRegistry:
    """Writes at most once a minute per conversation (the action server calls it on every
    action): a small in-process memory of what it last wrote spares the database."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._written: OrderedDict[str, tuple[str, str, datetime]] = OrderedDict()

    async def seen(self, sender_id: str, customer_id: str, channel: str) -> None:
        now = self._clock.now()
        last = self._written.get(sender_id)
        if last and last[:2] == (customer_id, channel) and now - last[2] < REFRESH:
            return
        c = t.conversation_channels
        async with self._db.begin() as conn:
            # insert-or-ignore, then update: two action servers seeing a new conversation at
            # once cannot both insert it
            await conn.execute(insert_ignoring_duplicates(conn, c, ["sender_id"]).values(
                sender_id=sender_id, customer_id=customer_id, channel=channel, last_seen_at=now,
            ))  # fmt: skip
            await conn.execute(
                sa.update(c).where(c.c.sender_id == sender_id)
                .values(customer_id=customer_id, channel=channel, last_seen_at=now)
            )  # fmt: skip
        self._written[sender_id] = (customer_id, channel, now)
        self._written.move_to_end(sender_id)
        while len(self._written) > REMEMBERED:
            self._written.popitem(last=False)
