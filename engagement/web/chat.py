"""What the chat page asks of the engagement service for a signed-in customer."""

from __future__ import annotations

from aiohttp import web

from engagement.web.customer_auth import CUSTOMER, for_customer
from engagement.web.keys import CHAT_HISTORY


@for_customer
async def chat_history(request: web.Request) -> web.Response:
    """The conversation of the customer the token proves, and nobody else's."""
    history = request.app.get(CHAT_HISTORY)
    if history is None:
        raise web.HTTPServiceUnavailable(reason="the Rasa server is not configured")
    customer = request[CUSTOMER]
    messages = await history.of(customer)
    return web.json_response(
        {"conversation": customer, "messages": messages}, headers={"Cache-Control": "no-store"}
    )
