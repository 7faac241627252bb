"""Pure rules about people: referral checks, link codes, display names, recommendations."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engagement.identity import new_link_code, normalised_code
from engagement.recommendations import (
    BEST_SELLERS,
    BOUGHT_TOGETHER,
    best_sellers,
    recommend,
    suggest,
)
from engagement.referrals import referral_refusal
from engagement.services.community import display_name

NOW = datetime(2026, 11, 25, 12, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("referrer", "friend", "purchases", "already", "refusal"),
    [("a", "b", 1, False, None), (None, "b", 1, False, "unknown referral code"),
     ("a", "a", 1, False, "self-referral"), ("a", "b", 2, False, "not the friend's first purchase"),
     ("a", "b", 1, True, "friend already referred")],
)  # fmt: skip
def test_a_referral_converts_only_on_a_new_friend_first_purchase(
    referrer, friend, purchases, already, refusal
) -> None:
    found = referral_refusal(
        referrer_id=referrer, friend_id=friend, friend_purchases=purchases,
        already_referred=already,
    )  # fmt: skip
    assert found == refusal


def test_link_codes_are_six_digits_and_short_lived() -> None:
    code = new_link_code(NOW)
    assert len(code.code) == 6 and code.code.isdigit()
    assert code.expires_at == NOW + timedelta(minutes=10)
    assert normalised_code("mon code c'est 482 913") == "482913"
    assert normalised_code("48291") is None and normalised_code("1234567") is None


@pytest.mark.parametrize(
    ("name", "shown"),
    [("Marie Dupont", "Marie D."), ("Léa", "Léa"), (None, "Member-AB12"), ("  ", "Member-AB12")],
)
def test_the_leaderboard_shows_a_first_name_and_an_initial(name, shown) -> None:
    assert display_name(name, "customer-ab12") == shown


def test_recommendations_count_customers_not_orders_and_leave_out_what_one_has() -> None:
    baskets = [
        ("a", ["PULL", "SCARF"]), ("b", ["PULL", "HAT"]), ("c", ["PULL", "SCARF", "PULL"]),
        ("d", ["SOCKS", "BELT"]),
    ]  # fmt: skip
    names = {"SCARF": "Scarf", "HAT": "Hat", "PULL": "Pull"}
    found = recommend(["PULL"], baskets, names)
    assert [(r.name, r.customers) for r in found] == [("Scarf", 2), ("Hat", 1)]
    assert recommend(["PULL", "SCARF", "HAT"], baskets, names) == []
    assert recommend([], baskets, names) == []


def test_best_sellers_rank_by_customers_and_leave_out_what_one_has() -> None:
    sold = {"SCARF": 2, "HAT": 2, "BELT": 1, "LAMP": 5}
    names = {"SCARF": "Scarf", "HAT": "Hat", "BELT": "Belt", "LAMP": "Lamp"}
    found = best_sellers(sold, names, exclude=["LAMP"], limit=2)
    assert [(r.name, r.customers) for r in found] == [("Hat", 2), ("Scarf", 2)]
    assert best_sellers({}, names) == []


def test_suggestions_fall_back_to_best_sellers_and_say_so() -> None:
    """A buyer whose items nobody else bought, and a customer who bought nothing, both get
    the best sellers; only the second is one with no purchase to go on."""
    sold = {"SCARF": 3, "LAMP": 1}
    names = {"SCARF": "Scarf", "LAMP": "Lamp", "HAT": "Hat"}
    alone = suggest(["LAMP"], [], sold, names)
    assert (alone.basis, [r.sku for r in alone.items], alone.bought) == (
        BEST_SELLERS, ["SCARF"], True
    )
    newcomer = suggest([], [], sold, names)
    assert (newcomer.basis, [r.sku for r in newcomer.items], newcomer.bought) == (
        BEST_SELLERS, ["SCARF", "LAMP"], False
    )
    together = suggest(["LAMP"], [("b", ["LAMP", "HAT"])], sold, names)
    assert (together.basis, [r.sku for r in together.items]) == (BOUGHT_TOGETHER, ["HAT"])
    assert suggest(["LAMP"], [], {"LAMP": 1}, names).basis is None
