"""The audit log of admin actions: who published which rules version, who scheduled what.

Tokens identify a role (and, when the token is named, the person holding it): ``actor``
is what ``caller`` says. Entries are written after the action succeeded; an action that
failed is not an action taken.

An erased customer is named by a keyed pseudonym instead of their id, in the entry of
their erasure and in every entry written before it (``pseudonymise``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

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


async def pseudonymise(conn: AsyncConnection, names: Mapping[str, str]) -> int:
    """Rewrites each id of ``names`` (id → pseudonym) wherever an entry's target or detail
    holds it, as a whole value or as a word of a longer one (``review-lea-2``, not
    ``please``); an id made of digits only where it is the whole value (``version 42`` is
    a version). How many entries changed. Runs in the erasure's transaction."""
    a = t.audit_log.c
    ids = sorted((i for i in names if i), key=len, reverse=True)
    if not ids:
        return 0
    # the JSON text may hold an id escaped (é as \\u00e9): both forms are looked for
    clauses = []
    for identifier in ids:
        clauses.append(a.target.contains(identifier, autoescape=True))
        for form in {identifier, json.dumps(identifier)[1:-1]}:
            clauses.append(sa.cast(a.detail, sa.Text).contains(form, autoescape=True))
    words = [re.escape(i) for i in ids if not i.isdigit()]
    word = re.compile("|".join(rf"(?<![^\W_])(?:{w})(?![^\W_])" for w in words)) if words else None

    def rewrite(value: Any) -> Any:
        if isinstance(value, str):
            if value in names:
                return names[value]
            return word.sub(lambda found: names[found.group(0)], value) if word else value
        if isinstance(value, list):
            return [rewrite(item) for item in value]
        if isinstance(value, dict):
            return {rewrite(key): rewrite(item) for key, item in value.items()}
        return value

    changed = 0
    rows = list(await conn.execute(
        sa.select(a.id, a.target, a.detail).where(sa.or_(*clauses))
    ))  # fmt: skip
    for row in rows:
        target, detail = rewrite(row.target)[:200], rewrite(row.detail)
        if (target, detail) != (row.target, row.detail):
            await conn.execute(
                sa.update(t.audit_log).where(a.id == row.id).values(target=target, detail=detail)
            )
            changed += 1
    return changed
