"""Events and rules shared by the rewards integration tests."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from engagement.commerce import COMMERCE_EVENT_TYPES, parse_commerce_event
from engagement.rewards import IncomingEvent

RULES = """
version: 1
badges:
  first_purchase: {fr: "Premier achat", en: "First purchase"}
coupons:
  apology_10: {percent: 10, valid_days: 30, min_basket: 20}
rules:
  - id: purchase_points
    on: purchase
    then: {points: 50}
  - id: first_purchase_badge
    on: purchase
    if:
      - customer.purchases: {eq: 1}
    then: {badge: first_purchase}
  - id: big_basket_bonus
    on: purchase
    if:
      - event.order.total: {gte: 100}
    then: {points: 20}
    limit: {count: 1, per: month}
  - id: review_points
    on: review
    then: {points: 10}
    limit: {count: 3, per: week}
    budget: {points: 500, per: month}
  - id: cancellation_apology
    on: cancellation
    then: {coupon: apology_10, fusion: -4}
    budget: {coupons: 10, per: month}
"""

START = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def generated_events(count: int, customers: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    events = []
    for number in range(count):
        customer = f"c-{rng.randrange(customers)}"
        kind = rng.choices(["purchase", "review", "cancellation", "delivery"], [5, 3, 1, 2])[0]
        total = round(rng.uniform(10, 200), 2)
        events.append(
            {
                "id": f"e-{number}",
                "type": kind,
                "customer_id": customer,
                "occurred_at": (START + timedelta(minutes=number)).isoformat(),
                "order_id": f"o-{number}",
                "total": total,
            }
        )
    return events


def incoming(data: dict) -> IncomingEvent:
    """A compact test event as the service receives it (shop events as real signed bodies)."""
    total = Decimal(str(data["total"]))
    if data["type"] in COMMERCE_EVENT_TYPES:
        body = {
            "id": data["id"], "type": data["type"], "occurred_at": data["occurred_at"],
            "customer": {"id": data["customer_id"]},
            "order": {"id": data["order_id"], "total": float(total), "currency": "EUR",
                      "items": [{"sku": "SKU-1", "name": "Item", "quantity": 1,
                                 "price": float(total)}]},
        }  # fmt: skip
        return IncomingEvent.from_commerce(parse_commerce_event(json.dumps(body).encode()), body)
    return IncomingEvent(
        id=data["id"],
        type=data["type"],
        customer_id=data["customer_id"],
        occurred_at=datetime.fromisoformat(data["occurred_at"]),
        source="conversation",
        payload=data,
    )


def write_events(path: Path, events: list[dict]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


def read_incoming(path: Path) -> Iterator[IncomingEvent]:
    for line in path.read_text().splitlines():
        yield incoming(json.loads(line))
