"""The database handle: one async engine per process, built by the composition root."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

SQLITE_BUSY_TIMEOUT_MS = 10_000
# PostgreSQL's answers to a transaction that lost a race: a deadlock broken by the server,
# or a serialization failure. Both roll back; the work is safe to run again.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
TRANSACTION_ATTEMPTS = 6

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Database:
    engine: AsyncEngine
    # SQLite has one writer at a time. Writers of this process queue here, in order,
    # instead of all polling the file lock: SQLite's busy handler sleeps up to 100 ms
    # between tries, which wasted most of the time under concurrent writes.
    _writer: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def from_url(cls, url: str, *, echo: bool = False) -> Database:
        """Builds the engine (no I/O happens until the first query)."""
        if url.startswith("sqlite"):
            # SQLAlchemy 1.4 gives file SQLite a NullPool: a new connection (a new thread
            # for aiosqlite, and our PRAGMAs) per transaction. A small pool reuses them.
            engine = create_async_engine(
                url, echo=echo, poolclass=AsyncAdaptedQueuePool, pool_size=5, max_overflow=10
            )
            event.listen(engine.sync_engine, "connect", _configure_sqlite)
            event.listen(engine.sync_engine, "begin", _begin_immediate)
        else:
            engine = create_async_engine(url, echo=echo, pool_pre_ping=True, pool_size=10)
        return cls(engine)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def begin(self) -> Any:
        """A transaction: ``async with db.begin() as conn`` commits on success."""
        if self.is_sqlite:
            return self._serialised_begin()
        return self.engine.begin()

    async def transaction(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """``work(conn)`` in a transaction, run again (after a short random pause) when
        PostgreSQL broke a deadlock or a serialization conflict by rolling it back. ``work``
        must only touch the database: a rolled-back attempt leaves nothing behind."""
        for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
            try:
                async with self.begin() as conn:
                    return await work(conn)
            except DBAPIError as exc:
                if attempt == TRANSACTION_ATTEMPTS or not _retryable(exc):
                    raise
                log.info("transaction rolled back by the database (%s), attempt %d",
                         _sqlstate(exc), attempt)  # fmt: skip
                await asyncio.sleep(random.uniform(0.005, 0.02) * 2**attempt)
        raise AssertionError("unreachable")

    @asynccontextmanager
    async def _serialised_begin(self) -> AsyncIterator[AsyncConnection]:
        async with self._writer, self.engine.begin() as conn:
            yield conn

    def connect(self) -> Any:
        """Reads: ``async with db.connect() as conn`` (never committed). On SQLite they take
        no write lock (a plain BEGIN), so readers in other processes never hold writers up."""
        if self.is_sqlite:
            return self.engine.execution_options(fusion_reads_only=True).connect()
        return self.engine.connect()

    async def ping(self, timeout: float = 2.0) -> bool:
        """True when the database answers a trivial query within ``timeout`` seconds."""
        try:
            await asyncio.wait_for(self._select_one(), timeout)
        except Exception:  # any failure means "not healthy"
            return False
        return True

    async def _select_one(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def is_unavailable(exc: BaseException) -> bool:
    """The database could not be reached or dropped the connection (a transient state: the
    caller answers 503 and retries later), as opposed to a bug or a refused statement."""
    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    if isinstance(exc, DBAPIError):
        lost = isinstance(exc, OperationalError | InterfaceError)
        return lost or bool(exc.connection_invalidated)
    return False


def is_missing_table(exc: BaseException) -> bool:
    """A query on a table nobody has created yet: SQLite's "no such table", PostgreSQL's
    42P01 (Rasa creates its tracker tables when a Rasa server first starts)."""
    return isinstance(exc, DBAPIError) and (
        _sqlstate(exc) == "42P01" or "no such table" in str(exc)
    )


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def _retryable(exc: DBAPIError) -> bool:
    return _sqlstate(exc) in RETRYABLE_SQLSTATES


def _begin_immediate(conn: Any) -> None:
    # A deferred SQLite transaction that reads, then writes, fails at once with "database
    # is locked" when another process wrote in between; taking the write lock up front
    # makes concurrent writers wait their turn (busy_timeout) instead. Reads (connect())
    # never write: a deferred BEGIN, which WAL lets run beside a writer.
    reads_only = conn.get_execution_options().get("fusion_reads_only", False)
    conn.exec_driver_sql("BEGIN" if reads_only else "BEGIN IMMEDIATE")


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # we emit BEGIN ourselves (see _begin_immediate)
    dbapi_connection.isolation_level = None
    # WAL lets the action server and the engagement service read while the other writes;
    # busy_timeout makes a writer wait for the lock instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # SQLite's own lower() folds ASCII letters only ("Élodie" stays "Élodie"); PostgreSQL's
    # folds every letter: searches by name then find the same customers on both
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value
