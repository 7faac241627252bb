"""What the shop sends, for the tests of the shop's routes: events, signed posts, checkouts."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from engagement.shop_signature import shop_headers
from engagement.web.keys import CLOCK

# A signature is accepted once, and a shop signs each attempt anew: a test that sends the
# same request again (a retry, a replayed event) signs it with a t not used yet for it.
_USED_T: defaultdict[tuple[str, bytes], set[int]] = defaultdict(set)


def event(event_id: str, type_: str = "purchase", *, total: float = 59.9, **extra: Any) -> dict:
    return {
        "id": event_id,
        "type": type_,
        "occurred_at": "2026-11-20T10:00:00+01:00",
        "customer": {"id": "c-42", "name": "Léa Martin", "language": "fr",
                     "timezone": "Europe/Paris"},
        "order": {"id": extra.get("order", "o-1"), "total": total, "currency": "EUR",
                  "items": [{"sku": "TEE-1", "name": "T-shirt", "quantity": 1, "price": total}]},
    }  # fmt: skip


async def post_signed(  # type: ignore[no-untyped-def]
    client, body: dict | bytes, path: str = "/api/v1/events", secret=None
):
    """POSTs ``body`` to ``path`` with the headers a shop sends, signed at the service's
    clock (a second or more earlier when that request was already sent this second)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    now = int(client.server.app[CLOCK].now().timestamp())
    used = _USED_T[(path, raw)]
    at = next(t for t in range(now, now - 290, -1) if t not in used)
    used.add(at)
    headers = shop_headers(secret or client.settings.shop_secret, "POST", path, raw, now=at)
    return await client.post(path, data=raw, headers=headers)


async def customer(client) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    token = client.settings.admin_token
    response = await client.get(
        "/api/v1/customers/c-42", headers={"Authorization": f"Bearer {token}"}
    )
    return response.status, (await response.json())


async def apology_coupon(client, order: str = "o-1") -> str:  # type: ignore[no-untyped-def]
    await post_signed(client, event(f"buy-{order}", order=order))
    cancelled = await post_signed(client, event(f"cancel-{order}", "cancellation", order=order))
    (award,) = (await cancelled.json())["awarded"]
    return award["coupon"]


def checkout(basket: float, order: str | None = None, customer: str = "c-42") -> dict:
    """A checkout's body: the customer paying, the basket, the order (to redeem)."""
    body: dict[str, Any] = {"customer_id": customer, "basket_total": basket}
    return body if order is None else {**body, "order_id": order}
