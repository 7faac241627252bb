"""Coupons at checkout: what makes a code usable, as errors a checkout can act on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


class CouponError(Exception):
    """A coupon cannot be used; the subclass says why."""


class CouponNotFound(CouponError):
    pass


class CouponExpired(CouponError):
    pass


class CouponAlreadyRedeemed(CouponError):
    pass


class BasketTooSmall(CouponError):
    pass


@dataclass(frozen=True)
class Coupon:
    code: str
    customer_id: str
    kind: str
    value: Decimal
    min_basket: Decimal
    expires_at: datetime
    redeemed_at: datetime | None

    def discount_on(self, basket: Decimal) -> Decimal:
        if self.kind == "percent":
            return (basket * self.value / 100).quantize(Decimal("0.01"))
        return min(self.value, basket)

    def check_usable(self, basket: Decimal, now: datetime) -> None:
        if self.redeemed_at is not None:
            raise CouponAlreadyRedeemed(f"coupon {self.code} was already used")
        if _aware(self.expires_at) <= now:
            raise CouponExpired(f"coupon {self.code} expired")
        if basket < self.min_basket:
            raise BasketTooSmall(f"coupon {self.code} needs a basket of {self.min_basket}")


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; we only ever store UTC
    from datetime import timezone

    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
