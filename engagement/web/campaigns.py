"""The marketer's campaign API (marketer role; admin always allowed)."""

from __future__ import annotations

from datetime import datetime, timezone

from aiohttp import web

from engagement.commerce import InvalidField, MalformedBody
from engagement.web.auth import Role, audit, caller, requires
from engagement.web.keys import CAMPAIGN_PREVIEWS, CAMPAIGN_RESULTS, CAMPAIGNS, NUDGES, SCHEDULER

ACTIONS = ("schedule", "pause", "resume", "archive")


async def _body(request: web.Request) -> object:
    try:
        return await request.json()
    except ValueError:
        raise MalformedBody("the body is not valid JSON") from None


@requires(Role.MARKETER)
async def create(request: web.Request) -> web.Response:
    campaign = await request.app[CAMPAIGNS].create(await _body(request), caller(request))
    await audit(request, "campaign.create", campaign["id"], name=campaign["name"])
    return web.json_response(campaign, status=201)


@requires(Role.MARKETER)
async def listing(request: web.Request) -> web.Response:
    return web.json_response(await request.app[CAMPAIGNS].listing())


@requires(Role.MARKETER)
async def get(request: web.Request) -> web.Response:
    return web.json_response(await request.app[CAMPAIGNS].get(request.match_info["id"]))


@requires(Role.MARKETER)
async def update(request: web.Request) -> web.Response:
    campaign = await request.app[CAMPAIGNS].update(request.match_info["id"], await _body(request))
    await audit(request, "campaign.update", campaign["id"], name=campaign["name"])
    return web.json_response(campaign)


@requires(Role.MARKETER)
async def change(request: web.Request) -> web.Response:
    action = request.match_info["action"]  # one of ACTIONS: the route admits no other
    campaign = await request.app[CAMPAIGNS].change(request.match_info["id"], action)
    await audit(request, f"campaign.{action}", campaign["id"], name=campaign["name"],
                next_run_at=campaign.get("next_run_at"))  # fmt: skip
    return web.json_response(campaign)


@requires(Role.MARKETER)
async def audience(request: web.Request) -> web.Response:
    return web.json_response(await request.app[CAMPAIGNS].audience(request.match_info["id"]))


@requires(Role.MARKETER)
async def draft_audience(request: web.Request) -> web.Response:
    """The audience of a campaign being written, nothing saved (the form's live size)."""
    service = request.app[CAMPAIGNS]
    return web.json_response(await service.audience_of(await service.parse(await _body(request))))


@requires(Role.MARKETER)
async def draft_preview(request: web.Request) -> web.Response:
    """``{"campaign": spec, "customer_id": optional}``: the messages as a customer reads them
    (sample values without a customer)."""
    body = await _body(request)
    if not isinstance(body, dict):
        raise InvalidField("", "must be an object with the campaign")
    customer_id = body.get("customer_id") or None
    if customer_id is not None and not isinstance(customer_id, str):
        raise InvalidField("customer_id", "must be text")
    preview = await request.app[CAMPAIGN_PREVIEWS].draft(body.get("campaign"), customer_id)
    return web.json_response(preview)


@requires(Role.MARKETER)
async def preview(request: web.Request) -> web.Response:
    """``?customer_id=…`` optional: without it, the message with sample values."""
    customer_id = request.query.get("customer_id") or None
    previews = request.app[CAMPAIGN_PREVIEWS]
    return web.json_response(await previews.preview(request.match_info["id"], customer_id))


@requires(Role.MARKETER)
async def results(request: web.Request) -> web.Response:
    results = await request.app[CAMPAIGN_RESULTS].results(request.match_info["id"])
    return web.json_response(results)


@requires(Role.MARKETER)
async def test_send(request: web.Request) -> web.Response:
    """Sends the message to one customer now (consent, caps and quiet hours aside): the
    marketer sees it as the customer will; nothing is counted in the results."""
    body = await _body(request)
    customer_id = body.get("customer_id") if isinstance(body, dict) else None
    if not isinstance(customer_id, str) or not customer_id:
        raise InvalidField("customer_id", "required")
    campaign_id = request.match_info["id"]
    sent = await request.app[CAMPAIGN_PREVIEWS].test_send(campaign_id, customer_id)
    await audit(request, "campaign.test_send", campaign_id, customer_id=customer_id)
    return web.json_response(sent)


@requires(Role.ASSISTANT)
async def came_back(request: web.Request) -> web.Response:
    """The socket.io channel says a customer reconnected: what waited is sent now."""
    if NUDGES not in request.app:
        raise web.HTTPServiceUnavailable(reason="nudges need the Rasa server")
    due = await request.app[NUDGES].came_back(request.match_info["sender"])
    if due:
        job = request.app[SCHEDULER].get_job("dispatch_nudges")
        if job is not None:
            job.modify(next_run_time=datetime.now(timezone.utc))
    return web.json_response({"due": due})
