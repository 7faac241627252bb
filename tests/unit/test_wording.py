"""Dates, amounts, numbers and counted nouns as French and English customers read them
(CLDR through Babel). NBSP is U+00A0 (before € and %), NNBSP U+202F (between thousands)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from engagement.wording import (
    NOUNS,
    format_amount,
    format_count,
    format_date,
    format_list,
    format_number,
    format_percent,
)

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("value", "fr", "en"),
    [(date(2027, 3, 7), "7 mars 2027", "March 7, 2027"),
     (datetime(2027, 12, 25, 9, 30, tzinfo=timezone.utc), "25 décembre 2027", "December 25, 2027"),
     (date(2028, 2, 1), "1 février 2028", "February 1, 2028")],
)  # fmt: skip
def test_dates_are_written_out(value: date, fr: str, en: str) -> None:
    assert (format_date(value, "fr"), format_date(value, "en")) == (fr, en)


@pytest.mark.parametrize(
    ("value", "currency", "fr", "en"),
    [(Decimal("12.00"), None, f"12{NBSP}€", "€12"),
     (Decimal("7.50"), None, f"7,50{NBSP}€", "€7.50"),
     (5, "EUR", f"5{NBSP}€", "€5"),
     (Decimal("1234.5"), "usd", f"1{NNBSP}234,50{NBSP}$US", "$1,234.50"),
     (Decimal("0.99"), "GBP", f"0,99{NBSP}£GB", "£0.99")],
)  # fmt: skip
def test_amounts_carry_their_currency(
    value: Decimal, currency: str | None, fr: str, en: str
) -> None:
    assert format_amount(value, "fr", currency) == fr
    assert format_amount(value, "en", currency) == en


def test_numbers_and_percentages() -> None:
    assert (format_number(1250, "fr"), format_number(1250, "en")) == (f"1{NNBSP}250", "1,250")
    assert (format_number(Decimal("7.5"), "fr"), format_number(7.5, "en")) == ("7,5", "7.5")
    assert (format_percent(10, "fr"), format_percent(10, "en")) == (f"10{NBSP}%", "10%")
    assert format_percent(Decimal("12.5"), "fr") == f"12,5{NBSP}%"


@pytest.mark.parametrize(
    ("count", "noun", "fr", "en"),
    [(0, "day", "0 jour", "0 days"),
     (1, "day", "1 jour", "1 day"),
     (2, "day", "2 jours", "2 days"),
     (0, "vote", "0 vote", "0 votes"),
     (1, "vote", "1 vote", "1 vote"),
     (2, "vote", "2 votes", "2 votes"),
     (1, "point", "1 point", "1 point"),
     (1250, "point", f"1{NNBSP}250 points", "1,250 points"),
     (1, "coupon", "1 bon de réduction", "1 coupon"),
     (3, "coupon", "3 bons de réduction", "3 coupons"),
     (1, "referred_friend", "1 ami parrainé", "1 friend referred"),
     (2, "referred_friend", "2 amis parrainés", "2 friends referred"),
     (1, "time", "1 fois", "1 time"),
     (2, "time", "2 fois", "2 times"),
     (1_000_000, "point", f"1{NNBSP}000{NNBSP}000 points", "1,000,000 points"),
     # the console's counts: "1 nudge waiting", never "1 nudges waiting"
     (1, "waiting_nudge", "1 relance en attente", "1 nudge waiting"),
     (0, "waiting_nudge", "0 relance en attente", "0 nudges waiting"),
     (46, "unsent_nudge", "46 relances non envoyées", "46 nudges not sent"),
     (1, "matching_customer", "1 client correspond", "1 customer matches"),
     (47, "matching_customer", "47 clients correspondent", "47 customers match"),
     (1, "campaign", "1 campagne", "1 campaign")],
)  # fmt: skip
def test_counts_take_the_plural_form_of_cldr(count: int, noun, fr: str, en: str) -> None:  # type: ignore[no-untyped-def]
    assert (format_count(count, noun, "fr"), format_count(count, noun, "en")) == (fr, en)


def test_every_noun_has_both_forms_in_both_languages() -> None:
    for noun, forms in NOUNS.items():
        assert set(forms) == {"fr", "en"}, noun
        assert all(len(pair) == 2 and all(pair) for pair in forms.values()), noun


def test_lists_join_the_way_each_language_does() -> None:
    names = ["Premier achat", "Premier avis", "Client fidèle"]
    assert format_list(names, "fr") == "Premier achat, Premier avis et Client fidèle"
    english = format_list(["First purchase", "First review", "Ambassador"], "en")
    assert english == "First purchase, First review, and Ambassador"
    assert format_list(["Seul"], "fr") == "Seul"


def test_another_language_is_refused_rather_than_guessed() -> None:
    with pytest.raises(ValueError, match="'de'"):
        format_count(2, "day", "de")
