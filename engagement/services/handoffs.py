"""Human handoff: the request staff see, and handing the conversation back."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from engagement.ports import Clock, Conversations, ConversationsUnavailable, Message
from engagement.storage import tables as t
from engagement.storage.database import Database
from engagement.transcripts import customer_texts, message_json, readable, since_request

RECENT_MESSAGES = 5
# The message that asked for a person came a moment before the request was recorded: the
# conversation is read from this long before the request, then cut at that message.
LOOK_BACK = timedelta(hours=1)
MAX_MESSAGES = 500

log = logging.getLogger(__name__)


class UnknownHandoff(LookupError):
    pass


class HandoffClosed(ValueError):
    pass


@dataclass(frozen=True)
class Handoff:
    id: int
    sender_id: str
    customer_id: str
    channel: str | None
    language: str | None
    recent_messages: list[str]
    status: str
    requested_at: datetime
    closed_at: datetime | None
    closed_by: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "sender_id": self.sender_id, "customer_id": self.customer_id,
            "channel": self.channel, "language": self.language,
            "recent_messages": self.recent_messages, "status": self.status,
            "requested_at": self.requested_at.isoformat(),
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "closed_by": self.closed_by,
        }  # fmt: skip


class HandoffService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def request(
        self,
        *,
        sender_id: str,
        customer_id: str,
        channel: str | None,
        language: str | None,
        recent_messages: Sequence[str],
    ) -> Handoff:
        """Opens a request for this conversation, or returns the one already open."""
        async with self._db.begin() as conn:
            open_id = await conn.scalar(
                sa.select(t.handoffs.c.id).where(
                    (t.handoffs.c.sender_id == sender_id) & (t.handoffs.c.status == "open")
                )
            )
            if open_id is None:
                open_id = (
                    await conn.execute(
                        sa.insert(t.handoffs).values(
                            sender_id=sender_id,
                            customer_id=customer_id,
                            channel=channel,
                            language=language,
                            recent_messages=list(recent_messages)[-RECENT_MESSAGES:],
                            status="open",
                            requested_at=self._clock.now(),
                        )  # fmt: skip
                    )
                ).inserted_primary_key[0]
        return await self.get(int(open_id))

    async def get(self, handoff_id: int) -> Handoff:
        async with self._db.connect() as conn:
            row = (
                await conn.execute(sa.select(t.handoffs).where(t.handoffs.c.id == handoff_id))
            ).first()
        if row is None:
            raise UnknownHandoff(handoff_id)
        return Handoff(**row._mapping)

    async def listing(self, status: str | None = "open") -> list[Handoff]:
        query = sa.select(t.handoffs).order_by(t.handoffs.c.requested_at)
        if status is not None:
            query = query.where(t.handoffs.c.status == status)
        async with self._db.connect() as conn:
            return [Handoff(**row._mapping) for row in await conn.execute(query)]

    async def open_count(self) -> int:
        async with self._db.connect() as conn:
            found = await conn.scalar(
                sa.select(sa.func.count()).where(t.handoffs.c.status == "open")
            )
        return int(found or 0)

    async def with_conversations(
        self, status: str | None, conversations: Conversations | None
    ) -> list[dict[str, Any]]:
        """The requests, oldest first, each with how long it waited and what was said from
        the message that asked to now (to its closing for a closed one), as the conversation
        side keeps it: what the customer wrote after asking included. When that side cannot
        be read, ``conversation`` is None and ``recent_messages`` what the customer had
        written when they asked."""
        now = self._clock.now()
        shown = []
        for handoff in await self.listing(status):
            view = handoff.as_json()
            waited = (handoff.closed_at or now) - handoff.requested_at
            view["waiting_s"] = int(waited.total_seconds())
            said = await self._said(handoff, conversations)
            view["conversation"] = None if said is None else [message_json(m) for m in said]
            if said is not None:
                view["recent_messages"] = customer_texts(said, RECENT_MESSAGES)
            shown.append(view)
        return shown

    async def _said(
        self, handoff: Handoff, conversations: Conversations | None
    ) -> list[Message] | None:
        if conversations is None:
            return None
        try:
            said = await conversations.messages(
                handoff.sender_id, since=handoff.requested_at - LOOK_BACK, last=MAX_MESSAGES
            )
        except ConversationsUnavailable as exc:
            log.warning("handoff %s: the conversation cannot be read: %s", handoff.id, exc)
            return None
        until = handoff.closed_at
        return [m for m in since_request(readable(said), handoff.requested_at)
                if until is None or m.at <= until]  # fmt: skip

    async def hand_back(self, handoff_id: int, staff: str, conversations: Conversations) -> Handoff:
        """Resumes the assistant in that conversation, then closes the request with one
        conditional update: of concurrent hand-backs exactly one closes it, the others get
        ``HandoffClosed`` (resuming twice is harmless). If Rasa cannot be reached the request
        stays open and the error reaches the caller."""
        handoff = await self.get(handoff_id)
        if handoff.status != "open":
            raise HandoffClosed(f"handoff {handoff_id} is already {handoff.status}")
        await conversations.resume(handoff.sender_id)
        async with self._db.begin() as conn:
            closed = await conn.execute(
                sa.update(t.handoffs)
                .where(t.handoffs.c.id == handoff_id, t.handoffs.c.status == "open")
                .values(status="closed", closed_at=self._clock.now(), closed_by=staff)
            )
        if closed.rowcount != 1:
            raise HandoffClosed(f"handoff {handoff_id} was handed back meanwhile")
        return await self.get(handoff_id)
