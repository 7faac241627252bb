"""What to suggest to a customer (pure, from stored orders): what customers who bought the
same items bought too or, when nobody else bought those yet, or the customer bought nothing
yet, what sells most lately. The answer says which it is, so the customer is told what a
suggestion is based on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

BOUGHT_TOGETHER = "bought_together"
BEST_SELLERS = "best_sellers"
# "Our best sellers of the moment": what the most customers bought over this window.
BEST_SELLERS_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Recommendation:
    sku: str
    name: str
    customers: int


def recommend(
    bought: Iterable[str],
    baskets: Iterable[tuple[str, Iterable[str]]],
    names: Mapping[str, str],
    limit: int = 3,
) -> list[Recommendation]:
    """Items other customers bought alongside what this customer bought.

    ``baskets`` are (customer id, skus of all their orders) of the *other* customers who
    bought at least one of ``bought``. An item scores one per such customer (so one
    enthusiastic buyer cannot push an item up), ties broken by name; items the customer
    already has are left out.
    """
    mine = set(bought)
    score: Counter[str] = Counter()
    for _, skus in baskets:
        theirs = set(skus)
        if theirs & mine:
            score.update(theirs - mine)
    ranked = sorted(score.items(), key=lambda item: (-item[1], names.get(item[0], item[0])))
    return [Recommendation(sku, names.get(sku, sku), count) for sku, count in ranked[:limit]]


@dataclass(frozen=True)
class Suggestions:
    """``basis``: ``BOUGHT_TOGETHER``, ``BEST_SELLERS``, or None when there is nothing to
    suggest; ``bought``: whether the customer has a purchase of their own to go on."""

    basis: str | None
    items: tuple[Recommendation, ...]
    bought: bool


def best_sellers(
    sold: Mapping[str, int],
    names: Mapping[str, str],
    exclude: Iterable[str] = (),
    limit: int = 3,
) -> list[Recommendation]:
    """The items the most customers bought lately: ``sold`` maps each item of the window
    to how many customers bought it (one per customer, as in ``recommend``), ties broken
    by name; ``exclude``: what the customer already has."""
    left_out = set(exclude)
    ranked = sorted(
        ((sku, buyers) for sku, buyers in sold.items() if sku not in left_out and buyers > 0),
        key=lambda item: (-item[1], names.get(item[0], item[0])),
    )
    return [Recommendation(sku, names.get(sku, sku), buyers) for sku, buyers in ranked[:limit]]


def suggest(
    bought: Iterable[str],
    baskets: Iterable[tuple[str, Iterable[str]]],
    sold: Mapping[str, int],
    names: Mapping[str, str],
    limit: int = 3,
) -> Suggestions:
    """What customers bought with the customer's items; else the best sellers they do not
    have yet (also for a customer who bought nothing)."""
    mine = set(bought)
    together = recommend(mine, baskets, names, limit)
    if together:
        return Suggestions(BOUGHT_TOGETHER, tuple(together), True)
    sellers = best_sellers(sold, names, mine, limit)
    return Suggestions(BEST_SELLERS if sellers else None, tuple(sellers), bool(mine))
