"""Shared fixtures: test settings, a migrated database (SQLite, or PostgreSQL where a folder
asks for both), the model trained once."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.composition import MODELS_DIR, PROJECT_DIR
from bot.training import ensure_model
from engagement.customer_tokens import mint_customer_token
from engagement.settings import Settings
from engagement.storage.database import Database
from engagement.storage.migrate import upgrade
from tests.stores import Stores

TEST_TOKENS = {
    "FUSION_RASA_TOKEN": "rasa-token-for-tests-0123456789",
    "FUSION_ADMIN_TOKEN": "admin-token-for-tests-0123456789",
    "FUSION_ACTION_TOKEN": "action-token-for-tests-0123456789",
    "FUSION_SHOP_SECRET": "shop-secret-for-tests-0123456789",
    "FUSION_CUSTOMER_TOKEN_SECRET": "customer-token-secret-for-tests-0123456789",
    "FUSION_SERVER_SECRET": "server-secret-for-tests-0123456789",
}


def customer_token(customer_id: str, minutes: int = 30) -> str:
    """A customer token as the shop mints them, for the test secret."""
    return mint_customer_token(
        TEST_TOKENS["FUSION_CUSTOMER_TOKEN_SECRET"], customer_id, datetime.now(timezone.utc),
        timedelta(minutes=minutes),
    )  # fmt: skip


def as_customer(customer_id: str) -> dict[str, str]:
    """REST headers that prove ``customer_id`` to Rasa's REST channel."""
    return {"Authorization": f"Bearer {customer_token(customer_id)}"}


@pytest.fixture(scope="session")
def stores() -> Iterator[Stores]:
    """A real PostgreSQL and Redis for the session (started when a test first needs them)."""
    started = Stores.start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def database_kind() -> str:
    """Where a test's engagement data lives; tests/integration and tests/actions run on both."""
    return "sqlite"


@pytest.fixture
def settings(tmp_path: Path, database_kind: str, request: pytest.FixtureRequest) -> Settings:
    env = {**TEST_TOKENS, "FUSION_DATA_DIR": str(tmp_path)}
    if database_kind == "postgresql":
        env["FUSION_DATABASE_URL"] = request.getfixturevalue("stores").new_database()
    return Settings.from_env(env, base_dir=tmp_path)


@pytest.fixture
def migrated_url(settings: Settings) -> str:
    upgrade(settings.database_url)
    return settings.database_url


@pytest.fixture
async def database(migrated_url: str):  # type: ignore[no-untyped-def]
    db = Database.from_url(migrated_url)
    yield db
    await db.dispose()


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model for the current data, trained at most once (cached by a hash of its inputs)."""
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(PROJECT_DIR)}
    return ensure_model(PROJECT_DIR, MODELS_DIR, env)


REPORT_LINES = pytest.StashKey[list[str]]()


@pytest.fixture
def report(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """``report(line)`` prints ``line`` in the summary at the end of the run."""
    lines = request.config.stash.setdefault(REPORT_LINES, [])
    return lines.append


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    lines = config.stash.get(REPORT_LINES, [])
    if lines:
        terminalreporter.section("Fusion measurements")
        for line in lines:
            terminalreporter.write_line(line)


def run_blocking(func, *args):  # type: ignore[no-untyped-def]
    return asyncio.get_running_loop().run_in_executor(None, func, *args)
