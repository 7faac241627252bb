"""Personal referral codes and share links; a visit to a share link is a share (§4)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from engagement.ports import Clock
from engagement.referrals import KINDS, SHARE, new_personal_code, share_event_id
from engagement.rewards import IncomingEvent
from engagement.services.rewards import RewardsService
from engagement.storage import tables as t
from engagement.storage.customers import SqlCustomers
from engagement.storage.database import Database
from engagement.storage.rewards import insert_ignoring_duplicates


@dataclass(frozen=True)
class PersonalCode:
    code: str
    kind: str
    visits: int


@dataclass(frozen=True)
class Referrals:
    converted: int
    refused: int


class ReferralService:
    def __init__(self, db: Database, clock: Clock, rewards: RewardsService, links_url: str) -> None:
        self._db = db
        self._clock = clock
        self._rewards = rewards
        self._links_url = links_url.rstrip("/")

    def link(self, code: PersonalCode) -> str:
        """The personal link: it counts the visit, then leads to the shop."""
        return f"{self._links_url}/r/{code.code}"

    async def code_for(self, customer_id: str, kind: str) -> PersonalCode:
        """The customer's code of this kind, created the first time they ask."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        now = self._clock.now()
        async with self._db.begin() as conn:
            await SqlCustomers(conn).ensure(customer_id, now)
            row = (await conn.execute(_code_of(customer_id, kind))).first()
            if row is None:  # of two first asks at once, the second inserts nothing
                unique = ["customer_id", "kind"]
                await conn.execute(
                    insert_ignoring_duplicates(conn, t.personal_codes, unique).values(
                        code=new_personal_code(),
                        customer_id=customer_id,
                        kind=kind,
                        created_at=now,
                        visits=0,
                    )  # fmt: skip
                )
                row = (await conn.execute(_code_of(customer_id, kind))).one()
        return PersonalCode(row.code, row.kind, row.visits)

    async def referrals_of(self, customer_id: str) -> Referrals:
        async with self._db.connect() as conn:
            rows = await conn.execute(
                sa.select(t.referrals.c.status, sa.func.count())
                .where(t.referrals.c.referrer_id == customer_id)
                .group_by(t.referrals.c.status)
            )
            counts = {status: count for status, count in rows}
        return Referrals(counts.get("converted", 0), counts.get("refused", 0))

    async def visit(self, code: str) -> PersonalCode | None:
        """Counts a visit to a personal link; a share link's first visit of the day is a
        ``share`` event for its owner. None for a code we never issued."""
        now = self._clock.now()
        async with self._db.begin() as conn:
            found = await conn.execute(
                sa.select(t.personal_codes).where(t.personal_codes.c.code == code)
            )
            row = found.first()
            if row is None:
                return None
            await conn.execute(
                sa.update(t.personal_codes)
                .where(t.personal_codes.c.code == code)
                .values(visits=t.personal_codes.c.visits + 1)
            )
            if row.kind == SHARE:
                await self._rewards.record_in(
                    conn,
                    IncomingEvent(
                        id=share_event_id(code, now.date()),
                        type="share",
                        customer_id=row.customer_id,
                        occurred_at=now,
                        source="web",
                        facts={"channel": "link"},
                        payload={"code": code},
                    ),  # fmt: skip
                )
        return PersonalCode(row.code, row.kind, row.visits + 1)


def _code_of(customer_id: str, kind: str) -> sa.sql.Select:
    return sa.select(t.personal_codes).where(
        (t.personal_codes.c.customer_id == customer_id) & (t.personal_codes.c.kind == kind)
    )
