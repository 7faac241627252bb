"""``GET /health``: 200 once the database answers, 503 otherwise."""

from __future__ import annotations

from aiohttp import web

from engagement.web.keys import DATABASE


async def health(request: web.Request) -> web.Response:
    database_ok = await request.app[DATABASE].ping()
    body = {"status": "ok" if database_ok else "unavailable", "database": database_ok}
    return web.json_response(body, status=200 if database_ok else 503)
