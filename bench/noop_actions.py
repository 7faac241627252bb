"""The P2 baseline's action server: answers every action with nothing (a session start
with the bare session events), so Rasa's own cost is all that is left to measure.

``python -m bench.noop_actions PORT``
"""

from __future__ import annotations

import sys

from aiohttp import web

SESSION_START = [{"event": "session_started"}, {"event": "action", "name": "action_listen"}]


async def webhook(request: web.Request) -> web.Response:
    call = await request.json()
    events = SESSION_START if call.get("next_action") == "action_session_start" else []
    return web.json_response({"events": events, "responses": []})


async def health(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def app() -> web.Application:
    application = web.Application()
    application.router.add_post("/webhook", webhook)
    application.router.add_get("/health", health)
    return application


if __name__ == "__main__":
    web.run_app(app(), host="127.0.0.1", port=int(sys.argv[1]), print=None)
