"""Erasure (DESIGN §7): a customer's engagement data at once, then their conversations'
history in the tracker store once the turn that asked for it has been saved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from engagement.ports import Clock, Conversations
from engagement.storage import tables as t
from engagement.storage.database import Database

# Rasa saves a turn after its last action returns; erasing earlier would let that save
# write the history back.
TRACKER_GRACE = timedelta(seconds=5)

# Tables keyed by customer, children before parents.
_CUSTOMER_TABLES = (
    t.idea_votes, t.decisions, t.rule_usage, t.fusion_entries, t.coupons, t.customer_badges,
    t.ledger_entries, t.stage_changes, t.contributions, t.link_codes, t.personal_codes,
    t.customer_aliases, t.handoffs, t.deliveries, t.conversation_channels, t.events,
)  # fmt: skip


@dataclass(frozen=True)
class Erased:
    customer_id: str
    conversations: tuple[str, ...]


@dataclass(frozen=True)
class TrackerErasure:
    conversations: int
    pending: int

    def __str__(self) -> str:
        return f"{self.conversations} conversation histories erased, {self.pending} waiting"


class PrivacyService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def erase_customer(self, customer_id: str, sender_id: str | None = None) -> Erased:
        """Deletes everything kept about the customer in one transaction and queues the
        erasure of the conversations that spoke for them (``sender_id`` included)."""
        now = self._clock.now()
        async with self._db.begin() as conn:
            senders = {customer_id, *([sender_id] if sender_id else [])}
            senders |= set(
                await conn.scalars(
                    sa.select(t.customer_aliases.c.sender_id).where(
                        t.customer_aliases.c.customer_id == customer_id
                    )
                )
            )
            await self._delete_customer_rows(conn, customer_id)
            for sender in sorted(senders):
                await conn.execute(sa.delete(t.erasures).where(t.erasures.c.sender_id == sender))
                await conn.execute(sa.insert(t.erasures).values(sender_id=sender, requested_at=now))
        return Erased(customer_id, tuple(sorted(senders)))

    async def erase_conversations(self, conversations: Conversations) -> TrackerErasure:
        """The scheduler's job: erases queued conversation histories past the grace delay;
        a failure leaves them queued for the next run."""
        due_before = self._clock.now() - TRACKER_GRACE
        async with self._db.connect() as conn:
            due = list(
                await conn.scalars(
                    sa.select(t.erasures.c.sender_id).where(t.erasures.c.requested_at <= due_before)
                )
            )
        erased = await conversations.erase(due) if due else 0
        async with self._db.begin() as conn:
            if due:
                await conn.execute(sa.delete(t.erasures).where(t.erasures.c.sender_id.in_(due)))
            pending = await conn.scalar(sa.select(sa.func.count()).select_from(t.erasures))
        return TrackerErasure(erased, int(pending or 0))

    async def _delete_customer_rows(self, conn: AsyncConnection, customer_id: str) -> None:
        # Votes for this customer's ideas, by anyone, go with the ideas.
        ideas = sa.select(t.contributions.c.id).where(t.contributions.c.customer_id == customer_id)
        await conn.execute(sa.delete(t.idea_votes).where(t.idea_votes.c.idea_id.in_(ideas)))
        # Their votes for others' ideas stop counting.
        voted = list(
            await conn.scalars(
                sa.select(t.idea_votes.c.idea_id).where(t.idea_votes.c.customer_id == customer_id)
            )
        )
        if voted:
            await conn.execute(
                sa.update(t.contributions)
                .where(t.contributions.c.id.in_(voted))
                .values(votes=t.contributions.c.votes - 1)
            )
        orders = sa.select(t.orders.c.id).where(t.orders.c.customer_id == customer_id)
        await conn.execute(sa.delete(t.order_items).where(t.order_items.c.order_id.in_(orders)))
        await conn.execute(
            sa.delete(t.referrals).where(
                (t.referrals.c.friend_id == customer_id)
                | (t.referrals.c.referrer_id == customer_id)
            )
        )
        await conn.execute(sa.delete(t.ledger_entries).where(
            (t.ledger_entries.c.customer_id == customer_id)
            & t.ledger_entries.c.reverses_entry_id.is_not(None)
        ))  # fmt: skip
        for table in _CUSTOMER_TABLES:
            await conn.execute(sa.delete(table).where(table.c.customer_id == customer_id))
        await conn.execute(sa.delete(t.orders).where(t.orders.c.customer_id == customer_id))
        await conn.execute(sa.delete(t.customers).where(t.customers.c.id == customer_id))
