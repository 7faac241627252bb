"""What customers who bought the same items bought next (pure, from stored orders)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


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
