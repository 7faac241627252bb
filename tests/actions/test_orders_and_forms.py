"""Orders as customers write them, and forms that take what was already said (over the real
action server and the engagement store)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import yaml

from bot.composition import PROJECT_DIR
from engagement.commerce import parse_commerce_event
from engagement.rewards import IncomingEvent
from engagement.services.orders import OrderBook
from tests.actions.conftest import said
from tests.builders import action_call


async def bought(services, order_id: str, item: str, days_ago: int) -> None:  # type: ignore[no-untyped-def]
    at = (datetime.now(timezone.utc) - timedelta(days=days_ago)).isoformat()
    body = {"id": f"buy-{order_id}", "type": "purchase", "occurred_at": at,
            "customer": {"id": "customer-1", "name": "Léa", "language": "fr"},
            "order": {"id": order_id, "total": 120, "currency": "EUR",
                      "items": [{"sku": f"SKU-{order_id}", "name": item, "quantity": 1,
                                 "price": 120}]}}  # fmt: skip
    event = parse_commerce_event(json.dumps(body).encode())
    await services.rewards.record_event(IncomingEvent.from_commerce(event, body))


DOMAIN = yaml.safe_load((PROJECT_DIR / "domain.yml").read_text())


def slots(answer: dict) -> dict:
    return {e["name"]: e["value"] for e in answer["events"] if e["event"] == "slot"}


async def test_the_shop_s_own_order_numbers_are_found_however_they_are_written(
    call, services
) -> None:
    await bought(services, "A-70002", "Lampe de chevet Nuit", 20)
    await bought(services, "o-12ab34", "Blue mug", 9)
    for text in ("où en est ma commande a70002 ?", "ma commande de lampe", "A-70002"):
        answer = await call("action_order_status", intent="order_status", text=text)
        assert answer["responses"][0]["order_id"] == "A-70002", (text, answer["responses"])
    mug = await call("action_order_status", intent="order_status", text="where is O-12AB34?",
                     slots={"language": "en"})  # fmt: skip
    assert mug["responses"][0]["order_id"] == "o-12ab34"
    latest = await call("action_order_status", intent="order_status", text="où est mon colis ?")
    assert latest["responses"][0]["order_id"] == "o-12ab34", "no number: the latest order"


async def test_a_number_that_is_not_theirs_is_refused_with_the_orders_they_have(
    call, services
) -> None:
    await bought(services, "A-70002", "Lampe", 20)
    await bought(services, "CMD-70009", "Canapé Oslo", 3)
    answer = await call("action_order_status", intent="order_status",
                        text="ma commande CMD-12345 ?",
                        entities=[{"entity": "order_id", "value": "CMD-12345"}])  # fmt: skip
    assert said(answer) == ["utter_order_not_theirs"]
    assert answer["responses"][0]["number"] == "CMD-12345"
    assert answer["responses"][0]["orders"] == "CMD-70009 et A-70002"


async def test_a_problem_told_in_the_first_message_fills_the_whole_form(call, services) -> None:
    await bought(services, "CMD-70009", "Canapé Oslo", 3)
    text = "ma commande CMD-70009 est arrivée abîmée, un pied du canapé est cassé"
    answer = await call("validate_problem_form", intent="report_problem", text=text,
                        active_loop="problem_form", domain=DOMAIN)  # fmt: skip
    assert slots(answer) | {"form_failures": 0} == {
        "problem_order": "CMD-70009", "problem_kind": "broken", "problem_details": text,
        "form_failures": 0,
    }


async def test_a_free_text_answer_to_what_happened_is_the_kind_of_problem(call) -> None:
    answer = await call("validate_problem_form", intent="inform", active_loop="problem_form",
                        text="l'ampoule n'était pas dans le carton", domain=DOMAIN,
                        slots={"requested_slot": "problem_kind", "problem_order": "CMD-1"})
    assert slots(answer)["problem_kind"] == "missing_item"


async def test_without_an_order_in_the_message_the_customer_s_orders_are_offered(
    call, services
) -> None:
    await bought(services, "A-70002", "Lampe", 20)
    await bought(services, "CMD-70009", "Canapé Oslo", 3)
    asked = await call("action_ask_problem_order", active_loop="problem_form", domain=DOMAIN)
    (offer,) = asked["responses"]
    assert offer["response"] == "utter_which_order"
    assert [b["payload"] for b in offer["buttons"]] == ["CMD-70009", "A-70002"]
    assert offer["buttons"][0]["title"].startswith("CMD-70009 · ")
    wrong = await call("validate_problem_form", intent="inform", active_loop="problem_form",
                       text="CMD-55555", slots={"requested_slot": "problem_order"}, domain=DOMAIN,
                       slot_events={"problem_order": "CMD-55555"})  # fmt: skip
    assert said(wrong) == ["utter_order_not_theirs"] and slots(wrong)["problem_order"] is None
    assert "form_failures" not in slots(wrong), "not counted: no 'shall we go on?' for this"


async def test_only_one_order_is_offered_to_confirm(call, services) -> None:
    await bought(services, "A-70002", "Lampe", 20)
    asked = await call("action_ask_problem_order", active_loop="problem_form", domain=DOMAIN)
    assert said(asked) == ["utter_confirm_only_order"]
    assert asked["responses"][0]["buttons"][0]["payload"] == "A-70002"


async def test_a_rating_and_an_item_in_the_first_sentence_fill_the_review_form(
    call, services
) -> None:
    await bought(services, "o-12ab34", "Blue mug", 9)
    for text in ("I'd give the blue mug 4 out of 5", "je lui mets quatre étoiles, au mug"):
        answer = await call("validate_review_form", intent="leave_review", text=text,
                            active_loop="review_form", domain=DOMAIN)  # fmt: skip
        assert slots(answer)["review_rating"] == "4", text
        assert slots(answer)["review_subject"] == "o-12ab34", text


async def test_order_book_lists_items_newest_first(services) -> None:
    await bought(services, "A-1", "Lampe", 20)
    await bought(services, "A-2", "Mug", 2)
    known = await OrderBook(services.account._db).known_orders("customer-1")
    assert [(o.id, o.items) for o in known] == [("A-2", ("Mug",)), ("A-1", ("Lampe",))]


def test_the_action_call_builder_sets_text() -> None:
    assert action_call("x", text="bonjour")["tracker"]["latest_message"]["text"] == "bonjour"


async def answer_in_review(call, text: str, asked: str, entities=(), **filled) -> dict:  # type: ignore[no-untyped-def]
    """The review form's validation of ``text`` given at the question for ``asked`` (the
    slot the domain's mapping filled with it), ``filled`` being what was answered before."""
    return await call(  # type: ignore[no-any-return]
        "validate_review_form", intent="inform", text=text, active_loop="review_form",
        domain=DOMAIN, slots={"requested_slot": asked, **filled}, entities=list(entities),
        slot_events={asked: text},
    )  # fmt: skip


