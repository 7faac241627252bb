"""Endpoints about people rather than rewards: personal links, handoffs, erasure."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from aiohttp import web

from engagement.referrals import REFERRAL
from engagement.web.auth import Role, audit, caller, client_address, requires
from engagement.web.community import MAX_INTEGER
from engagement.web.keys import (
    CONVERSATIONS,
    HANDOFFS,
    LINK_VISITS,
    PRIVACY,
    REFERRALS,
    SETTINGS,
)

REFERRAL_PARAMETER = "fusion_ref"


async def follow_link(request: web.Request) -> web.StreamResponse:
    """A customer's personal link: counts the visit, then leads to the shop (with the
    referral code, which the shop hands back in the friend's purchase event). A client
    that opens links faster than ``engagement.web.limits`` allows gets 429."""
    request.app[LINK_VISITS].take(client_address(request))
    code = await request.app[REFERRALS].visit(request.match_info["code"])
    if code is None:
        raise web.HTTPNotFound(reason="unknown link")
    target = request.app[SETTINGS].shop_url
    if code.kind == REFERRAL:
        target = _with_query(target, {REFERRAL_PARAMETER: code.code})
    raise web.HTTPFound(target)


@requires(Role.COMMUNITY_MANAGER)
async def list_handoffs(request: web.Request) -> web.Response:
    status = request.query.get("status", "open")
    if status not in ("open", "closed", "all"):
        raise web.HTTPBadRequest(reason="status must be open, closed or all")
    handoffs = await request.app[HANDOFFS].with_conversations(
        None if status == "all" else status, request.app.get(CONVERSATIONS)
    )
    return web.json_response({"handoffs": handoffs})


@requires(Role.COMMUNITY_MANAGER)
async def count_handoffs(request: web.Request) -> web.Response:
    """How many requests wait for a person (the console's navigation polls it)."""
    return web.json_response({"open": await request.app[HANDOFFS].open_count()})


@requires(Role.COMMUNITY_MANAGER)
async def resume_handoff(request: web.Request) -> web.Response:
    conversations = request.app.get(CONVERSATIONS)
    if conversations is None:
        raise web.HTTPServiceUnavailable(reason="the Rasa server is not configured")
    handoff_id = int(request.match_info["id"])  # digits only (the route's pattern)
    if handoff_id > MAX_INTEGER:
        raise web.HTTPNotFound(reason="unknown handoff")
    handoff = await request.app[HANDOFFS].hand_back(handoff_id, caller(request), conversations)
    await audit(request, "handoff.resume", str(handoff_id))
    return web.json_response(handoff.as_json())


@requires()
async def erase_customer(request: web.Request) -> web.Response:
    """Admin only: erases a customer (their right to erasure, asked outside the chat)."""
    customer_id = request.match_info["id"]
    erased = await request.app[PRIVACY].erase_customer(customer_id, must_exist=True)  # or 404
    # the log keeps proof of the erasure, under the keyed pseudonym every earlier entry
    # about them now carries, not the identifier it erased
    await audit(request, "customer.erase", erased.pseudonym)
    return web.json_response(
        {"customer_id": erased.customer_id, "conversations_queued": list(erased.conversations)}
    )


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))
