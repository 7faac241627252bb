"""Erasure (README: staff): a customer's engagement data at once, then their conversations'
history in the tracker store once the turn that asked for it has been saved.

What is erased is found from the schema (engagement/storage/personal.py): every row that
names the customer or one of their conversations. The audit log keeps what staff did, with
the customer's id (and their conversations') rewritten to a keyed pseudonym."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from engagement.ports import Clock, Conversations
from engagement.services.audit import pseudonymise
from engagement.services.customer_view import UnknownCustomer
from engagement.storage import personal
from engagement.storage import tables as t
from engagement.storage.database import Database

# Rasa saves a turn after its last action returns; erasing earlier would let that save
# write the history back.
TRACKER_GRACE = timedelta(seconds=5)

log = logging.getLogger(__name__)


class Pseudonyms:
    """What the audit log calls an erased customer: ``hmac:`` and 32 hex digits of the
    HMAC-SHA256 of their id under the server's secret (FUSION_SERVER_SECRET). The same id
    always gets the same name, so entries about one person still read together; without
    the secret, no list of candidate ids leads back to it (an unsalted hash would)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def keyed(cls, server_secret: str | None) -> Pseudonyms:
        """With no secret configured (the tests), a random key for this object's life: the
        names then differ from those of another process or of the next start."""
        if server_secret:
            return cls(server_secret.encode())
        log.warning("FUSION_SERVER_SECRET is not set: erased customers are named in the "
                    "audit log with a key of this process only")  # fmt: skip
        return cls(secrets.token_bytes(32))

    def of(self, identifier: str) -> str:
        mac = hmac.new(self._key, b"erased-id:" + identifier.encode(), hashlib.sha256)
        return f"hmac:{mac.hexdigest()[:32]}"


@dataclass(frozen=True)
class Erased:
    customer_id: str
    conversations: tuple[str, ...]
    pseudonym: str  # how the audit log names them from now on


@dataclass(frozen=True)
class TrackerErasure:
    conversations: int
    pending: int

    def __str__(self) -> str:
        return f"{self.conversations} conversation histories erased, {self.pending} waiting"


class PrivacyService:
    def __init__(self, db: Database, clock: Clock, pseudonyms: Pseudonyms) -> None:
        self._db = db
        self._clock = clock
        self._pseudonyms = pseudonyms

    async def erase_customer(
        self, customer_id: str, sender_id: str | None = None, *, must_exist: bool = False
    ) -> Erased:
        """Deletes every row that names the customer or one of their conversations in one
        transaction, renames them in the audit log, and queues the erasure of those
        conversations' histories (``sender_id`` included).

        ``must_exist`` (staff naming a customer): ``UnknownCustomer``, and nothing written,
        when the delete of the customer's row finds none: never stored, or erased already,
        by the other of two erasures at once too."""
        now = self._clock.now()
        async with self._db.begin() as conn:
            senders = await personal.conversations_of(conn, customer_id)
            senders |= {sender_id} if sender_id else set()
            await self._withdraw_votes(conn, customer_id)
            deleted = await personal.delete_rows(conn, customer_id, senders)
            if must_exist and not deleted.get(t.customers.name):
                raise UnknownCustomer(customer_id)
            await pseudonymise(conn, {i: self._pseudonyms.of(i) for i in {customer_id, *senders}})
            for sender in sorted(senders):
                await conn.execute(sa.delete(t.erasures).where(t.erasures.c.sender_id == sender))
                await conn.execute(sa.insert(t.erasures).values(sender_id=sender, requested_at=now))
        return Erased(customer_id, tuple(sorted(senders)), self._pseudonyms.of(customer_id))

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
            if due:  # a request made again meanwhile waits for the next run
                e = t.erasures.c
                await conn.execute(
                    sa.delete(t.erasures).where(e.sender_id.in_(due), e.requested_at <= due_before)
                )
            pending = await conn.scalar(sa.select(sa.func.count()).select_from(t.erasures))
        return TrackerErasure(erased, int(pending or 0))

    async def _withdraw_votes(self, conn: AsyncConnection, customer_id: str) -> None:
        """Their votes for others' ideas stop counting (the votes for their own ideas go
        with the ideas, whoever cast them). A vote is counted off its idea by the erasure
        whose delete took the vote away, so two erasures at once count it off once."""
        v = t.idea_votes.c
        voted = list(await conn.scalars(sa.select(v.idea_id).where(v.customer_id == customer_id)))
        for idea_id in voted:
            taken = await conn.execute(
                sa.delete(t.idea_votes).where(v.idea_id == idea_id, v.customer_id == customer_id)
            )
            if taken.rowcount == 1:
                await conn.execute(
                    sa.update(t.contributions)
                    .where(t.contributions.c.id == idea_id)
                    .values(votes=t.contributions.c.votes - 1)
                )
