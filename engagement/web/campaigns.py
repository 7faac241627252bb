"""The marketer's campaign API (marketer role; admin always allowed)."""

from __future__ import annotations

from aiohttp import web

from engagement.commerce import InvalidField
from engagement.web.auth import Role, caller, requires
from engagement.web.keys import CAMPAIGNS

ACTIONS = ("schedule", "pause", "resume", "archive")


async def _body(request: web.Request) -> object:
    try:
        return await request.json()
    except ValueError:
        raise InvalidField("", "the body is not valid JSON") from None


@requires(Role.MARKETER)
async def create(request: web.Request) -> web.Response:
    campaign = await request.app[CAMPAIGNS].create(await _body(request), caller(request))
    return web.json_response(campaign, status=201)


@requires(Role.MARKETER)
async def listing(request: web.Request) -> web.Response:
    return web.json_response({"campaigns": await request.app[CAMPAIGNS].listing()})


@requires(Role.MARKETER)
async def get(request: web.Request) -> web.Response:
    return web.json_response(await request.app[CAMPAIGNS].get(request.match_info["id"]))


@requires(Role.MARKETER)
async def update(request: web.Request) -> web.Response:
    service = request.app[CAMPAIGNS]
    return web.json_response(await service.update(request.match_info["id"], await _body(request)))


@requires(Role.MARKETER)
async def change(request: web.Request) -> web.Response:
    action = request.match_info["action"]
    if action not in ACTIONS:
        raise web.HTTPNotFound(reason=f"unknown action; one of {', '.join(ACTIONS)}")
    return web.json_response(await request.app[CAMPAIGNS].change(request.match_info["id"], action))


@requires(Role.MARKETER)
async def audience(request: web.Request) -> web.Response:
    return web.json_response(await request.app[CAMPAIGNS].audience(request.match_info["id"]))


@requires(Role.MARKETER)
async def preview(request: web.Request) -> web.Response:
    customer_id = request.query.get("customer_id")
    if not customer_id:
        raise InvalidField("customer_id", "required")
    preview = await request.app[CAMPAIGNS].preview(request.match_info["id"], customer_id)
    return web.json_response(preview)


@requires(Role.MARKETER)
async def results(request: web.Request) -> web.Response:
    return web.json_response(await request.app[CAMPAIGNS].results(request.match_info["id"]))
