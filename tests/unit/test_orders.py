"""Order resolution: the customer's own orders, however they write them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engagement.orders import KnownOrder, resolve_order

NOW = datetime(2026, 12, 7, 12, tzinfo=timezone.utc)
LAMP = KnownOrder("A-70002", NOW - timedelta(days=20), ("Lampe de chevet Nuit",))
SOFA = KnownOrder("CMD-70009", NOW - timedelta(days=3), ("Canapé Oslo 3 places",))
SHOP = KnownOrder("o-12ab34", NOW - timedelta(days=9), ("Blue mug", "Tea towels"))
ORDERS = [LAMP, SOFA, SHOP]


@pytest.mark.parametrize(
    ("text", "entity", "expected"),
    [
        ("ma commande CMD-70009 est arrivée abîmée", None, SOFA),
        ("ma commande cmd 70009", None, SOFA),
        ("c'est la 70009", None, SOFA),
        ("#70009", None, SOFA),
        ("A-70002", None, LAMP),
        ("a70002 svp", None, LAMP),
        ("where is O-12AB34?", None, SHOP),
        ("order o 12ab34", None, SHOP),
        ("je parle de ma commande de lampe", None, LAMP),
        ("the tea towel order", None, SHOP),
        ("quelque chose", "CMD-70009", SOFA),
    ],
)
def test_an_order_is_recognised_as_the_customer_writes_it(
    text: str, entity: str | None, expected: KnownOrder
) -> None:
    assert resolve_order(text, entity, ORDERS).order == expected


def test_a_number_that_is_not_theirs_is_reported_with_theirs_offered() -> None:
    match = resolve_order("ma commande CMD-99999 n'est pas arrivée", None, ORDERS)
    assert match.order is None and match.not_theirs == "CMD-99999"
    assert match.offered == (SOFA, SHOP, LAMP), "newest first"


def test_nothing_recognised_offers_the_latest_orders_or_the_only_one() -> None:
    assert resolve_order("mon colis", None, ORDERS) == resolve_order(None, None, ORDERS)
    assert resolve_order("mon colis", None, ORDERS).offered[0] == SOFA
    only = resolve_order("ma commande", None, [LAMP])
    assert only.order is None and only.not_theirs is None and only.offered == (LAMP,)
    assert resolve_order("ma commande", None, []).offered == ()
