"""The audit log of admin actions: who published which rules version, who scheduled what.

Tokens identify a role (and, when the token is named, the person holding it): ``actor``
is what ``caller`` says. Entries are written after the action succeeded; an action that
failed is not an action taken.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from engagement.ports import Clock
from engagement.storage import tables as t
from engagement.storage.database import Database

MAX_ENTRIES = 1000


class AuditLog:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def record(self, actor: str, action: str, target: str, **detail: Any) -> None:
        async with self._db.begin() as conn:
            await conn.execute(sa.insert(t.audit_log).values(
                at=self._clock.now(), actor=actor, action=action, target=target[:200],
                detail=detail,
            ))  # fmt: skip

    async def entries(self, limit: int = 200, action: str | None = None) -> list[dict[str, Any]]:
        a = t.audit_log.c
        query = sa.select(t.audit_log).order_by(a.id.desc()).limit(min(limit, MAX_ENTRIES))
        if action:
            query = query.where(a.action.startswith(action))
        async with self._db.connect() as conn:
            rows = await conn.execute(query)
            return [
                {"at": r.at.isoformat(), "actor": r.actor, "action": r.action,
                 "target": r.target, "detail": r.detail}
                for r in rows
            ]  # fmt: skip
