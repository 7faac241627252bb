"""The admin read API (bearer token with a role)."""

from __future__ import annotations

from aiohttp import web

from engagement.web.auth import Role, requires
from engagement.web.keys import BRAND, CUSTOMER_VIEW

READERS = (Role.COMMUNITY_MANAGER, Role.MARKETER)


@requires(*READERS)
async def get_customer(request: web.Request) -> web.Response:
    return web.json_response(await request.app[CUSTOMER_VIEW].summary(request.match_info["id"]))


@requires(*READERS)
async def get_ledger(request: web.Request) -> web.Response:
    view = request.app[CUSTOMER_VIEW]
    return web.json_response({"entries": await view.ledger(request.match_info["id"])})


@requires(*READERS)
async def get_coupons(request: web.Request) -> web.Response:
    view = request.app[CUSTOMER_VIEW]
    return web.json_response({"coupons": await view.coupons(request.match_info["id"])})


@requires()
async def get_export(request: web.Request) -> web.Response:
    """Admin only: everything kept about one customer, for their access request."""
    return web.json_response(await request.app[CUSTOMER_VIEW].export(request.match_info["id"]))


@requires(Role.COMMUNITY_MANAGER)
async def get_decisions(request: web.Request) -> web.Response:
    view = request.app[CUSTOMER_VIEW]
    return web.json_response({"decisions": await view.decisions(request.match_info["id"])})


@requires(*READERS)
async def get_brand(request: web.Request) -> web.Response:
    return web.json_response(await request.app[BRAND].overview())
