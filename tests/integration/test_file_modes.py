"""What ``python -m bot`` writes is readable by its owner only: it runs with umask 0o077,
and ``migrate`` narrows the database files an earlier run left world-readable."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from engagement.settings import Settings
from tests.conftest import TEST_TOKENS


@pytest.fixture
def umask() -> Iterator[None]:
    """``main`` sets the process's umask: the test process gets its own back."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_migrate_leaves_the_database_files_readable_by_their_owner_only(
    tmp_path: Path, umask: None
) -> None:
    env = {**TEST_TOKENS, "FUSION_DATA_DIR": str(tmp_path / "var")}
    settings = Settings.from_env(env, base_dir=tmp_path)
    engagement = Path(settings.database_url.split(":///", 1)[1])
    tracker = settings.tracker_store_path
    # files an earlier version made with the default umask, Rasa's tracker among them
    engagement.parent.mkdir(parents=True)
    for path in (engagement, tracker):
        sqlite3.connect(path).close()
        path.chmod(0o644)
    wal = Path(f"{tracker}-wal")
    wal.write_bytes(b"")
    wal.chmod(0o644)
    assert main(["migrate"], env) == 0
    assert {path.name: mode(path) for path in (engagement, tracker, wal)} == {
        engagement.name: 0o600, tracker.name: 0o600, wal.name: 0o600,
    }  # fmt: skip
    assert os.umask(0o022) == 0o077, "files made from now on are the owner's only"


def test_a_fresh_database_is_created_readable_by_its_owner_only(
    tmp_path: Path, umask: None
) -> None:
    env = {**TEST_TOKENS, "FUSION_DATA_DIR": str(tmp_path / "var")}
    assert main(["migrate"], env) == 0
    settings = Settings.from_env(env, base_dir=tmp_path)
    engagement = Path(settings.database_url.split(":///", 1)[1])
    assert engagement.exists() and mode(engagement) == 0o600
    stray = [p for p in (tmp_path / "var").rglob("*") if p.is_file() and mode(p) & 0o077]
    assert stray == []
