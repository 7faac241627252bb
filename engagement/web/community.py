"""What community managers do over HTTP: the rules (validate, publish, history) and the
moderation queue; ideas are readable by marketers too."""

from __future__ import annotations

from aiohttp import web

from engagement.commerce import InvalidField, MalformedBody
from engagement.rules import parse_rules
from engagement.web.auth import Role, caller, requires
from engagement.web.keys import CONTRIBUTIONS, RULES_BOOK

MAX_RULES_BYTES = 256 * 1024


async def _rules_text(request: web.Request) -> str:
    raw = await request.read()
    if len(raw) > MAX_RULES_BYTES:
        raise MalformedBody("the rules file is larger than 256 KiB")
    try:
        return raw.decode()
    except UnicodeDecodeError:
        raise MalformedBody("the rules file must be UTF-8 text") from None


@requires(Role.COMMUNITY_MANAGER)
async def validate_rules(request: web.Request) -> web.Response:
    rules = parse_rules(await _rules_text(request))
    return web.json_response(
        {"valid": True, "rules": len(rules.rules), "badges": len(rules.badges)}
    )


@requires(Role.COMMUNITY_MANAGER)
async def publish_rules(request: web.Request) -> web.Response:
    version = await request.app[RULES_BOOK].publish(await _rules_text(request), caller(request))
    return web.json_response({"version": version}, status=201)


@requires(Role.COMMUNITY_MANAGER, Role.MARKETER)
async def rules_versions(request: web.Request) -> web.Response:
    return web.json_response({"versions": await request.app[RULES_BOOK].versions()})


@requires(Role.COMMUNITY_MANAGER)
async def moderation_queue(request: web.Request) -> web.Response:
    status = request.query.get("status", "pending")
    queue = await request.app[CONTRIBUTIONS].queue(status, request.query.get("kind"))
    return web.json_response({"contributions": queue})


@requires(Role.COMMUNITY_MANAGER)
async def moderate(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except ValueError:
        raise MalformedBody("the body is not valid JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("decision"), str):
        raise InvalidField("decision", "is required: approve, reject or ship")
    note = body.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > 500):
        raise InvalidField("note", "must be text of at most 500 characters")
    done = await request.app[CONTRIBUTIONS].moderate(
        request.match_info["id"], body["decision"], caller(request), note
    )
    awarded = [] if done.recorded is None else [
        {"rule": a.rule_id, "points": a.points, "badge": a.badge, "coupon": a.coupon_code}
        for a in done.recorded.awards if a.outcome == "awarded"
    ]  # fmt: skip
    return web.json_response(
        {"id": done.id, "status": done.status, "awarded": awarded,
         "points_reversed": done.points_reversed}
    )  # fmt: skip


@requires(Role.COMMUNITY_MANAGER, Role.MARKETER)
async def best_ideas(request: web.Request) -> web.Response:
    return web.json_response({"ideas": await request.app[CONTRIBUTIONS].best_ideas()})
