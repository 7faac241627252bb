"""Answers about what the customer asked, over the real action server and engagement store
(SQLite and PostgreSQL): "why no points for my review?" is answered about the review,
recommendations say what they are based on, and the next step on the ladder is one the
customer has not taken yet. Each answer is checked as the customer reads it, in French and
in English (the response of domain.yml, filled with the values the action returned)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import yaml

from bot.composition import PROJECT_DIR
from engagement.commerce import parse_commerce_event
from engagement.rewards import IncomingEvent
from tests.actions.conftest import buy, said

REVIEW = {"review_subject": "CMD-2", "review_rating": "5", "review_text": "Très bien"}


def read(answer: Mapping[str, Any], language: str) -> list[str]:
    """Each message as the customer reads it: the response's text in ``language`` with the
    action's values (a placeholder left unfilled fails the test)."""
    responses = yaml.safe_load((PROJECT_DIR / "domain.yml").read_text())["responses"]
    texts = []
    for message in answer["responses"]:
        (text,) = (
            v["text"] for v in responses[message["response"]]
            if {"type": "slot", "name": "language", "value": language} in v["condition"]
        )  # fmt: skip
        texts.append(text.format_map({k: v for k, v in message.items() if v is not None}))
    return texts


async def ask_why(call, text: str, language: str = "fr", **tracker) -> dict:  # type: ignore[no-untyped-def]
    return await call(  # type: ignore[no-any-return]
        "action_why_no_points", intent="why_no_points", text=text,
        slots={"language": language}, **tracker,
    )  # fmt: skip


async def vote(services, number: int) -> None:  # type: ignore[no-untyped-def]
    await services.rewards.record_event(IncomingEvent(
        id=f"vote:idea-{number}:customer-1", type="vote", customer_id="customer-1",
        occurred_at=datetime.now(timezone.utc), source="conversation",
    ))  # fmt: skip


async def test_why_no_points_for_a_review_waiting_for_moderation_is_about_that_review(
    call, services
) -> None:
    """Was: three unrelated rules of the latest purchase ("le badge du premier achat ne
    s'appliquait pas à votre dernière activité", …)."""
    await buy(services, 1)
    await buy(services, 2)
    assert said(await call("action_submit_review", intent="inform", slots=REVIEW)) == [
        "utter_review_received"
    ]
    answer = await ask_why(call, "Why didn't I get points for my review?", "en")
    assert said(answer) == ["utter_why_review_pending"]
    assert read(answer, "en") == [
        "Your review is waiting to be approved: the points come with the approval, "
        "as soon as our team has read it."
    ]
    french = await ask_why(call, "pk g pas eu de pionts pour mon avis")
    assert read(french, "fr") == [
        "Votre avis attend d'être validé : les points arrivent à la validation, "
        "dès que notre équipe l'aura relu."
    ]
    (review,) = await services.contributions.queue("pending", "review")
    await services.contributions.moderate(review["id"], "approve", "tests")
    published = await ask_why(call, "toujours rien pour mon avis")
    assert said(published) == ["utter_why_review_awarded"]
    assert read(published, "fr") == [
        "Votre avis a été publié et vous a bien rapporté des points : +30."
    ]


async def test_why_no_points_for_a_review_never_written_says_there_is_none(
    call, services
) -> None:
    await buy(services, 1)
    answer = await ask_why(call, "j'ai rien reçu pour mon avis")
    assert said(answer) == ["utter_why_review_none_found"]
    assert read(answer, "en") == [
        "I can't find any review from you. Say \"leave a review\" to write one: it earns "
        "points once published."
    ]


async def test_why_no_points_for_an_order_answers_about_that_order(call, services) -> None:
    await buy(services, 1, total=40)
    await buy(services, 55871, total=25)
    await buy(services, 3, total=60)
    named = [{"entity": "order_id", "value": "CMD-55871"}]
    answer = await ask_why(call, "pk mon achat CMD-55871 m'a rien rapporté", entities=named)
    assert said(answer) == ["utter_why_purchase_awarded"]
    assert read(answer, "fr") == ["Votre commande CMD-55871 vous a bien rapporté des points : +25."]
    assert read(answer, "en") == ["Your order CMD-55871 did earn you points: +25."]
    unknown = [{"entity": "order_id", "value": "#99999"}]
    missing = await ask_why(call, "how come order #99999 didn't earn me anything", "en",
                            entities=unknown)  # fmt: skip
    assert read(missing, "en") == [
        "I can't find an order #99999 of yours: check its number, or it has not reached us yet."
    ]


