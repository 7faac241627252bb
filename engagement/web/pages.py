"""The web pages: the customer's chat (``/chat``) and the staff console (``/admin``).

Both are static files under ``engagement/web/static`` with their libraries vendored by
``scripts/fetch_assets.py``: nothing comes from a CDN. The chat page learns where the Rasa
server is from the one value filled in when it is served. Every page and file goes out
with a Content-Security-Policy that allows scripts from this service only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from engagement.web.keys import SETTINGS

STATIC = Path(__file__).resolve().parent / "static"
RASA_PLACEHOLDER = "__FUSION_RASA_URL__"
LANGUAGE_PLACEHOLDER = "__FUSION_DEFAULT_LANGUAGE__"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_BASE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'"
)


async def chat(request: web.Request) -> web.Response:
    rasa = request.app[SETTINGS].chat_rasa_url
    html = (STATIC / "chat" / "index.html").read_text().replace(RASA_PLACEHOLDER, escape(rasa))
    parts = urlsplit(rasa)
    socket = f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}"
    policy = f"{_BASE_POLICY}; connect-src 'self' {rasa} {socket}"
    return _page(html, policy)  # the shop may embed it in a frame


async def console(request: web.Request) -> web.Response:
    """The console, told the brand's default language before its scripts run (a staff
    member's own choice, kept in their browser, comes first)."""
    language = request.app[SETTINGS].default_language
    html = (STATIC / "admin" / "index.html").read_text().replace(LANGUAGE_PLACEHOLDER, language)
    return _page(html, f"{_BASE_POLICY}; connect-src 'self'; frame-ancestors 'none'")


def _page(html: str, policy: str) -> web.Response:
    return web.Response(
        text=html, content_type="text/html", charset="utf-8",
        headers={"Content-Security-Policy": policy, "X-Content-Type-Options": "nosniff",
                 "Referrer-Policy": "same-origin", "Cache-Control": "no-cache"},
    )  # fmt: skip


@web.middleware
async def static_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    if request.path.startswith("/static/"):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Cache-Control", "public, max-age=300")
    return response


def add_page_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/chat", chat)
    router.add_get("/admin", console)
    router.add_static("/static/", STATIC, follow_symlinks=False)
