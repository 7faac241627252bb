"""Shared fixtures: test settings, a migrated SQLite database, the model trained once."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from bot.composition import MODELS_DIR, PROJECT_DIR
from bot.training import ensure_model
from engagement.settings import Settings
from engagement.storage.database import Database
from engagement.storage.migrate import upgrade

TEST_TOKENS = {
    "FUSION_RASA_TOKEN": "rasa-token-for-tests-0123456789",
    "FUSION_ADMIN_TOKEN": "admin-token-for-tests-0123456789",
    "FUSION_ACTION_TOKEN": "action-token-for-tests-0123456789",
    "FUSION_SHOP_SECRET": "shop-secret-for-tests-0123456789",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({**TEST_TOKENS, "FUSION_DATA_DIR": str(tmp_path)}, base_dir=tmp_path)


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
