"""``GET /health``: 200 once the database answers and the scheduler runs, 503 otherwise."""

from __future__ import annotations

from aiohttp import web

from engagement.web.keys import DATABASE, SCHEDULER


async def health(request: web.Request) -> web.Response:
    database_ok = await request.app[DATABASE].ping()
    scheduler_ok = bool(request.app[SCHEDULER].running)
    healthy = database_ok and scheduler_ok
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": database_ok,
        "scheduler": scheduler_ok,
    }
    return web.json_response(body, status=200 if healthy else 503)
