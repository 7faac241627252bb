"""Coupon validation and redemption for checkout; redemption is race-safe. A coupon is
looked up by its code and its customer: another customer's coupon is not found, exactly as a
code that does not exist, so checkout requests cannot tell whether a code exists."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from engagement.coupons import Coupon, CouponAlreadyRedeemed, CouponNotFound
from engagement.ports import Clock
from engagement.storage.database import Database
from engagement.storage.tables import coupons


class CouponService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def validate(
        self, code: str, customer_id: str, basket: Decimal
    ) -> tuple[Coupon, Decimal]:
        async with self._db.connect() as conn:
            coupon = await _load(conn, code, customer_id)
        coupon.check_usable(basket, self._clock.now())
        return coupon, coupon.discount_on(basket)

    async def redeem(
        self, code: str, customer_id: str, basket: Decimal, order_id: str
    ) -> tuple[Coupon, Decimal]:
        """Exactly one of concurrent redemptions of a code wins; the others get
        ``CouponAlreadyRedeemed``: the conditional update, not a prior read, decides."""
        now = self._clock.now()
        async with self._db.begin() as conn:
            coupon = await _load(conn, code, customer_id)
            coupon.check_usable(basket, now)
            result = await conn.execute(
                sa.update(coupons)
                .where(
                    coupons.c.code == code,
                    coupons.c.customer_id == customer_id,
                    coupons.c.redeemed_at.is_(None),
                )
                .values(redeemed_at=now, redeemed_order_id=order_id)
            )
            if result.rowcount != 1:
                raise CouponAlreadyRedeemed(f"coupon {code} was already used")
        return coupon, coupon.discount_on(basket)


async def _load(conn, code: str, customer_id: str) -> Coupon:  # type: ignore[no-untyped-def]
    query = sa.select(coupons).where(coupons.c.code == code, coupons.c.customer_id == customer_id)
    row = (await conn.execute(query)).first()
    if row is None:
        raise CouponNotFound(f"no coupon {code}")
    return Coupon(
        code=row.code,
        customer_id=row.customer_id,
        kind=row.kind,
        value=Decimal(row.value),
        min_basket=Decimal(row.min_basket),
        expires_at=row.expires_at,
        redeemed_at=row.redeemed_at,
    )
