"""Which of *this customer's* orders a message is about (pure).

Shops number orders their own way (``CMD-48213``, ``A-70002``, ``o-12ab34``); customers
write them as they like ("cmd 48213", "#48213", "a70002") or name what they bought ("ma
commande de lampe"). An order is recognised from the NLU's ``order_id`` entity or from
anywhere in the text, comparing letters and digits only, case aside; failing that, from the
name of an item in it. What looks like an order number but is none of theirs is reported,
so that the assistant can say so and show the ones they have; with nothing recognised, their
latest orders are offered to choose from.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

MIN_KEY = 3  # shorter order numbers would be found inside any word
_WORD = re.compile(r"[0-9a-z]+")
_ORDERISH = re.compile(r"#?[0-9a-z]+(?:-[0-9a-z]+)*", re.IGNORECASE)
# words that name no item: articles, possessives, "commande", "order", …
_NOT_ITEMS = frozenset(
    "le la les un une des du de d l mon ma mes ton ta tes votre vos leur notre nos avec pour "
    "sur dans et ou the a an my your our of for with and or commande commandes order orders "
    "article articles item items produit produits colis parcel achat purchase taille size".split()
)


@dataclass(frozen=True)
class KnownOrder:
    id: str
    placed_at: datetime
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrderMatch:
    """``order``: the one the message names; ``not_theirs``: what the customer wrote that
    looks like an order number but is none of theirs; ``offered``: their latest orders,
    newest first, to choose from when nothing was recognised."""

    order: KnownOrder | None
    not_theirs: str | None = None
    offered: tuple[KnownOrder, ...] = ()


def resolve_order(
    text: str | None, entity: str | None, orders: Sequence[KnownOrder], offer: int = 3
) -> OrderMatch:
    newest = tuple(sorted(orders, key=lambda o: o.placed_at, reverse=True))
    found = order_by_number(text, entity, newest)
    if found is not None:
        return OrderMatch(found)
    by_item = _by_item(text or "", newest)
    if by_item is not None:
        return OrderMatch(by_item)
    claimed = _claimed_number(entity, text or "")
    return OrderMatch(None, claimed, newest[:offer])


def order_by_number(
    text: str | None, entity: str | None, orders: Sequence[KnownOrder]
) -> KnownOrder | None:
    """The one of ``orders`` whose number the ``order_id`` entity or the text writes (not by
    an item's name: "la nappe était belle" names no order once a form is under way)."""
    for written in (entity, text):
        found = _by_number(written or "", orders)
        if found is not None:
            return found
    return None


def order_key(written: str) -> str:
    """Letters and digits only, upper case: ``cmd 48213`` and ``CMD-48213`` are one."""
    return "".join(ch for ch in _plain(written).upper() if ch.isalnum())


def _by_number(written: str, orders: Sequence[KnownOrder]) -> KnownOrder | None:
    key = order_key(written)
    if not key:
        return None
    for order in orders:  # the whole order number, anywhere in what was written
        own = order_key(order.id)
        if len(own) >= MIN_KEY and own in key:
            return order
    numbers = set(re.findall(r"\d{%d,}" % MIN_KEY, written))
    for order in orders:  # its digits alone ("48213" for CMD-48213), as a whole number
        digits = "".join(ch for ch in order.id if ch.isdigit())
        if len(digits) >= MIN_KEY and digits in numbers:
            return order
    return None


def _by_item(text: str, orders: Sequence[KnownOrder]) -> KnownOrder | None:
    words = set(_WORD.findall(_plain(text)))
    for order in orders:  # newest first: "ma commande de lampe" is the latest lamp
        for item in order.items:
            named = {w for w in _WORD.findall(_plain(item)) if len(w) >= 3} - _NOT_ITEMS
            if _stems(named) & _stems(words):
                return order
    return None


def _claimed_number(entity: str | None, text: str) -> str | None:
    """What the customer wrote as an order number: the entity, else a word with digits."""
    if entity and any(ch.isdigit() for ch in entity):
        return entity.strip()
    for match in _ORDERISH.finditer(text):
        token = match.group(0).strip()
        if sum(ch.isdigit() for ch in token) >= MIN_KEY:
            return token
    return None


def _stems(words: set[str]) -> set[str]:
    """The words and their singulars ("lampes" names a "lampe")."""
    return words | {w[:-1] for w in words if len(w) > 4 and w.endswith(("s", "x"))}


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
