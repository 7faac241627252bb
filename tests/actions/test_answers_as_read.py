"""The actions' answers as a customer reads them, in French and in English: each response
of domain.yml rendered with the values the action server returned (``tests.responses``).
Dates are written out, amounts carry their currency, counted nouns agree with their number
and a first greeting does not say "again". NBSP is U+00A0, NNBSP U+202F (CLDR's spaces)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from engagement.storage import tables as t
from tests.actions.conftest import buy, said
from tests.responses import read

NBSP = "\u00a0"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
HEDGED = re.compile(r"\w\((?:s|e|x|es)\)")


def reads_right(texts: list[str]) -> list[str]:
    """The texts, after checking none shows an ISO date, a "(s)" or a Python value."""
    for text in texts:
        assert not ISO_DATE.search(text) and not HEDGED.search(text), text
        assert "None" not in text and "{" not in text, text
    return texts


async def add_coupon(database, code: str, kind: str, value: str, min_basket: str,  # type: ignore[no-untyped-def]
                     expires_at: datetime) -> None:  # fmt: skip
    now = datetime.now(timezone.utc)
    async with database.begin() as conn:
        await conn.execute(t.coupons.insert().values(
            code=code, customer_id="customer-1", template_id="tests", kind=kind,
            value=Decimal(value), min_basket=Decimal(min_basket), created_at=now,
            expires_at=expires_at, event_id=f"tests-{code}", rule_id="tests",
        ))  # fmt: skip


async def name_customer(database, customer: str, name: str) -> None:  # type: ignore[no-untyped-def]
    async with database.begin() as conn:
        await conn.execute(
            sa.update(t.customers).where(t.customers.c.id == customer).values(name=name)
        )


async def test_coupons_show_their_discount_basket_and_end_date_in_words(
    call, services, database
) -> None:
    await buy(services, 1)
    await add_coupon(database, "MERCI10-TESTPCT", "percent", "10", "20",
                     datetime(2040, 3, 7, 12, tzinfo=timezone.utc))  # fmt: skip
    await add_coupon(database, "RETOUR-TESTAMT", "amount", "7.50", "30",
                     datetime(2040, 4, 1, 12, tzinfo=timezone.utc))  # fmt: skip
    french = reads_right(read(await call("action_list_coupons"), "fr"))
    assert french == [
        f"🎟 MERCI10-TESTPCT : -10{NBSP}% dès 20{NBSP}€ d'achat, valable jusqu'au 7 mars 2040.",
        f"🎟 RETOUR-TESTAMT : -7,50{NBSP}€ dès 30{NBSP}€ d'achat, valable jusqu'au 1 avril 2040.",
    ]
    english = await call("action_list_coupons", slots={"language": "en"})
    assert reads_right(read(english, "en")) == [
        "🎟 MERCI10-TESTPCT: 10% off from a €20 basket, valid until March 7, 2040.",
        "🎟 RETOUR-TESTAMT: €7.50 off from a €30 basket, valid until April 1, 2040.",
    ]


@pytest.mark.parametrize(
    ("days_ago", "fr", "en"),
    [(0, "Votre commande CMD-48213 a été enregistrée aujourd'hui et sera bientôt expédiée.",
      "Your order CMD-48213 was placed today and will ship soon."),
     (1, "Votre commande CMD-48213 est enregistrée depuis 1 jour et sera bientôt expédiée.",
      "Your order CMD-48213 was placed 1 day ago and will ship soon."),
     (3, "Votre commande CMD-48213 est enregistrée depuis 3 jours et sera bientôt expédiée.",
      "Your order CMD-48213 was placed 3 days ago and will ship soon."),
     (9, "Je vous dois la transparence : votre commande CMD-48213 a du retard (9 jours depuis "
         "la commande). Si vous le souhaitez, signalez-le et nous vous ferons un geste.",
      "To be transparent: your order CMD-48213 is late (9 days since you ordered). If you "
      "wish, report it and we'll make it up to you.")],
)  # fmt: skip
async def test_an_order_says_how_many_days_in_words(
    call, services, days_ago: int, fr: str, en: str
) -> None:
    await buy(services, 48213, days_ago=days_ago)
    asked = {"intent": "order_status", "entities": [{"entity": "order_id", "value": "48213"}]}
    assert read(await call("action_order_status", **asked), "fr") == [fr]
    assert read(await call("action_order_status", slots={"language": "en"}, **asked), "en") == [en]


async def test_votes_agree_with_their_number_in_both_languages(call, services) -> None:
    await buy(services, 1)
    await buy(services, 2, customer="ana")
    await call("action_submit_idea", slots={"idea_title": "Sac en lin", "idea_text": "…"},
               sender="ana")  # fmt: skip
    (idea,) = await services.contributions.queue("pending", "idea")
    await services.contributions.moderate(idea["id"], "approve", "tests")
    listed = await call("action_browse_ideas", slots={"language": "en"})
    assert reads_right(read(listed, "en"))[1] == "💡 Sac en lin (0 votes)"
    assert read(await call("action_browse_ideas"), "fr")[1] == "💡 Sac en lin (0 vote)"
    vote = {"intent": "vote_idea", "entities": [{"entity": "idea_id", "value": idea["id"]}]}
    assert reads_right(read(await call("action_vote_idea", **vote), "fr")) == [
        "Votre vote est compté : cette idée a maintenant 1 vote. Merci !"
    ]
    english = await call("action_vote_idea", sender="ana", slots={"language": "en"}, **vote)
    assert said(english) == ["utter_vote_refused"], "her own idea"
    await buy(services, 3, customer="ben")
    counted = await call("action_vote_idea", sender="ben", slots={"language": "en"}, **vote)
    assert read(counted, "en") == ["Your vote is in: this idea now has 2 votes. Thank you!"]


async def test_points_badges_and_rewards_read_as_sentences(call, services) -> None:
    await buy(services, 1)
    assert read(await call("action_check_points"), "fr") == ["Vous avez 60 points."]
    assert read(await call("action_check_points", slots={"language": "en"}), "en") == [
        "You have 60 points."
    ]
    await buy(services, 2)
    await buy(services, 3)
    assert read(await call("action_check_badges"), "fr") == [
        "Vos badges : Premier achat et Client fidèle."
    ]
    assert read(await call("action_check_badges", slots={"language": "en"}), "en") == [
        "Your badges: First purchase and Loyal customer."
    ]
    opted_in = await call("action_opt_in", intent="opt_in", slots={"language": "en"})
    assert read(opted_in, "en")[1] == "🎉 +10 points for you!"


async def test_the_export_summary_counts_each_kind_in_words(call, services) -> None:
    await buy(services, 3)
    (summary, _) = read(await call("action_export_my_data", intent="export_my_data"), "fr")
    assert summary == (
        "Voici ce que nous conservons sur vous : 1 commande, 1 événement (achats, échanges, "
        "contributions), 0 contribution, 1 badge, 0 bon de réduction et un solde de 60 points."
    )
    english = await call("action_export_my_data", slots={"language": "en"})
    assert read(english, "en")[0] == (
        "Here is what we keep about you: 1 order, 1 event (purchases, conversations, "
        "contributions), 0 contributions, 1 badge, 0 coupons and a balance of 60 points."
    )


async def test_links_and_codes_count_in_words(call, services) -> None:
    await buy(services, 1)
    (code,) = read(await call("action_link_account", intent="link_account"), "fr")
    assert code.endswith("Il expire dans 10 minutes.")
    share = await call("action_share_brand", intent="share_brand", slots={"language": "en"})
    assert read(share, "en")[0].endswith("Opened 0 times so far.")
    assert read(await call("action_share_brand"), "fr")[0].endswith("Ouvert 0 fois jusqu'ici.")


@pytest.mark.parametrize(
    ("language", "first", "again"),
    [("fr", "Bonjour Léa ! Que puis-je faire pour vous ?",
      "Bonjour Léa ! Ravi de vous retrouver. Que puis-je faire pour vous ?"),
     ("en", "Hello Léa! How can I help?", "Hello Léa! Nice to see you again. How can I help?")],
)  # fmt: skip
async def test_only_a_returning_customer_hears_nice_to_see_you_again(
    call, services, database, language: str, first: str, again: str
) -> None:
    await buy(services, 1)
    await name_customer(database, "customer-1", "Léa Martin")
    slots = {"language": language}
    hello = await call("action_greet", slots=slots)
    assert said(hello) == ["utter_greet_named", "utter_privacy_notice"]
    assert read(hello, language)[0] == first
    assert read(await call("action_greet", slots=slots), language) == [again]