async def test_a_vote_over_the_weekly_limit_names_the_limit(call, services) -> None:
    await buy(services, 1)
    for number in range(11):  # idea_vote: 10 per week
        await vote(services, number)
    answer = await ask_why(call, "il manque la récompense de mon vote")
    assert said(answer) == ["utter_why_capped"]
    assert read(answer, "fr") == [
        "« les points d'un vote » : vous avez déjà atteint le maximum pour cette période ; "
        "il sera de nouveau possible plus tard."
    ]


async def test_without_a_subject_the_answer_is_about_the_latest_activity(call, services) -> None:
    assert said(await ask_why(call, "pourquoi mes points ont pas été ajoutés ?")) == [
        "utter_why_no_activity"
    ]
    await buy(services, 1)
    await buy(services, 2)
    latest = await ask_why(call, "why weren't my points added?", "en")
    assert read(latest, "en") == ["Your order CMD-2 did earn you points: +40."]
    await call("action_submit_review", intent="inform", slots=REVIEW)
    assert said(await ask_why(call, "pourquoi mes points ont pas été ajoutés ?")) == [
        "utter_why_review_pending"
    ]
    nothing = await ask_why(call, "j'ai parrainé une amie et j'ai rien eu")
    assert said(nothing) == ["utter_why_referral_none_found"]


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_every_why_answer_reads_in_both_languages(language: str) -> None:
    """Every ``utter_why_*`` response exists in both languages and fills from the values
    the action passes (rule, points, order_id)."""
    responses = yaml.safe_load((PROJECT_DIR / "domain.yml").read_text())["responses"]
    values = {"response": "", "rule": "r", "points": 2, "order_id": "CMD-1"}
    for name in (r for r in responses if r.startswith("utter_why_")):
        (text,) = read({"responses": [{**values, "response": name}]}, language)
        assert "{" not in text, name


async def sell(services, customer: str, order: str, skus: list[str], days_ago: int = 1) -> None:  # type: ignore[no-untyped-def]
    at = datetime.now(timezone.utc) - timedelta(days=days_ago)
    body = {
        "id": f"buy-{order}", "type": "purchase", "occurred_at": at.isoformat(),
        "customer": {"id": customer},
        "order": {"id": order, "total": 10 * len(skus), "currency": "EUR",
                  "items": [{"sku": s, "name": f"Item {s}", "quantity": 1, "price": 10}
                            for s in skus]},
    }  # fmt: skip
    await services.rewards.record_event(
        IncomingEvent.from_commerce(parse_commerce_event(json.dumps(body).encode()), body)
    )


async def test_a_buyer_nobody_else_bought_like_gets_best_sellers_and_is_told_so(
    call, services
) -> None:
    """Was: "I have no purchase of yours to go on yet", to a customer who bought."""
    baskets = {"a": ["SCARF"], "b": ["SCARF", "HAT"], "c": ["HAT"], "d": ["BELT"]}
    for customer, skus in baskets.items():
        await sell(services, customer, f"O-{customer}", skus)
    await sell(services, "e", "O-e-old", ["SOCKS"], days_ago=45)
    await sell(services, "f", "O-f-old", ["SOCKS"], days_ago=45)  # no longer "of the moment"
    await sell(services, "customer-1", "O-1", ["LAMP"])
    answer = await call("action_recommend", intent="ask_recommendation")
    assert said(answer) == ["utter_recommend_best_sellers"]
    assert read(answer, "fr") == [
        "Aucun autre client n'a encore acheté les mêmes articles que vous, alors voici nos "
        "meilleures ventes du moment, hors ce que vous avez déjà : Item HAT, Item SCARF, "
        "Item BELT."
    ]
    english = await call("action_recommend", slots={"language": "en"})
    assert read(english, "en") == [
        "No other customer has bought the same items as you yet, so here are our best "
        "sellers of the moment, apart from what you already have: Item HAT, Item SCARF, "
        "Item BELT."
    ]
    await sell(services, "g", "O-g", ["LAMP", "SOCKS"])
    together = await call("action_recommend", slots={"language": "en"})
    assert read(together, "en") == ["Customers who bought the same items as you also chose: "
                                    "Item SOCKS."]  # fmt: skip


