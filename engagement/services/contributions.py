"""Contributions through the same service layer as commerce events: submit, moderate, vote.

Each step is one transaction holding the contribution's row and the event the rules see
(``review`` on submission, ``review_approved`` on approval, ``vote`` …), so the rewards
follow the moderation; a rejection reverses what the contribution earned with
compensating ledger entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from engagement.contributions import ModerationRefused as ModerationRefused
from engagement.contributions import (
    Submission,
    event_of,
    moderate,
    status_event_id,
    submission_event_id,
)
from engagement.ports import Clock
from engagement.rewards import EventRecorded, IncomingEvent
from engagement.services.rewards import RewardsService
from engagement.storage import tables as t
from engagement.storage.database import Database
from engagement.storage.rewards import SqlRewards, insert_ignoring_duplicates

PAGE = 100
PUBLISHED = ("approved", "shipped")  # ideas others see and vote for


class UnknownContribution(LookupError):
    pass


# Reviews, ideas and votes earn rewards: a customer may send this many within the window
# through the assistant (all channels and instances together: counted in the database).
CONTRIBUTIONS_PER_WINDOW = 5
CONTRIBUTION_WINDOW = timedelta(minutes=10)


class TooManyContributions(Exception):
    """The customer sent too many reviews, ideas or votes lately; nothing was written."""


class VoteRefused(ValueError):
    """Only published ideas can be voted for, and not by their author."""


@dataclass(frozen=True)
class Moderated:
    id: str
    status: str
    recorded: EventRecorded | None
    points_reversed: int


class NoPurchaseYet(Exception):
    """Contributions earn rewards, so they come from customers who bought."""


class ContributionService:
    def __init__(self, db: Database, clock: Clock, rewards: RewardsService) -> None:
        self._db = db
        self._clock = clock
        self._rewards = rewards

    async def submit(self, submission: Submission) -> tuple[str, EventRecorded]:
        """The status and the rewards of a new contribution (a replay changes nothing)."""
        s = submission
        facts: dict[str, Any] = {"channel": s.channel, "order": {"id": s.order_id}, "sku": s.sku}
        event = IncomingEvent(
            id=submission_event_id(s.id), type=s.kind, customer_id=s.customer_id,
            occurred_at=s.occurred_at, source="conversation", facts=facts,
            payload={"contribution_id": s.id, "kind": s.kind, "order_id": s.order_id,
                     "sku": s.sku, "channel": s.channel},
        )  # fmt: skip
        async with self._db.begin() as conn:
            c = t.contributions.c
            known = await conn.scalar(sa.select(c.id).where(c.id == s.id))
            if known is None:
                await self._check_buyer(conn, s.customer_id)
                await self._check_rate(conn, s.customer_id)
            recorded = await self._rewards.record_in(conn, event)
            await conn.execute(
                insert_ignoring_duplicates(conn, t.contributions, ["id"]).values(
                    id=s.id, customer_id=s.customer_id, kind=s.kind, status=s.initial_status,
                    order_id=s.order_id, sku=s.sku, rating=s.rating, title=s.title, body=s.body,
                    language=s.language, channel=s.channel, created_at=self._clock.now(),
                )
            )  # fmt: skip
            status = await conn.scalar(
                sa.select(t.contributions.c.status).where(t.contributions.c.id == s.id)
            )
        return str(status), recorded

    async def _check_buyer(self, conn: Any, customer_id: str) -> None:
        """Reviews, ideas and votes earn rewards: only a customer who bought may send them,
        so that made-up accounts cannot farm points."""
        bought = await conn.scalar(
            sa.select(t.orders.c.id).where(t.orders.c.customer_id == customer_id).limit(1)
        )
        if bought is None:
            raise NoPurchaseYet(f"{customer_id} has bought nothing yet")

    async def _check_rate(self, conn: Any, customer_id: str) -> None:
        since = self._clock.now() - CONTRIBUTION_WINDOW
        c, v = t.contributions.c, t.idea_votes.c
        recent = await conn.scalar(sa.select(
            sa.select(sa.func.count()).where(c.customer_id == customer_id, c.created_at >= since)
            .scalar_subquery()
            + sa.select(sa.func.count()).where(v.customer_id == customer_id, v.created_at >= since)
            .scalar_subquery()
        ))  # fmt: skip
        if recent >= CONTRIBUTIONS_PER_WINDOW:
            raise TooManyContributions(
                f"{recent} reviews, ideas or votes in the last "
                f"{int(CONTRIBUTION_WINDOW.total_seconds() // 60)} minutes"
            )

    async def moderate(
        self, contribution_id: str, decision: str, by: str, note: str | None = None
    ) -> Moderated:
        now = self._clock.now()
        c = t.contributions.c
        async with self._db.begin() as conn:
            row = await self._row(conn, contribution_id)
            after = moderate(row.kind, row.status, decision)
            changed = await conn.execute(
                sa.update(t.contributions)
                .where(c.id == contribution_id, c.status == row.status)
                .values(status=after, moderated_at=now, moderated_by=by, moderation_note=note)
            )
            if changed.rowcount != 1:
                raise ModerationRefused("the contribution was moderated meanwhile")
            event_type = event_of(row.kind, after) or "contribution_rejected"
            recorded = await self._rewards.record_in(
                conn,
                IncomingEvent(
                    id=status_event_id(contribution_id, after), type=event_type,
                    customer_id=row.customer_id, occurred_at=now, source="moderation",
                    payload={"contribution_id": contribution_id, "by": by},
                ),
            )  # fmt: skip
            reversed_points = 0
            if after == "rejected":
                earned = await SqlRewards(conn).awards_of_events(
                    [submission_event_id(contribution_id)]
                    + [status_event_id(contribution_id, s) for s in ("approved", "shipped")]
                )
                reversed_points = await self._rewards.reverse(conn, earned, recorded.event_id)
        return Moderated(contribution_id, after, recorded, reversed_points)

    async def vote(self, idea_id: str, voter_id: str) -> tuple[bool, int]:
        """(whether this vote counted, the idea's votes); one vote per customer per idea."""
        async with self._db.begin() as conn:
            idea = await self._row(conn, idea_id)
            if idea.kind != "idea" or idea.status not in PUBLISHED:
                raise VoteRefused("only published ideas can be voted for")
            if idea.customer_id == voter_id:
                raise VoteRefused("one cannot vote for one's own idea")
            v = t.idea_votes.c
            voted = await conn.scalar(
                sa.select(v.idea_id).where(v.idea_id == idea_id, v.customer_id == voter_id)
            )
            if voted is None:
                await self._check_buyer(conn, voter_id)
                await self._check_rate(conn, voter_id)
            recorded = await self._rewards.record_in(
                conn,
                IncomingEvent(
                    id=f"vote:{idea_id}:{voter_id}", type="vote", customer_id=voter_id,
                    occurred_at=self._clock.now(), source="conversation",
                    facts={"idea_id": idea_id}, payload={"idea_id": idea_id},
                ),
            )  # fmt: skip
            if not recorded.replay:
                c = t.contributions.c
                counted = await conn.execute(
                    sa.update(t.contributions)
                    .where(c.id == idea_id, c.status.in_(PUBLISHED))
                    .values(votes=c.votes + 1)
                )
                if counted.rowcount != 1:  # rolls the vote's event and points back
                    raise VoteRefused("the idea was unpublished meanwhile")
                await conn.execute(
                    t.idea_votes.insert().values(
                        idea_id=idea_id, customer_id=voter_id, created_at=self._clock.now()
                    )
                )
            votes = await conn.scalar(
                sa.select(t.contributions.c.votes).where(t.contributions.c.id == idea_id)
            )
        return not recorded.replay, int(votes)

    async def best_ideas(self, limit: int = 10) -> list[dict[str, Any]]:
        c = t.contributions.c
        query = (
            sa.select(c.id, c.title, c.body, c.votes, c.status, c.language, c.created_at)
            .where(c.kind == "idea", c.status.in_(PUBLISHED))
            .order_by(c.votes.desc(), c.created_at)
            .limit(min(limit, PAGE))
        )
        return await self._dicts(query)

    async def queue(self, status: str = "pending", kind: str | None = None) -> list[dict[str, Any]]:
        c = t.contributions.c
        query = sa.select(t.contributions).where(c.status == status)
        if kind is not None:
            query = query.where(c.kind == kind)
        return await self._dicts(query.order_by(c.created_at).limit(PAGE))

    async def _dicts(self, query: Any) -> list[dict[str, Any]]:
        async with self._db.connect() as conn:
            rows = await conn.execute(query)
            return [
                {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in r._mapping.items()}
                for r in rows
            ]

    async def _row(self, conn: AsyncConnection, contribution_id: str) -> Any:
        row = (
            await conn.execute(
                sa.select(t.contributions).where(t.contributions.c.id == contribution_id)
            )
        ).first()
        if row is None:
            raise UnknownContribution(contribution_id)
        return row
