"""Numbers, amounts, dates, lists and counted nouns as a French or English customer reads
them, from the Unicode CLDR data that Babel ships (no Rasa, no I/O).

The sentences themselves stay in ``domain.yml`` (one variation per language); the actions
and the nudges pass these formatted values into them: "7 mars 2027" / "March 7, 2027",
"7,50 €" / "€7.50", "1 250 points", "1 jour" / "3 jours" / "1 day" / "3 days".

The nouns that are counted live in the table ``NOUNS`` below, with their singular and
plural forms per language. They are not taken from ``domain.yml``: a response is one
``str.format`` template in Rasa and has no place for a noun's two forms, and the domain an
action server receives with a call may be empty; one table here keeps each noun's forms
together and tested. Which form a number takes is CLDR's plural rule for the language
(``babel.Locale.plural_form``): French "one" is 0 and 1 ("0 point", "1 point"), English
"one" is 1 only ("0 points"); CLDR's French "many" (1 000 000, "un million de") takes the
plural form here.

French output carries the spaces CLDR prescribes: a no-break space before "€" and "%"
(U+00A0) and a narrow no-break space between thousands (U+202F), so that "7,50 €" never
wraps between the number and its sign.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from babel import Locale, dates, lists, numbers

from engagement.language import Language

DEFAULT_CURRENCY = "EUR"
# The staff console's language (its pages are in English): the counts the API writes for it.
CONSOLE_LANGUAGE = "en"

Noun = Literal[
    "point", "day", "vote", "order", "event", "contribution", "badge", "coupon",
    "referred_friend", "minute", "time", "campaign", "nudge", "waiting_nudge", "unsent_nudge",
    "matching_customer",
]  # fmt: skip

# noun → language → (the "one" form, the "other" form)
NOUNS: dict[Noun, dict[Language, tuple[str, str]]] = {
    "point": {"fr": ("point", "points"), "en": ("point", "points")},
    "day": {"fr": ("jour", "jours"), "en": ("day", "days")},
    "vote": {"fr": ("vote", "votes"), "en": ("vote", "votes")},
    "order": {"fr": ("commande", "commandes"), "en": ("order", "orders")},
    "event": {"fr": ("événement", "événements"), "en": ("event", "events")},
    "contribution": {"fr": ("contribution", "contributions"),
                     "en": ("contribution", "contributions")},
    "badge": {"fr": ("badge", "badges"), "en": ("badge", "badges")},
    "coupon": {"fr": ("bon de réduction", "bons de réduction"), "en": ("coupon", "coupons")},
    "referred_friend": {"fr": ("ami parrainé", "amis parrainés"),
                        "en": ("friend referred", "friends referred")},
    "minute": {"fr": ("minute", "minutes"), "en": ("minute", "minutes")},
    "time": {"fr": ("fois", "fois"), "en": ("time", "times")},  # "ouvert 3 fois", "3 times"
    # the staff console's counts (campaign list, audience, results)
    "campaign": {"fr": ("campagne", "campagnes"), "en": ("campaign", "campaigns")},
    "nudge": {"fr": ("relance", "relances"), "en": ("nudge", "nudges")},
    "waiting_nudge": {"fr": ("relance en attente", "relances en attente"),
                      "en": ("nudge waiting", "nudges waiting")},
    "unsent_nudge": {"fr": ("relance non envoyée", "relances non envoyées"),
                     "en": ("nudge not sent", "nudges not sent")},
    "matching_customer": {"fr": ("client correspond", "clients correspondent"),
                          "en": ("customer matches", "customers match")},
}  # fmt: skip

_LOCALES: dict[Language, Locale] = {"fr": Locale.parse("fr"), "en": Locale.parse("en")}
_FRACTION = re.compile(r"\.0+")


def locale_of(language: str) -> Locale:
    """Babel's locale for "fr" or "en"; ``ValueError`` for any other language."""
    try:
        return _LOCALES[language]  # type: ignore[index]
    except KeyError:
        raise ValueError(f"no wording for the language {language!r}") from None


def format_date(value: date | datetime, language: str) -> str:
    """The long form: "7 mars 2027" / "March 7, 2027" (a datetime gives its own date)."""
    day = value.date() if isinstance(value, datetime) else value
    return dates.format_date(day, "long", locale=locale_of(language))


def format_number(value: int | Decimal | float, language: str) -> str:
    """1250 → "1 250" / "1,250"; 7.5 → "7,5" / "7.5"."""
    return numbers.format_decimal(value, locale=locale_of(language))


def format_amount(
    value: int | Decimal | float | str, language: str, currency: str | None = None
) -> str:
    """An amount with its currency (EUR unless given): "12 €" / "€12" for a whole amount,
    "7,50 €" / "€7.50" otherwise, as the currency's digits want."""
    locale = locale_of(language)
    amount = Decimal(str(value))
    code = (currency or DEFAULT_CURRENCY).upper()
    if amount != amount.to_integral_value():
        return numbers.format_currency(amount, code, locale=locale)
    pattern = locale.currency_formats["standard"].pattern
    return numbers.format_currency(
        amount, code, format=_FRACTION.sub("", pattern), locale=locale, currency_digits=False
    )


def format_percent(value: int | Decimal | float | str, language: str) -> str:
    """A percentage given in percent: 10 → "10 %" / "10%", 12.5 → "12,5 %" / "12.5%"."""
    locale = locale_of(language)
    pattern = locale.percent_formats[None].pattern.replace("#,##0", "#,##0.##", 1)
    return numbers.format_percent(Decimal(str(value)) / 100, pattern, locale=locale)


def format_count(count: int, noun: Noun, language: str) -> str:
    """The number and its noun in the form CLDR's plural rule gives: "0 point", "1 jour",
    "3 jours" / "0 points", "1 day", "3 days"."""
    locale = locale_of(language)
    one, other = NOUNS[noun][language]  # type: ignore[index]
    form = one if locale.plural_form(count) == "one" else other
    return f"{format_number(count, language)} {form}"


def format_list(items: Iterable[str], language: str) -> str:
    """"a, b et c" / "a, b, and c"; one item alone; "" for none."""
    return lists.format_list(list(items), locale=locale_of(language))