async def test_another_order_number_at_a_later_question_corrects_the_form_s_order(
    call, services
) -> None:
    """Was: "no not that one, it's CMD-51217" at the rating question left the review on the
    first order (and was taken as a rating)."""
    await bought(services, "CMD-71216", "Vase", 12)
    await bought(services, "CMD-71217", "Tablecloth", 5)
    text = "no not that one, it's CMD-71217"
    review = await answer_in_review(call, text, "review_rating", review_subject="CMD-71216",
                                    entities=[{"entity": "order_id", "value": "CMD-71217"}])
    assert slots(review)["review_subject"] == "CMD-71217"
    assert slots(review)["review_rating"] is None, "asked again, not refused"
    assert said(review) == [] and slots(review).get("form_failures", 0) == 0
    text = "non pas celle-là, la 71216"
    problem = await call("validate_problem_form", intent="inform", text=text,
                         active_loop="problem_form", domain=DOMAIN,
                         slots={"requested_slot": "problem_kind", "problem_order": "CMD-71217"},
                         slot_events={"problem_kind": text})  # fmt: skip
    assert slots(problem)["problem_order"] == "CMD-71216"
    assert slots(problem)["problem_kind"] is None


async def test_an_item_named_in_a_later_answer_does_not_change_the_order(call, services) -> None:
    await bought(services, "CMD-71216", "Vase", 12)
    await bought(services, "CMD-71217", "Tablecloth", 5)
    text = "it goes well with my vase"
    answer = await answer_in_review(call, text, "review_text", review_subject="CMD-71217",
                                    review_rating="5")
    assert "review_subject" not in slots(answer)
    assert slots(answer)["review_text"] == text


async def test_a_review_read_as_a_yes_is_still_the_review_at_its_question(call, services) -> None:
    """Was: "lovely vase, exactly like the pictures" (read as affirm) answered "let's carry
    on" and asked for the review again."""
    await bought(services, "CMD-71216", "Vase", 12)
    text = "lovely vase, exactly like the pictures"
    answer = await call("validate_review_form", intent="affirm", text=text,
                        active_loop="review_form", domain=DOMAIN,
                        slots={"requested_slot": "review_text", "review_subject": "CMD-71216",
                               "review_rating": "5"})  # fmt: skip
    assert slots(answer)["review_text"] == text
    short = await call("validate_review_form", intent="affirm", text="yes exactly",
                       active_loop="review_form", domain=DOMAIN,
                       slots={"requested_slot": "review_text", "review_subject": "CMD-71216",
                              "review_rating": "5"})  # fmt: skip
    assert "review_text" not in slots(short), "a plain yes is no review"


async def test_an_idea_given_when_offering_it_is_its_title(call) -> None:
    answer = await call("validate_idea_form", intent="submit_idea", active_loop="idea_form",
                        text="j'ai une idée : des carnets en papier recyclé", domain=DOMAIN)
    assert slots(answer)["idea_title"] == "des carnets en papier recyclé"
