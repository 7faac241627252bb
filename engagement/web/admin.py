"""The admin read API (bearer token with a role)."""

from __future__ import annotations

from aiohttp import web

from engagement.commerce import InvalidField
from engagement.services.customer_search import MAX_QUERY_LENGTH, SORTS
from engagement.web.auth import PAGES, Role, authenticate, caller, requires
from engagement.web.keys import (
    AUDIT,
    BRAND,
    CONVERSATIONS,
    CUSTOMER_SEARCH,
    CUSTOMER_VIEW,
    DASHBOARD,
    SETTINGS,
)

READERS = (Role.COMMUNITY_MANAGER, Role.MARKETER)
MAX_PAGE = 1_000_000


@requires(*READERS)
async def list_customers(request: web.Request) -> web.Response:
    """?query= (part of an id, name or e-mail, any case), ?sort=last_activity|stage|points,
    ?order=desc|asc, ?page= (from 1)."""
    query = request.query.get("query", "").strip()
    if len(query) > MAX_QUERY_LENGTH or not query.isprintable():  # no NUL, no lone surrogate
        raise InvalidField("query", f"must be printable text of at most {MAX_QUERY_LENGTH} "
                           "characters")  # fmt: skip
    sort = request.query.get("sort", SORTS[0])
    if sort not in SORTS:
        raise InvalidField("sort", f"must be one of {', '.join(SORTS)}")
    order = request.query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise InvalidField("order", "must be asc or desc")
    page = _number(request.query.get("page", "1"), "page")
    if page > MAX_PAGE:
        raise InvalidField("page", f"must be at most {MAX_PAGE}")
    found = await request.app[CUSTOMER_SEARCH].page(query, sort, order == "desc", page)
    return web.json_response(found)


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
    """Admin only: everything kept about one customer, for their access request, with their
    conversations' events as the conversation side stores them."""
    export = await request.app[CUSTOMER_VIEW].export(request.match_info["id"])
    conversations = request.app.get(CONVERSATIONS)
    if conversations is not None:
        export["conversation_events"] = await conversations.history(export["conversations"])
    return web.json_response(export)


@requires(Role.COMMUNITY_MANAGER)
async def get_decisions(request: web.Request) -> web.Response:
    view = request.app[CUSTOMER_VIEW]
    return web.json_response({"decisions": await view.decisions(request.match_info["id"])})


@requires(*READERS)
async def get_brand(request: web.Request) -> web.Response:
    return web.json_response(await request.app[BRAND].overview())


async def me(request: web.Request) -> web.Response:
    """The role of the token, the console pages it opens (the console's sign-in) and the
    parts of a page it may read, named after the route that fills them: the page leaves out
    a part the role cannot read instead of showing the API's 403 in it. ``language``: the
    brand's default (FUSION_DEFAULT_LANGUAGE), the console's until staff choose theirs."""
    role = authenticate(request)
    sections = [name for name, route in SECTIONS.items() if role in route.fusion_roles]  # type: ignore[attr-defined]
    return web.json_response({"role": role.value, "name": caller(request),
                              "pages": list(PAGES[role]), "sections": sections,
                              "language": request.app[SETTINGS].default_language})  # fmt: skip


SECTIONS = {"decisions": get_decisions}


@requires(*READERS)
async def get_dashboard(request: web.Request) -> web.Response:
    weeks = _number(request.query.get("weeks", "12"), "weeks")
    return web.json_response(await request.app[DASHBOARD].overview(weeks))


@requires()
async def get_audit(request: web.Request) -> web.Response:
    limit = _number(request.query.get("limit", "200"), "limit")
    entries = await request.app[AUDIT].entries(limit, request.query.get("action"))
    return web.json_response({"entries": entries})


def _number(raw: str, field: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise InvalidField(field, "must be a positive whole number")
    return int(raw)
