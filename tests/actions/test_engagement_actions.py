"""The conversation's actions over the real action server, backed by the rewards engine.

Each test posts the JSON Rasa posts (built by ``tests.builders``) and checks the response
names, their data and the slots: the words themselves live in domain.yml.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import yaml

from bot.composition import PROJECT_DIR
from engagement.services.contributions import CONTRIBUTIONS_PER_WINDOW
from tests.actions.conftest import buy, said
from tests.builders import action_call
from tests.integration.rewards_fixtures import incoming


async def test_after_a_purchase_the_customer_sees_points_badge_and_progress(call, services) -> None:
    await buy(services, 48213)
    points = await call("action_check_points", intent="check_points")
    assert points["responses"][0]["points"] == 40 + 20
    badges = await call("action_check_badges", intent="check_badges")
    assert said(badges) == ["utter_badges"] and badges["responses"][0]["badges"] == "Premier achat"
    english = await call("action_check_badges", slots={"language": "en"})
    assert english["responses"][0]["badges"] == "First purchase"
    progress = await call("action_check_progress", intent="check_progress")
    assert said(progress) == ["utter_progress_choice", "utter_next_step_join_club"]


async def test_a_cancelled_order_leaves_a_coupon_the_customer_can_list(call, services) -> None:
    assert said(await call("action_list_coupons")) == ["utter_no_coupons"]
    await buy(services, 1)
    await services.rewards.record_event(incoming({
        "id": "cancel-1", "type": "cancellation", "customer_id": "customer-1",
        "order_id": "CMD-1", "occurred_at": datetime.now(timezone.utc).isoformat(), "total": 40,
    }))  # fmt: skip
    (coupon,) = (await call("action_list_coupons"))["responses"]
    assert coupon["response"] == "utter_coupon_percent"
    assert (coupon["discount"], coupon["min_basket"]) == ("10\u00a0%", "20\u00a0€")
    assert len(coupon["code"]) >= 13


@pytest.mark.parametrize(
    ("asked", "days_ago", "response"),
    [("48213", 1, "utter_order_placed"), ("#48213", 9, "utter_order_late"),
     ("CMD-99999", 1, "utter_order_not_theirs")],
)  # fmt: skip
async def test_order_status_is_transparent_about_a_late_order(
    call, services, asked, days_ago, response
) -> None:
    await buy(services, 48213, days_ago=days_ago)
    entities = [{"entity": "order_id", "value": asked}]
    answer = await call("action_order_status", intent="order_status", entities=entities)
    assert said(answer) == [response]


async def test_a_review_discloses_the_same_reward_whatever_the_rating(call, services) -> None:
    await buy(services, 1)
    disclosed = []
    for rating in ("1", "5"):
        answer = await call("action_submit_review", intent="inform", slots={
            "review_subject": "CMD-48213", "review_rating": rating, "review_text": "Bien reçu"
        })  # fmt: skip
        assert said(answer) == ["utter_review_received"]
        disclosed.append(answer["responses"][0]["points"])
        cleared = {e["name"]: e["value"] for e in answer["events"] if e["event"] == "slot"}
        assert cleared == {"review_subject": None, "review_rating": None, "review_text": None}
    assert disclosed == [30, 30]
    assert len(await services.contributions.queue("pending", "review")) == 2


async def test_two_invalid_ratings_explain_the_field_and_ask_to_continue(call) -> None:
    domain = yaml.safe_load((PROJECT_DIR / "domain.yml").read_text())
    tracker = {
        "active_loop": "review_form", "slots": {"requested_slot": "review_rating"},
        "domain": domain,
    }  # fmt: skip
    first = await call("validate_review_form", slot_events={"review_rating": "great"}, **tracker)
    rejected = {e["name"]: e["value"] for e in first["events"] if e["event"] == "slot"}
    assert said(first) == [] and rejected == {"review_rating": None, "form_failures": 1}
    second = await call(
        "validate_review_form",
        slot_events={"review_rating": "six"},
        **{**tracker, "slots": {"requested_slot": "review_rating", "form_failures": 1}},
    )
    assert said(second) == ["utter_explain_review_rating", "utter_ask_continue_form"]
    good = await call("validate_review_form", slot_events={"review_rating": "4/5"}, **tracker)
    slots = {e["name"]: e["value"] for e in good["events"] if e["event"] == "slot"}
    assert slots["review_rating"] == "4"


async def test_consent_is_recorded_and_rewarded_once(call, services) -> None:
    first = await call("action_opt_in", intent="opt_in")
    assert said(first) == ["utter_opted_in", "utter_reward_points"]
    assert first["responses"][1]["points"] == 10
    assert said(await call("action_opt_out", intent="opt_out")) == ["utter_opted_out"]
    assert said(await call("action_opt_in", intent="opt_in")) == ["utter_opted_in"]  # once ever
    assert (await services.account.points("customer-1")) == 10


async def test_customers_vote_for_published_ideas_once(call, services) -> None:
    await buy(services, 1)
    await buy(services, 2, customer="ana")
    answer = await call("action_submit_idea", slots={"idea_title": "Sac en lin", "idea_text": "…"},
                        sender="ana")  # fmt: skip
    assert said(answer) == ["utter_idea_received"]
    (idea,) = await services.contributions.queue("pending", "idea")
    assert said(await call("action_browse_ideas")) == ["utter_no_ideas"]
    await services.contributions.moderate(idea["id"], "approve", "tests")
    listed = await call("action_browse_ideas")
    assert said(listed) == ["utter_ideas_intro", "utter_idea_item"]
    assert listed["responses"][1]["idea_id"] == idea["id"]
    vote = {"intent": "vote_idea", "entities": [{"entity": "idea_id", "value": idea["id"]}]}
    counted = await call("action_vote_idea", **vote)
    assert said(counted) == ["utter_vote_counted"] and counted["responses"][0]["votes"] == 1
    assert said(await call("action_vote_idea", **vote)) == ["utter_vote_already"]
    assert said(await call("action_vote_idea", sender="ana", **vote)) == ["utter_vote_refused"]


async def test_why_no_points_answers_about_the_latest_activity_not_unrelated_rules(
    call, services
) -> None:
    """The first-purchase badge did not apply to the second purchase: that is no answer to
    "why no points?" (tests/actions/test_answers_about_what_was_asked.py has the rest)."""
    await buy(services, 1)
    await buy(services, 2)
    answer = await call("action_why_no_points", intent="why_no_points", text="mes points ?")
    assert said(answer) == ["utter_why_purchase_awarded"]
    assert (answer["responses"][0]["order_id"], answer["responses"][0]["points"]) == ("CMD-2", 40)


async def test_a_broken_item_gets_the_apology_the_rules_give(call, services) -> None:
    await buy(services, 48213)
    domain = yaml.safe_load((PROJECT_DIR / "domain.yml").read_text())
    tracker = {"active_loop": "problem_form", "domain": domain,
               "slots": {"requested_slot": "problem_order"}}  # fmt: skip
    unknown = await call("validate_problem_form", slot_events={"problem_order": "CMD-1"}, **tracker)
    known = await call("validate_problem_form", slot_events={"problem_order": "#48213"}, **tracker)
    slots = {e["name"]: e["value"] for e in known["events"] if e["event"] == "slot"}
    assert slots["problem_order"] == "CMD-48213"
    assert {e["name"]: e["value"] for e in unknown["events"]}["problem_order"] is None
    answer = await call("action_report_problem", intent="inform", slots={
        "problem_order": "CMD-48213", "problem_kind": "broken", "problem_details": "écran fêlé",
    })  # fmt: skip
    assert said(answer) == [
        "utter_problem_recorded", "utter_reward_points", "utter_reward_coupon", "utter_offer_human",
    ]  # fmt: skip
    assert answer["responses"][1]["points"] == 50


async def test_a_session_starts_with_points_and_stage_in_slots(call, services) -> None:
    await buy(services, 7)
    started = await call("action_session_start")
    slots = {e["name"]: e["value"] for e in started["events"] if e["event"] == "slot"}
    assert (slots["points"], slots["stage"]) == (40 + 20, "choice")


async def test_an_unclear_message_gets_likely_intents_then_a_human(call) -> None:
    domain = yaml.safe_load((PROJECT_DIR / "domain.yml").read_text())
    ranked = ("nlu_fallback", "check_points", "greet", "list_coupons")
    ranking = [{"name": name, "confidence": 0.4 - 0.1 * i} for i, name in enumerate(ranked)]
    first = action_call("action_suggest_intents", intent="nlu_fallback", domain=domain)
    first["tracker"]["latest_message"]["intent_ranking"] = ranking
    answer = await call.raw(first)
    (suggestion,) = answer["responses"]
    assert suggestion["response"] == "utter_suggest_intents"
    assert [b["payload"] for b in suggestion["buttons"]] == ["/check_points", "/list_coupons"]
    assert suggestion["buttons"][0]["title"] == "🎯 Mes points"
    second = action_call("action_suggest_intents", intent="nlu_fallback", domain=domain)
    second["tracker"]["latest_message"]["intent_ranking"] = ranking
    second["tracker"]["events"][1:1] = [{"event": "action", "name": "action_suggest_intents"},
                                        {"event": "action", "name": "action_listen"}]  # fmt: skip
    assert said(await call.raw(second)) == ["utter_still_unclear"]


async def test_export_my_data_summarises_what_is_kept(call, services) -> None:
    await buy(services, 3)
    answer = await call("action_export_my_data", intent="export_my_data")
    assert said(answer) == ["utter_export_summary", "utter_export_full"]
    kept = answer["responses"][0]
    assert (kept["orders"], kept["events"], kept["badges"], kept["points"]) == (1, 1, 1, 60)


async def test_a_customer_farming_reviews_is_slowed_down_and_nothing_extra_is_written(
    call, services
) -> None:
    await buy(services, 1)
    answers = []
    for n in range(CONTRIBUTIONS_PER_WINDOW + 2):
        answer = await call("action_submit_review", intent="inform", slots={
            "review_subject": f"CMD-{48200 + n}", "review_rating": "5", "review_text": "Top"
        })  # fmt: skip
        answers.append(said(answer))
    allowed = [["utter_review_received"]] * CONTRIBUTIONS_PER_WINDOW
    assert answers == allowed + [["utter_too_many_contributions"]] * 2
    queued = await services.contributions.queue("pending", "review")
    assert len(queued) == CONTRIBUTIONS_PER_WINDOW, "the refused ones left nothing behind"


async def test_votes_reviews_and_ideas_come_from_customers_who_bought(call, services) -> None:
    """Made-up accounts cannot farm points: a contribution needs a purchase first."""
    review = {"review_subject": "CMD-48213", "review_rating": "5", "review_text": "Bien reçu"}
    answer = await call("action_submit_review", intent="inform", slots=review)
    assert said(answer) == ["utter_contribution_needs_purchase"]
    idea = await call("action_submit_idea", slots={"idea_title": "Sac", "idea_text": "…"})
    assert said(idea) == ["utter_contribution_needs_purchase"]
    assert await services.contributions.queue("pending") == []
    await buy(services, 1)
    assert said(await call("action_submit_idea", slots={"idea_title": "Sac", "idea_text": "…"})
                ) == ["utter_idea_received"]  # fmt: skip
    (published,) = await services.contributions.queue("pending", "idea")
    await services.contributions.moderate(published["id"], "approve", "tests")
    vote = {"intent": "vote_idea", "entities": [{"entity": "idea_id", "value": published["id"]}]}
    assert said(await call("action_vote_idea", sender="nobody", **vote)) == [
        "utter_contribution_needs_purchase"
    ]


@pytest.mark.parametrize(
    ("sender", "channel"),
    [("~r-0123456789abcdef0123456789abcdef", "rest"), ("customer-1", "telegram")],
    ids=["anonymous-web", "messaging-app-not-linked"],
)
@pytest.mark.parametrize(
    "action",
    ["action_check_points", "action_list_coupons", "action_check_badges", "action_export_my_data",
     "action_delete_my_data", "action_vote_idea", "action_refer_friend", "action_opt_out"],
)
async def test_a_conversation_without_proof_reaches_no_account(
    call, services, sender: str, channel: str, action: str
) -> None:
    """An anonymous conversation, or a messaging app's whose platform id happens to be a
    customer id, is told how to sign in and sees or changes nothing."""
    await buy(services, 1, total=80)
    await buy(services, 2, total=35)  # customer-1 now holds points and a coupon
    before = await services.account.summary("customer-1")
    vote = [{"entity": "idea_id", "value": "idea-1"}]
    answer = await call(action, sender=sender, channel=channel, entities=vote)
    assert said(answer) == ["utter_needs_account"]
    assert await services.account.summary("customer-1") == before
