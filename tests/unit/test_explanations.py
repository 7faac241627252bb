""""Why no points?": what the customer asks about, and the answer about that activity only."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engagement.explanations import (
    Activity,
    Asked,
    Entry,
    Explanation,
    Logged,
    asked_about,
    explain,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
PAYING = {"purchase_points", "first_purchase_badge", "review_points", "idea_vote"}


def at(days: int) -> datetime:
    return T0 + timedelta(days=days)


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("Why didn't I get points for my review?", "review"),
        ("pk g pas eu de pionts pour mon avis", "review"),
        ("mes points pour l'avis sur la robe sont jamais arrivés", "review"),
        ("j'ai voté pour une idée et zéro point, normal ?", "vote"),
        ("voted on an idea and zero points, is that normal?", "vote"),
        ("la récompense pour mon idée n'est jamais arrivée", "idea"),
        ("j'ai parrainé une amie et j'ai rien eu", "referral"),
        ("my friend signed up with my link and I didn't get my points", "referral"),
        ("I shared on insta but no points, why?", "share"),
        ("mon achat ne m'a pas rapporté de points, c'est normal ?", "purchase"),
        ("toujours rien sur mes points depuis ma comande", "purchase"),
        ("got zero points for my order, is that a mistake?", "purchase"),
        ("pourquoi j'ai pas eu de points pour mon abonnement aux nouvelles ?", "news"),
        ("why didn't I get points for subscribing to the news?", "news"),
        ("rien reçu en rejoignant le club", "club"),
        ("pourquoi mes points ont pas été ajoutés ?", None),
        ("why wasn't the badge given to me?", None),
        ("c'est votre faute, votre site", None),  # "votre" is no vote
    ],
)
def test_the_subject_is_read_from_the_customers_words(text: str, subject: str | None) -> None:
    assert asked_about(text).subject == subject


def test_an_order_number_makes_the_question_about_that_order() -> None:
    assert asked_about("pk mon achat m'a rien rapporté", "CMD-55871") == Asked(
        "purchase", "CMD-55871"
    )
    assert asked_about("et pour la #48213 ?") == Asked("purchase", "#48213")
    assert asked_about("mon avis sur CMD-12345 ?") == Asked("review", "CMD-12345")


# The customer of the conversation issue: three purchases (the third's badge rules did not
# apply), then a review waiting for moderation.
PURCHASES = [
    Activity("purchase", at(day), (f"buy-{n}",), order_id=f"CMD-{n}")
    for n, day in ((1, 0), (2, 5), (3, 9))
]
REVIEW = Activity("review", at(10), ("contribution:r1", "contribution:r1:approved"), "pending",
                  "CMD-3")  # fmt: skip
DECISIONS = [
    Logged("buy-3", "purchase_points", "awarded"),
    Logged("buy-3", "first_purchase_badge", "not_eligible"),
    Logged("buy-3", "repeat_purchase_badge", "not_eligible"),
    Logged("buy-3", "purchase_streak_badge", "not_eligible"),
]
LEDGER = [Entry(1, "buy-1", 40), Entry(2, "buy-2", 40), Entry(3, "buy-3", 35)]


def test_a_review_waiting_for_moderation_is_the_answer_not_the_purchases_rules() -> None:
    answer = explain(Asked("review"), [*PURCHASES, REVIEW], DECISIONS, LEDGER, PAYING)
    assert answer == Explanation("review", "pending")


def test_without_a_subject_the_answer_is_about_the_most_recent_activity() -> None:
    assert explain(Asked(None), [*PURCHASES, REVIEW], DECISIONS, LEDGER, PAYING) == Explanation(
        "review", "pending"
    )
    latest_purchase = explain(Asked(None), PURCHASES, DECISIONS, LEDGER, PAYING)
    assert latest_purchase == Explanation("purchase", "awarded", points=35, order_id="CMD-3")


def test_nothing_of_that_kind_is_said_so() -> None:
    assert explain(Asked("review"), PURCHASES, DECISIONS, LEDGER, PAYING) == Explanation(
        "review", "none_found"
    )
    assert explain(Asked("vote"), [], [], [], PAYING) == Explanation("vote", "none_found")
    assert explain(Asked(None), [], [], [], PAYING) == Explanation(None, "none_found")
    unknown = explain(Asked("purchase", "CMD-9"), PURCHASES, DECISIONS, LEDGER, PAYING)
    assert unknown == Explanation("purchase", "unknown_order", order_id="CMD-9")


def test_a_named_order_is_the_one_explained_whatever_its_spelling() -> None:
    answer = explain(Asked("purchase", "#2"), PURCHASES, DECISIONS, LEDGER, PAYING)
    assert answer == Explanation("purchase", "awarded", points=40, order_id="CMD-2")


def test_a_rejected_contribution_and_a_refunded_order_say_so() -> None:
    rejected = Activity("review", at(3), ("contribution:r2", "contribution:r2:approved"),
                        "rejected")  # fmt: skip
    assert explain(Asked("review"), [rejected], [], [], PAYING).outcome == "rejected"
    refund = [*LEDGER, Entry(4, "refund-2", -40, reverses=2)]
    answer = explain(Asked("purchase", "CMD-2"), PURCHASES, DECISIONS, refund, PAYING)
    assert answer == Explanation("purchase", "refunded", order_id="CMD-2")


def test_a_rule_that_did_not_pay_is_named_with_its_outcome() -> None:
    approved = Activity("review", at(3), ("contribution:r3", "contribution:r3:approved"),
                        "approved")  # fmt: skip
    capped = [Logged("contribution:r3:approved", "review_points", "capped"),
              Logged("contribution:r3:approved", "first_review_badge", "not_eligible")]  # fmt: skip
    answer = explain(Asked("review"), [approved], capped, [], PAYING)
    assert answer == Explanation("review", "capped", "review_points")
    votes = [Activity("vote", at(1), ("vote:i1:c",)), Activity("vote", at(2), ("vote:i2:c",))]
    logged = [Logged("vote:i1:c", "idea_vote", "awarded"),
              Logged("vote:i2:c", "idea_vote", "capped")]  # fmt: skip
    assert explain(Asked("vote"), votes, logged, [Entry(9, "vote:i1:c", 2)], PAYING) == (
        Explanation("vote", "capped", "idea_vote")
    )


def test_a_rule_that_pays_once_ever_is_said_to_be_given_once() -> None:
    news = [Activity("news", at(1), ("opt_in-1",)), Activity("news", at(2), ("opt_in-2",))]
    logged = [Logged("opt_in-1", "opt_in_thanks", "awarded"),
              Logged("opt_in-2", "opt_in_thanks", "capped")]  # fmt: skip
    ledger = [Entry(9, "opt_in-1", 10)]
    paying = {*PAYING, "opt_in_thanks"}
    assert explain(Asked(None), news, logged, ledger, paying, once={"opt_in_thanks"}) == (
        Explanation("news", "capped_once", "opt_in_thanks")
    )
    assert explain(Asked(None), news, logged, ledger, paying).outcome == "capped"


def test_a_badge_only_rule_is_no_answer_to_why_no_points() -> None:
    share = Activity("share", at(1), ("share:x",))
    badge_only = [Logged("share:x", "some_badge", "not_eligible")]
    assert explain(Asked("share"), [share], badge_only, [], PAYING) == Explanation(
        "share", "no_reward"
    )


def test_a_refused_referral_says_which_condition() -> None:
    refused = Activity("referral", at(1), ("p:referral",), "refused",
                       reason="not the friend's first purchase")  # fmt: skip
    assert explain(Asked("referral"), [refused], [], [], PAYING).outcome == (
        "refused_not_first_purchase"
    )
