"""A campaign's message as one customer reads it (README: campaigns): the values a template
may use, written in the message's language, and the one rendering that the dispatcher, the
preview, the test send and the audience's prediction all go through (pure)."""

from __future__ import annotations

from typing import Any

from jinja2 import Template

from engagement.ladder import STAGES
from engagement.nudges.audience import CustomerSnapshot
from engagement.nudges.campaigns import CampaignSpec
from engagement.nudges.templates import MissingData, RenderFailed, new_environment, render
from engagement.rules.model import CouponTemplate
from engagement.wording import format_amount, format_count, format_percent

# A code no coupon can have (real ones are 16 base32 characters, without "-"): what a
# message shows before a real coupon is minted for a customer (the preview, a test send),
# never minted itself, so the shop's checkout refuses it.
SAMPLE_COUPON_CODE = "TEST-NOT-VALID"
# Whom the preview shows a message to when no customer is named: every value present.
SAMPLE_CUSTOMER = CustomerSnapshot(
    id="", stage=STAGES[2], first_name="Camille", points=1250, next_badge="Ambassadeur"
)


class Messages:
    """Renders campaigns' messages, each template compiled once (a dispatcher's batch, an
    audience of thousands): ``text`` raises ``MissingData`` for a customer without a value
    the message needs, ``RenderFailed`` when the message itself fails."""

    def __init__(self) -> None:
        self._environment = new_environment()
        self._compiled: dict[tuple[str, str], Template] = {}

    def text(
        self, key: str, spec: CampaignSpec, customer: CustomerSnapshot, language: str, *,
        coupon: CouponTemplate | None = None, code: str | None = None,
    ) -> str:  # fmt: skip
        """The message of ``spec`` (``key``: which campaign, for the compiled template) in
        ``language`` for ``customer``, with the coupon ``code`` worth ``coupon``."""
        if (key, language) not in self._compiled:
            template = self._environment.from_string(spec.messages[language])
            self._compiled[key, language] = template
        values = template_values(customer, code, language=language, coupon=coupon)
        return render(self._environment, self._compiled[key, language], values)


def skip_reason(problem: MissingData | RenderFailed) -> str:
    """The reason a delivery that could not be rendered is skipped with (and predicted)."""
    kind = "missing_data" if isinstance(problem, MissingData) else "template_error"
    return f"{kind}: {problem}"[:64]


def template_values(
    customer: Any, coupon_code: str | None = None, *, language: str,
    coupon: CouponTemplate | None = None,
) -> dict[str, Any]:  # fmt: skip
    """What a message in ``language`` may use for ``customer``: ``points`` stays a number
    (for comparisons), ``points_text`` is that number with its noun ("1 250 points",
    "1 point"), ``coupon_value`` the coupon's discount as the language writes it ("5 €" /
    "€5", "10 %" / "10%")."""
    return {
        "first_name": customer.first_name, "points": customer.points,
        "points_text": format_count(customer.points, "point", language),
        "stage": customer.stage, "next_badge": customer.next_badge, "coupon_code": coupon_code,
        "coupon_value": coupon_value(coupon, language) if coupon is not None else None,
    }  # fmt: skip


def coupon_value(coupon: CouponTemplate, language: str) -> str:
    if coupon.kind == "percent":
        return format_percent(coupon.value, language)
    return format_amount(coupon.value, language)
