"""Schema migrations (Alembic), applied by ``python -m bot migrate`` and by test fixtures."""

from __future__ import annotations

import contextlib
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Brings the database at ``url`` to ``revision``. Blocking: call it off the event loop."""
    _ensure_sqlite_folder(url)
    command.upgrade(alembic_config(url), revision)
    owner_only(url)


def owner_only(url: str) -> list[Path]:
    """A SQLite database's files (with its journal, WAL and shared-memory files) made
    readable and writable by their owner only, as ``python -m bot`` creates files (umask
    0o077): customers' data, and the Rasa tracker's conversations. Files made before that,
    with the default umask, were world-readable. Nothing to do for another database."""
    path = _sqlite_path(url)
    if path is None:
        return []
    changed = []
    for suffix in ("", "-journal", "-wal", "-shm"):
        target = Path(f"{path}{suffix}")
        with contextlib.suppress(FileNotFoundError):
            target.chmod(0o600)
            changed.append(target)
    return changed


def _sqlite_path(url: str) -> str | None:
    if url.startswith("sqlite") and ":///" in url:
        path = url.split(":///", 1)[1].split("?", 1)[0]
        if path and path != ":memory:":
            return path
    return None


def _ensure_sqlite_folder(url: str) -> None:
    path = _sqlite_path(url)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
