"""Routes a signed-in customer calls with the customer token the shop minted for them
(README: security model), as ``Authorization: Bearer <customer token>``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from engagement.customer_tokens import InvalidCustomerToken, verify_customer_token
from engagement.web.keys import CLOCK, SETTINGS

CUSTOMER = "fusion_customer"  # the request's key for the customer its token proves

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class CustomerUnauthenticated(Exception):
    """No customer token, or one that proves nobody (401)."""


def for_customer(handler: Handler) -> Handler:
    """Marks a handler as a customer's: the auth middleware puts who in ``request[CUSTOMER]``."""
    handler.fusion_customer = True  # type: ignore[attr-defined]
    return handler


def customer_of(request: web.Request) -> str:
    secret = request.app[SETTINGS].customer_token_secret
    if not secret:
        raise web.HTTPServiceUnavailable(reason="FUSION_CUSTOMER_TOKEN_SECRET is not configured")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise CustomerUnauthenticated("send the customer token: Authorization: Bearer <token>")
    try:
        return verify_customer_token(secret, token.strip(), request.app[CLOCK].now())
    except InvalidCustomerToken as exc:
        raise CustomerUnauthenticated(str(exc)) from None
