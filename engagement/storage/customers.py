"""Customer rows: read, create on first contact, update language, claim the privacy notice."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from engagement.customers import Customer
from engagement.ladder import StageChanged
from engagement.storage.tables import customers, stage_changes


class SqlCustomers:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, customer_id: str) -> Customer | None:
        row = (
            await self._conn.execute(sa.select(customers).where(customers.c.id == customer_id))
        ).first()
        return _to_customer(row) if row else None

    async def ensure(self, customer_id: str, now: datetime) -> Customer:
        """The customer, created as a prospect when we have never seen them."""
        found = await self.get(customer_id)
        if found:
            return found
        await self._conn.execute(
            _insert_ignoring_duplicates(self._conn).values(
                id=customer_id, created_at=now, updated_at=now
            )
        )
        created = await self.get(customer_id)
        assert created is not None
        return created

    async def set_language(self, customer_id: str, language: str, now: datetime) -> None:
        await self._conn.execute(
            sa.update(customers)
            .where(customers.c.id == customer_id)
            .values(language=language, updated_at=now)
        )

    async def adopt_language(self, customer_id: str, language: str, now: datetime) -> None:
        """Sets the language if the customer has none yet: one chosen meanwhile stays."""
        await self._conn.execute(
            sa.update(customers)
            .where(customers.c.id == customer_id, customers.c.language.is_(None))
            .values(language=language, updated_at=now)
        )

    async def update_profile(
        self,
        customer_id: str,
        *,
        name: str | None,
        language: str | None,
        timezone: str | None,
        now: datetime,
        email: str | None = None,
    ) -> None:
        """Sets the given fields (``None`` leaves a field as it is)."""
        given = (("name", name), ("language", language), ("timezone", timezone), ("email", email))
        values = {key: value for key, value in given if value is not None}
        if values:
            await self._conn.execute(
                sa.update(customers)
                .where(customers.c.id == customer_id)
                .values(**values, updated_at=now)
            )

    async def move_to_stage(self, change: StageChanged, event_id: str | None) -> bool:
        """Moves the customer and records the move, if they still stand where ``change``
        starts; False, and nothing written, when a concurrent event moved them first."""
        moved = await self._conn.execute(
            sa.update(customers)
            .where(customers.c.id == change.customer_id, customers.c.stage == change.from_stage)
            .values(stage=change.to_stage, updated_at=change.at)
        )
        if moved.rowcount != 1:
            return False
        await self._conn.execute(
            stage_changes.insert().values(
                customer_id=change.customer_id,
                from_stage=change.from_stage,
                to_stage=change.to_stage,
                event_id=event_id,
                changed_at=change.at,
            )
        )
        return True

    async def claim_privacy_notice(self, customer_id: str, now: datetime) -> bool:
        """True for exactly one caller: the one that records the notice as shown."""
        result = await self._conn.execute(
            sa.update(customers)
            .where(customers.c.id == customer_id, customers.c.privacy_notice_at.is_(None))
            .values(privacy_notice_at=now, updated_at=now)
        )
        return bool(result.rowcount == 1)


def _insert_ignoring_duplicates(conn: AsyncConnection) -> sa.sql.Insert:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(customers).on_conflict_do_nothing(index_elements=["id"])
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(customers).on_conflict_do_nothing(index_elements=["id"])


def _to_customer(row: sa.engine.Row) -> Customer:
    return Customer(
        id=row.id,
        name=row.name,
        language=row.language,
        timezone=row.timezone,
        created_at=row.created_at,
        privacy_notice_at=row.privacy_notice_at,
        stage=row.stage,
    )
