"""The shop's endpoints: commerce events, coupon validation and redemption, each request
signed for what it does (``Fusion-Signature``, checked by ``auth.check_shop_signature``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from engagement.commerce import (
    InvalidField,
    load_json_object,
    parse_amount,
    parse_commerce_event,
    parse_identifier,
)
from engagement.rewards import IncomingEvent
from engagement.web.auth import signed_by_shop
from engagement.web.keys import COUPONS, REWARDS


@signed_by_shop
async def post_event(request: web.Request) -> web.Response:
    data = load_json_object(await request.read())
    event = parse_commerce_event(data)
    recorded = await request.app[REWARDS].record_event(IncomingEvent.from_commerce(event, data))
    awarded = [a for a in recorded.awards if a.outcome == "awarded"]
    return web.json_response(
        {
            "event_id": recorded.event_id,
            "replay": recorded.replay,
            "balance": recorded.balance,
            "awarded": [
                {"rule": a.rule_id, "points": a.points, "badge": a.badge, "coupon": a.coupon_code}
                for a in awarded
            ],
        },
        status=200 if recorded.replay else 201,
    )


@signed_by_shop
async def validate_coupon(request: web.Request) -> web.Response:
    code, customer_id, basket, _ = await _checkout_input(request, needs_order=False)
    coupon, discount = await request.app[COUPONS].validate(code, customer_id, basket)
    return web.json_response(_coupon_answer(coupon.code, coupon.customer_id, discount))


@signed_by_shop
async def redeem_coupon(request: web.Request) -> web.Response:
    code, customer_id, basket, order_id = await _checkout_input(request, needs_order=True)
    coupon, discount = await request.app[COUPONS].redeem(code, customer_id, basket, order_id)
    return web.json_response(
        {**_coupon_answer(coupon.code, coupon.customer_id, discount), "redeemed": True}
    )


def _coupon_answer(code: str, customer_id: str, discount: Decimal) -> dict[str, Any]:
    return {"code": code, "customer_id": customer_id, "discount": str(discount)}


async def _checkout_input(
    request: web.Request, *, needs_order: bool
) -> tuple[str, str, Decimal, str]:
    """The coupon code (in the path), the customer at checkout, the basket and the order.
    The coupon must be that customer's: the signature covers both the path and the body."""
    data = load_json_object(await request.read())
    customer_id = parse_identifier(data.get("customer_id"), "customer_id")
    basket = parse_amount(data.get("basket_total"), "basket_total")
    order_id = parse_identifier(data.get("order_id"), "order_id") if needs_order else ""
    code = request.match_info["code"].strip().upper()
    if not code.isalnum() or len(code) > 32:
        raise InvalidField("code", "is not a coupon code")
    return code, customer_id, basket, order_id
