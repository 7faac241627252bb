"""What community managers do over HTTP: the rules (validate, publish, history) and the
moderation queue; ideas are readable by marketers too."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from engagement.commerce import InvalidField, MalformedBody
from engagement.dry_run import DryRunReport, Replay, replayed_event
from engagement.rules import parse_rules
from engagement.services.backtest import backtest
from engagement.web.auth import Role, audit, caller, requires
from engagement.web.keys import CLOCK, CONTRIBUTIONS, DATABASE, RULES_BOOK

MAX_RULES_BYTES = 256 * 1024
MAX_SAMPLE_EVENTS = 1000
MAX_BACKTEST_DAYS = 365
MAX_INTEGER = 2**31 - 1


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
    await audit(request, "rules.publish", f"version {version}")
    return web.json_response({"version": version}, status=201)


@requires(Role.COMMUNITY_MANAGER)
async def rules_version(request: web.Request) -> web.Response:
    number = _integer(request.match_info["version"], "version")
    return web.json_response(await request.app[RULES_BOOK].version(number))


@requires(Role.COMMUNITY_MANAGER)
async def roll_back_rules(request: web.Request) -> web.Response:
    body = await _json(request)
    number = _integer(body.get("version"), "version")
    version = await request.app[RULES_BOOK].roll_back(number, caller(request))
    await audit(request, "rules.rollback", f"version {version}", restored=number)
    return web.json_response({"version": version, "restored": number}, status=201)


@requires(Role.COMMUNITY_MANAGER)
async def dry_run_rules(request: web.Request) -> web.Response:
    """What a rules file would award over sample events (commerce events as the shop
    sends them, or conversation events), replayed from an empty store; nothing is written."""
    body = await _json(request)
    rules = parse_rules(_text(body, "rules"))
    events = body.get("events")
    if not isinstance(events, list) or not 0 < len(events) <= MAX_SAMPLE_EVENTS:
        raise InvalidField("events", f"must be a list of 1 to {MAX_SAMPLE_EVENTS} events")
    replay = Replay(rules)
    for index, event in enumerate(events):
        try:
            if not isinstance(event, dict):
                raise ValueError("must be an object")
            replay.feed(replayed_event(event))
        except InvalidField as exc:
            raise InvalidField(f"events[{index}].{exc.field}", exc.reason) from None
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidField(f"events[{index}]", f"not an event: {exc}") from None
    return web.json_response(report_json(replay.report))


@requires(Role.COMMUNITY_MANAGER)
async def backtest_rules(request: web.Request) -> web.Response:
    """A candidate rules file and the rules in force, over the events stored these last days."""
    body = await _json(request)
    rules = parse_rules(_text(body, "rules"))
    days = _integer(body.get("days", 30), "days")
    if not 1 <= days <= MAX_BACKTEST_DAYS:
        raise InvalidField("days", f"must be between 1 and {MAX_BACKTEST_DAYS}")
    book = request.app[RULES_BOOK]
    since = request.app[CLOCK].now() - timedelta(days=days)
    result = await backtest(request.app[DATABASE], book, rules, since)
    return web.json_response({
        "since": result.since.isoformat(), "days": days,
        "version_in_force": result.version_in_force,
        "candidate": report_json(result.candidate), "in_force": report_json(result.in_force),
    })  # fmt: skip


def report_json(report: DryRunReport) -> dict[str, Any]:
    rules = sorted(set(report.points) | set(report.coupons) | set(report.badges))
    return {
        "events": report.events, "customers": len(report.customers),
        "outcomes": dict(report.outcomes),
        "by_rule": [{"rule": rule, "points": report.points[rule],
                     "coupons": report.coupons[rule], "badges": report.badges[rule]}
                    for rule in rules],
        "points": sum(report.points.values()),
        "points_liability": f"{report.points_liability:.2f}",
        "coupons": sum(report.coupons.values()), "coupon_cost": f"{report.coupon_cost:.2f}",
    }  # fmt: skip


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise MalformedBody("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise MalformedBody("the body must be a JSON object")
    return body


def _text(body: dict[str, Any], field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str) or len(value.encode()) > MAX_RULES_BYTES:
        raise InvalidField(field, "must be the rules file as text, at most 256 KiB")
    return value


def _integer(value: object, field: str) -> int:
    """A whole number that fits the database's integer columns (PostgreSQL's 32 bits)."""
    if isinstance(value, bool):
        raise InvalidField(field, "must be a whole number")
    try:
        number = int(str(value))
    except ValueError:
        raise InvalidField(field, "must be a whole number") from None
    if not -MAX_INTEGER <= number <= MAX_INTEGER:
        raise InvalidField(field, f"must be at most {MAX_INTEGER} in size")
    return number


@requires(Role.COMMUNITY_MANAGER, Role.MARKETER)
async def rules_versions(request: web.Request) -> web.Response:
    return web.json_response({"versions": await request.app[RULES_BOOK].versions()})


@requires(Role.COMMUNITY_MANAGER, Role.MARKETER)
async def badge_names(request: web.Request) -> web.Response:
    return web.json_response({"badges": await request.app[RULES_BOOK].badge_names()})


@requires(Role.COMMUNITY_MANAGER)
async def moderation_queue(request: web.Request) -> web.Response:
    status = request.query.get("status", "pending")
    queue = await request.app[CONTRIBUTIONS].queue(status, request.query.get("kind"))
    return web.json_response({"contributions": queue})


@requires(Role.COMMUNITY_MANAGER)
async def moderate(request: web.Request) -> web.Response:
    body = await _json(request)
    if not isinstance(body.get("decision"), str):
        raise InvalidField("decision", "is required: approve, reject or ship")
    note = body.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > 500):
        raise InvalidField("note", "must be text of at most 500 characters")
    done = await request.app[CONTRIBUTIONS].moderate(
        request.match_info["id"], body["decision"], caller(request), note
    )
    await audit(request, f"contribution.{body['decision']}", done.id, status=done.status)
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
