"""Who may call what: admin bearer tokens with a role, shop calls signed with HMAC."""

from __future__ import annotations

import hmac
import time
from collections import deque
from collections.abc import Awaitable, Callable
from enum import Enum

from aiohttp import web

from engagement import shop_signature
from engagement.clients import client_address as forwarded_client
from engagement.shop_signature import InvalidSignature
from engagement.web.customer_auth import CUSTOMER, customer_of
from engagement.web.keys import AUDIT, CLOCK, SETTINGS, SHOP_SIGNATURES, SIGN_IN

WHO = "fusion_who"  # the person behind a personal token, else the role's name

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Role(str, Enum):
    ADMIN = "admin"
    COMMUNITY_MANAGER = "community_manager"
    MARKETER = "marketer"
    ASSISTANT = "assistant"  # Rasa and the action server (FUSION_ACTION_TOKEN)


class Unauthenticated(Exception):
    """No valid credentials."""


class TooManyAttempts(Exception):
    """Too many wrong tokens from this address lately: sign-in is refused for a while."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many wrong tokens: try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s


class SignInGuard:
    """Counts wrong bearer tokens per client address: after ``attempts`` of them within
    ``window_s``, that address is refused (429, even with a right token) until the window
    has passed. Per process; nginx's ``limit_req`` in front covers the instances together."""

    def __init__(self, attempts: int = 10, window_s: float = 300.0, clock=time.monotonic) -> None:  # type: ignore[no-untyped-def]
        self._attempts = attempts
        self._window_s = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def check(self, address: str) -> None:
        failures = self._recent(address)
        if len(failures) >= self._attempts:
            raise TooManyAttempts(int(failures[0] + self._window_s - self._clock()) + 1)

    def failed(self, address: str) -> None:
        self._recent(address).append(self._clock())
        if len(self._failures) > 100_000:  # addresses that stopped trying
            for stale in [a for a in self._failures if not self._recent(a)]:
                del self._failures[stale]

    def _recent(self, address: str) -> deque[float]:
        failures = self._failures.setdefault(address, deque())
        while failures and failures[0] <= self._clock() - self._window_s:
            failures.popleft()
        return failures


class Forbidden(Exception):
    """Valid credentials, but not for this endpoint."""


def requires(*roles: Role) -> Callable[[Handler], Handler]:
    """Marks a handler as reserved to ``roles`` (admin is always allowed)."""

    def mark(handler: Handler) -> Handler:
        handler.fusion_roles = frozenset({Role.ADMIN, *roles})  # type: ignore[attr-defined]
        return handler

    return mark


def signed_by_shop(handler: Handler) -> Handler:
    handler.fusion_signed = True  # type: ignore[attr-defined]
    return handler


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    target = getattr(request.match_info, "handler", handler)
    if getattr(target, "fusion_signed", False):
        await check_shop_signature(request)
    if getattr(target, "fusion_customer", False):
        request[CUSTOMER] = customer_of(request)
    roles = getattr(target, "fusion_roles", None)
    if roles is not None:
        role = authenticate(request)
        if role not in roles:
            raise Forbidden(f"the {role.value} role cannot do this")
    return await handler(request)


async def check_shop_signature(request: web.Request) -> None:
    """A shop call's ``Fusion-Signature``: well-formed, made within the time window, right
    for this method, path (with its query, as sent) and body, and never used before (see
    ``engagement.shop_signature``). The body is read only once the header looks right."""
    secret = request.app[SETTINGS].shop_secret
    if not secret:
        raise web.HTTPServiceUnavailable(reason="FUSION_SHOP_SECRET is not configured")
    headers = request.headers.getall(shop_signature.HEADER, [])
    if not headers and "X-Fusion-Signature" in request.headers:
        raise InvalidSignature(
            "X-Fusion-Signature (the body's signature alone) is no longer accepted: send "
            "Fusion-Signature: t=<unix seconds>,v1=<HMAC-SHA256 of <t>.<METHOD>.<path>.<body>>"
        )
    if len(headers) > 1:
        raise InvalidSignature(f"send one {shop_signature.HEADER} header, not {len(headers)}")
    signature = shop_signature.parse(headers[0] if headers else None)
    shop_signature.check_time(signature, request.app[CLOCK].now().timestamp())
    body = await request.read()
    shop_signature.check_mac(secret, signature, request.method, request.raw_path, body)
    await request.app[SHOP_SIGNATURES].claim(signature)


def caller(request: web.Request) -> str:
    """Who made the request, for audit columns: the person behind a personal token
    (FUSION_STAFF_TOKENS), else the role of the shared token."""
    return str(request.get(WHO, "unknown"))


async def audit(request: web.Request, action: str, target: str, **detail: object) -> None:
    """Writes who did ``action`` on ``target`` to the audit log."""
    await request.app[AUDIT].record(caller(request), action, target, **detail)


# The console pages each role may open (the API behind them enforces the same roles).
PAGES = {
    Role.ADMIN: ("dashboard", "rules", "moderation", "handoffs", "customers", "campaigns", "audit"),
    Role.COMMUNITY_MANAGER: ("dashboard", "rules", "moderation", "handoffs", "customers"),
    Role.MARKETER: ("dashboard", "campaigns", "customers"),
    Role.ASSISTANT: (),
}


def authenticate(request: web.Request) -> Role:
    """The role of the request's bearer token, through the sign-in guard. A request with no
    token at all is not a guess: it gets 401 and counts for nothing."""
    if "Authorization" not in request.headers:
        raise Unauthenticated("an admin bearer token is required")
    guard, address = request.app[SIGN_IN], client_address(request)
    guard.check(address)
    try:
        role, who = role_of(request)
    except Unauthenticated:
        guard.failed(address)
        raise
    request[WHO] = who
    return role


def client_address(request: web.Request) -> str:
    """The address of whoever sent the request. Behind a trusted load balancer (which appends
    the address it saw to X-Forwarded-For), the last hop that is not one of ours; otherwise the
    peer itself, whatever the headers claim. Without this, every staff member behind nginx
    would share nginx's address, and one guesser would lock them all out."""
    trusted = request.app[SETTINGS].trusted_proxies
    return forwarded_client(request.remote, request.headers.get("X-Forwarded-For"), trusted)


def role_of(request: web.Request) -> tuple[Role, str]:
    """The role of the bearer token and who holds it: a person for a personal token, the
    role's name for a shared one. Every token is compared, in constant time."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("an admin bearer token is required")
    try:  # aiohttp hands undecodable header bytes on as surrogates ("\udcff")
        given = token.encode("ascii")
    except UnicodeEncodeError:
        raise Unauthenticated("a bearer token is printable ASCII: this one is not") from None
    settings = request.app[SETTINGS]
    shared = {"admin": settings.admin_token, **settings.role_tokens}
    holders = [(token_, (Role(role), role)) for role, token_ in shared.items() if token_]
    holders += [(token_, (Role(role), person))
                for token_, (person, role) in settings.staff_tokens.items()]  # fmt: skip
    found = None
    for configured, holder in holders:
        if hmac.compare_digest(given, configured.encode()):
            found = holder
    if found is None:
        raise Unauthenticated("unknown token")
    return found


__all__ = [
    "PAGES", "InvalidSignature", "Role", "audit", "auth_middleware", "requires", "signed_by_shop"
]
