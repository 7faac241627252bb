"""One middleware maps domain errors to HTTP answers; nothing echoes the request body."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from engagement.commerce import InvalidField, MalformedBody
from engagement.coupons import (
    BasketTooSmall,
    CouponAlreadyRedeemed,
    CouponExpired,
    CouponNotFound,
)
from engagement.ports import ConversationsUnavailable
from engagement.rewards import EventConflict
from engagement.rules import RulesFileInvalid
from engagement.services.campaign_previews import NoConversationSide
from engagement.services.campaigns import CampaignStateError, UnknownCampaign
from engagement.services.contributions import (
    ModerationRefused,
    UnknownContribution,
    VoteRefused,
)
from engagement.services.customer_view import UnknownCustomer
from engagement.services.handoffs import HandoffClosed, UnknownHandoff
from engagement.services.rules_book import NoRulesPublished, UnknownVersion
from engagement.shop_signature import InvalidSignature
from engagement.storage.database import is_unavailable
from engagement.web.auth import Forbidden, TooManyAttempts, Unauthenticated
from engagement.web.customer_auth import CustomerUnauthenticated
from engagement.web.observability import route_of

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

STATUS: dict[type[Exception], int] = {
    MalformedBody: 400,
    InvalidSignature: 401,
    Unauthenticated: 401,
    CustomerUnauthenticated: 401,
    Forbidden: 403,
    CouponNotFound: 404,
    UnknownCustomer: 404,
    UnknownContribution: 404,
    UnknownHandoff: 404,
    UnknownCampaign: 404,
    UnknownVersion: 404,
    CampaignStateError: 409,
    HandoffClosed: 409,
    ModerationRefused: 409,
    VoteRefused: 409,
    CouponAlreadyRedeemed: 409,
    EventConflict: 409,
    CouponExpired: 410,
    BasketTooSmall: 422,
    NoRulesPublished: 503,
    NoConversationSide: 503,
    ConversationsUnavailable: 502,
}


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        kept = {k: v for k, v in exc.headers.items() if k.lower() in ("allow", "retry-after")}
        return web.json_response({"error": exc.reason}, status=exc.status, headers=kept)
    except InvalidField as exc:
        body = {"error": "invalid field", "field": exc.field, "reason": exc.reason}
        return web.json_response(body, status=422)
    except RulesFileInvalid as exc:
        problems = [{"line": p.line, "message": p.message} for p in exc.problems]
        return web.json_response({"error": "invalid rules", "problems": problems}, status=422)
    except TooManyAttempts as exc:
        return web.json_response(
            {"error": str(exc)}, status=429, headers={"Retry-After": str(exc.retry_after_s)}
        )
    except tuple(STATUS) as exc:
        return web.json_response({"error": str(exc)}, status=STATUS[type(exc)])
    except Exception as exc:
        if is_unavailable(exc):
            log.warning("database unavailable on %s %s: %r", request.method, route_of(request), exc)
            return web.json_response(
                {"error": "the database is unavailable, try again shortly"}, status=503,
                headers={"Retry-After": "5"},
            )  # fmt: skip
        log.exception("unhandled error on %s %s", request.method, route_of(request))
        return web.json_response({"error": "internal error"}, status=500)
