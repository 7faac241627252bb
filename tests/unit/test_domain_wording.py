"""The responses of domain.yml read as sentences: no "jour(s)" left for the customer to
resolve (counts are passed formatted, see engagement/wording.py), and the French and
English variations of a response are filled with the same values."""

from __future__ import annotations

import re

from tests.responses import PLACEHOLDER, domain_responses

HEDGED = re.compile(r"\w\((?:s|e|x|es)\)")  # jour(s), parrainé(e), bon(s), cadeau(x)


def test_no_response_hedges_a_plural_or_a_gender() -> None:
    hedged = {
        name: found
        for name, variations in domain_responses().items()
        for variation in variations
        if (found := HEDGED.findall(str(variation.get("text", ""))))
    }
    assert not hedged, hedged


def test_the_check_sees_a_hedge() -> None:
    assert HEDGED.findall("depuis 3 jour(s), ami(e)s, bon(s), cadeau(x)") == [
        "r(s)", "i(e)", "n(s)", "u(x)",
    ]  # fmt: skip


def test_both_languages_of_a_response_take_the_same_values() -> None:
    differing = {}
    for name, variations in domain_responses().items():
        by_language = {
            condition["value"]: set(PLACEHOLDER.findall(str(variation.get("text", ""))))
            for variation in variations
            for condition in variation.get("condition", [])
            if condition.get("name") == "language"
        }
        if len({frozenset(names) for names in by_language.values()}) > 1:
            differing[name] = by_language
    assert not differing, differing
