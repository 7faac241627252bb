"""Our action server: the same ``/webhook``, ``/health`` and ``/actions`` as ``rasa run actions``.

Differences that matter: actions are instances built with their dependencies (registered
with ``ActionExecutor.register_action``), every webhook call must carry the secret Rasa
sends through ``endpoints.yml`` (401 without it, 403 when wrong), and an error never echoes
the request body.
"""

from __future__ import annotations

import hmac
import json
import logging
import zlib
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web
from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

from engagement.web.observability import Telemetry

log = logging.getLogger(__name__)

EXECUTOR: web.AppKey[ActionExecutor] = web.AppKey("executor", ActionExecutor)
CallHook = Callable[[dict], Awaitable[None]]
ON_CALL: web.AppKey[CallHook] = web.AppKey("on_call")  # type: ignore[arg-type]
TELEMETRY = web.AppKey("telemetry", Telemetry)
MAX_ACTION_CALL_BYTES = 32 * 1024 * 1024

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_action_app(
    actions: Iterable[Action], token: str, on_call: CallHook | None = None,
    telemetry: Telemetry | None = None,
) -> web.Application:  # fmt: skip
    """``on_call`` sees every valid action call first (e.g. to note the channel); its
    failure is logged and never fails the action. ``/metrics`` (outside the action token)
    serves ``telemetry`` (with FUSION_METRICS_TOKEN, or on loopback only: see Telemetry)."""
    if not token:
        raise ValueError("the action server needs FUSION_ACTION_TOKEN")
    executor = ActionExecutor()
    for action in actions:
        executor.register_action(action)
    telemetry = telemetry or Telemetry("actions")
    app = web.Application(
        middlewares=[telemetry.middleware, _token_middleware(token)],
        client_max_size=MAX_ACTION_CALL_BYTES,
    )
    app[EXECUTOR] = executor
    app[TELEMETRY] = telemetry
    if on_call is not None:
        app[ON_CALL] = on_call
    app.router.add_get("/health", _health)
    app.router.add_get("/metrics", telemetry.metrics)
    app.router.add_get("/actions", _actions)
    app.router.add_post("/webhook", _webhook)
    return app


def _token_middleware(token: str):  # type: ignore[no-untyped-def]
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in ("/health", "/metrics"):
            return await handler(request)
        given = request.headers.get("Authorization")
        if not given:
            return web.json_response({"error": "missing action server token"}, status=401)
        # bytes compared in constant time; undecodable ones come back as they were sent
        if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected):
            return web.json_response({"error": "wrong action server token"}, status=403)
        return await handler(request)

    return middleware


async def _health(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _actions(request: web.Request) -> web.Response:
    return web.json_response([{"name": name} for name in request.app[EXECUTOR].actions])


async def _webhook(request: web.Request) -> web.Response:
    body = await request.read()
    try:
        if request.headers.get("Content-Encoding") == "deflate":
            body = zlib.decompress(body)
        action_call = json.loads(body)
    except (ValueError, zlib.error):
        return web.json_response({"error": "the body is not a JSON action call"}, status=400)
    if not isinstance(action_call, dict) or not isinstance(action_call.get("tracker"), dict):
        return web.json_response({"error": "the action call has no tracker"}, status=400)
    action_name = action_call.get("next_action")
    hook = request.app.get(ON_CALL)
    if hook is not None:
        try:
            await hook(action_call)
        except Exception:
            log.exception("the action-call hook failed for %s", action_name)
    result, outcome = await _run(request.app[EXECUTOR], action_call, action_name)
    request.app[TELEMETRY].actions.labels(str(action_name), outcome).inc()
    return result


async def _run(
    executor: ActionExecutor, action_call: dict, action_name: object
) -> tuple[web.Response, str]:
    try:
        result = await executor.run(action_call)
    except ActionExecutionRejection as exc:
        body = {"error": exc.message, "action_name": exc.action_name}
        return web.json_response(body, status=400), "rejected"
    except ActionNotFoundException as exc:
        body = {"error": exc.message, "action_name": exc.action_name}
        return web.json_response(body, status=404), "unknown"
    except Exception:
        log.exception("action %s failed", action_name)
        body = {"error": "the action failed", "action_name": action_name}
        return web.json_response(body, status=500), "failed"
    return web.json_response(result), "ok"
