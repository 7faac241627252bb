"""The real aiohttp app for a test: built by ``create_app`` with the shipped reward rules
published, served by aiohttp's test server; and the admin's headers for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.composition import DEFAULT_RULES
from engagement.settings import Settings
from engagement.web.app import create_app
from engagement.web.keys import RULES_BOOK


@asynccontextmanager
async def served(settings: Settings, **parts: Any) -> AsyncIterator[TestClient]:
    """``parts``: what ``create_app`` takes besides the settings (database, clock…)."""
    app = create_app(settings, **parts)
    await app[RULES_BOOK].publish(DEFAULT_RULES.read_text(), "tests")
    async with TestClient(TestServer(app)) as client:
        client.settings = settings  # type: ignore[attr-defined]
        yield client


def admin(client: TestClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.settings.admin_token}"}  # type: ignore[attr-defined]