async def test_a_customer_who_bought_nothing_hears_so_and_gets_best_sellers(
    call, services
) -> None:
    assert said(await call("action_recommend")) == ["utter_recommend_none"]  # an empty shop
    await sell(services, "a", "O-a", ["SCARF"])
    answer = await call("action_recommend", intent="ask_recommendation")
    assert said(answer) == ["utter_recommend_none", "utter_recommend_best_sellers_to_start"]
    assert read(answer, "fr") == [
        "Je n'ai pas encore d'achat de votre part sur lequel m'appuyer : après votre première "
        "commande, je pourrai vous suggérer des articles qui vont avec.",
        "En attendant, voici nos meilleures ventes du moment : Item SCARF.",
    ]


async def test_a_buyer_in_a_shop_without_other_sales_is_not_told_they_bought_nothing(
    call, services
) -> None:
    await sell(services, "customer-1", "O-1", ["LAMP"])
    answer = await call("action_recommend", slots={"language": "en"})
    assert read(answer, "en") == [
        "No other customer has bought the same items as you yet, and I don't have enough "
        "recent sales to suggest anything else: ask me again soon!"
    ]


async def progress(call, language: str = "en") -> dict:  # type: ignore[no-untyped-def]
    return await call(  # type: ignore[no-any-return]
        "action_check_progress", intent="check_progress", slots={"language": language}
    )


async def test_a_buyer_talking_to_the_assistant_is_not_told_to_talk_to_it(call, services) -> None:
    """Was: "You chose us, thank you! Next step: talk with me after your purchase (…)", to a
    customer who is talking with the assistant."""
    await buy(services, 1)
    answer = await progress(call)
    assert said(answer) == ["utter_progress_choice", "utter_next_step_join_club"]
    assert read(answer, "en") == [
        "You chose us, thank you! You have 60 points.",
        "Next step: join the club, accept our news or buy from us again.",
    ]
    assert read(await progress(call, "fr"), "fr") == [
        "Vous nous avez choisis, merci ! Vous avez 60 points.",
        "Prochaine étape : rejoindre le club, accepter nos nouvelles ou racheter chez nous.",
    ]
    assert said(await call("action_join_club", intent="join_club"))[0] == "utter_club_joined"
    assert said(await progress(call))[1:] == ["utter_next_step_contribute"]
    await call("action_submit_review", intent="inform", slots=REVIEW)
    waiting = await progress(call)
    assert said(waiting)[1:] == ["utter_next_step_contribution_pending"]
    (review,) = await services.contributions.queue("pending", "review")
    await services.contributions.moderate(review["id"], "approve", "tests")
    published = await progress(call, "fr")
    assert read(published, "fr")[1:] == [
        "Prochaine étape : contribuer d'une autre façon que celle que vous connaissez déjà : "
        "un avis, une idée, un parrainage ou un partage."
    ]


async def test_a_customer_who_never_bought_is_told_to_buy_first(call) -> None:
    stage, step = read(await progress(call, "fr"), "fr")
    assert stage.startswith("Vous découvrez la boutique.") and "étape" not in stage
    assert step == (
        "Prochaine étape : votre premier achat, qui vous rapporte aussi vos premiers points."
    )


async def test_no_points_for_subscribing_again_says_it_is_given_once(call, services) -> None:
    """Was: "Votre commande CMD-1 vous a bien rapporté des points" (the order, not the news)."""
    await buy(services, 1)
    assert said(await ask_why(call, "pourquoi pas de points pour les nouvelles ?")) == [
        "utter_why_news_none_found"
    ]
    await call("action_opt_in", intent="opt_in", text="j'accepte vos nouvelles", message_id="m1")
    await call("action_opt_out", intent="opt_out", text="stop", message_id="m2")
    await call("action_opt_in", intent="opt_in", text="finalement oui", message_id="m3")
    answer = await ask_why(call, "pourquoi j'ai pas eu de points ?")
    assert read(answer, "fr") == [
        "« le merci pour l'abonnement aux nouvelles » ne se gagne qu'une fois, et vous l'avez "
        "déjà reçu : vous avez atteint le maximum."
    ]
    english = await ask_why(call, "why no points for subscribing to the news?", "en")
    assert read(english, "en") == [
        '"the thank-you for subscribing to news" is given only once, and you already '
        "received it: you reached the maximum."
    ]
