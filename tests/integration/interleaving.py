"""Races made to happen: each attempt is stopped at its first write to the contested tables,
after it read the state it decides on, until the other attempt got there too (``together``)
or ran to its end (``overtaken``). A state change decided by that read instead of by a
conditional write then succeeds twice, or undoes what the other attempt did.

On PostgreSQL the attempts meet there (``met``). On SQLite they cannot: a writing
transaction holds the whole database from its BEGIN IMMEDIATE (``Database.begin``), so the
other attempt waits at its BEGIN; after ``patience`` the first goes on alone and the
attempts run one after the other, which is what the tests then check."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Collection
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import UpdateBase

# Long enough for PostgreSQL's attempts to meet; what SQLite's first attempt waits in vain.
PATIENCE_S = {"postgresql": 10.0, "sqlite": 0.3}


class Interleaving:
    def __init__(
        self, monkeypatch: pytest.MonkeyPatch, tables: Collection[str], database_kind: str
    ) -> None:
        self._tables = frozenset(tables)
        self._kind = database_kind
        self._patience = PATIENCE_S[database_kind]
        self._parties = 0
        self._arrived: list[asyncio.Task[Any]] = []
        self._arrival = asyncio.Event()
        self._release = asyncio.Event()
        self._waits_for_all = True
        self.met = False
        execute = AsyncConnection.execute

        async def held_execute(conn: AsyncConnection, statement: Any, *args: Any, **kw: Any) -> Any:
            if self._contested(statement):
                await self._hold()
            return await execute(conn, statement, *args, **kw)

        monkeypatch.setattr(AsyncConnection, "execute", held_execute)

    async def together(self, *attempts: Awaitable[Any]) -> list[Any]:
        """Runs the attempts at once, each stopped before its first contested write until
        all got there; their results, or the exceptions they raised."""
        self._parties = len(attempts)
        results = list(await asyncio.gather(*attempts, return_exceptions=True))
        self._check_met()
        return results

    async def overtaken(self, slow: Awaitable[Any], fast: Awaitable[Any]) -> list[Any]:
        """``slow`` reads, then ``fast`` runs to its end, then ``slow`` writes (on SQLite
        ``fast`` cannot start before ``slow`` ends); both results or exceptions."""
        self._parties, self._waits_for_all = 1, False
        slow_task = asyncio.ensure_future(slow)
        arrival = asyncio.ensure_future(self._arrival.wait())
        await asyncio.wait({slow_task, arrival}, return_when=asyncio.FIRST_COMPLETED)
        arrival.cancel()
        fast_task = asyncio.ensure_future(fast)
        await asyncio.wait({fast_task}, timeout=self._patience)
        self.met = fast_task.done() and not slow_task.done()
        self._release.set()
        results = list(await asyncio.gather(slow_task, fast_task, return_exceptions=True))
        self._check_met()
        return results

    def _check_met(self) -> None:
        if self._kind == "postgresql":
            assert self.met, f"the attempts did not meet before their writes to {self._tables}"

    def _contested(self, statement: Any) -> bool:
        if not isinstance(statement, UpdateBase) or statement.table.name not in self._tables:
            return False
        task = asyncio.current_task()
        if task in self._arrived or len(self._arrived) >= self._parties:
            return False  # one stop per attempt; writes of anyone else pass
        assert task is not None
        self._arrived.append(task)
        return True

    async def _hold(self) -> None:
        self._arrival.set()
        if not self._waits_for_all:
            await self._release.wait()  # overtaken() lets it go
            return
        if len(self._arrived) == self._parties and not self._release.is_set():
            self.met = True  # every attempt read before any wrote
            self._release.set()
        try:
            await asyncio.wait_for(self._release.wait(), self._patience)
        except asyncio.TimeoutError:
            self._release.set()  # SQLite: the others wait for this one's transaction
