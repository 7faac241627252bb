"""The engagement service's aiohttp application, built by ``create_app(settings)``."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from engagement.settings import Settings
from engagement.storage.database import Database
from engagement.web.errors import error_middleware
from engagement.web.health import health
from engagement.web.keys import DATABASE, SETTINGS

MAX_BODY_BYTES = 1024 * 1024


def create_app(settings: Settings, *, database: Database | None = None) -> web.Application:
    """A fresh application; ``database`` lets a caller share an engine it owns."""
    app = web.Application(middlewares=[error_middleware], client_max_size=MAX_BODY_BYTES)
    app[SETTINGS] = settings
    app.cleanup_ctx.append(_database_ctx(settings, database))
    app.router.add_get("/health", health)
    return app


def _database_ctx(settings: Settings, given: Database | None):  # type: ignore[no-untyped-def]
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        database = given or Database.from_url(settings.database_url)
        app[DATABASE] = database
        yield
        if given is None:
            await database.dispose()

    return ctx
