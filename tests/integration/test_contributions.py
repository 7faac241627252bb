"""Contributions: rewards follow moderation, the same whatever the rating; ideas get votes."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from aiohttp.test_utils import TestClient, TestServer

from engagement.commerce import InvalidField
from engagement.contributions import Submission
from engagement.services.contributions import NoPurchaseYet
from engagement.settings import Settings
from engagement.web.app import create_app
from engagement.web.keys import CONTRIBUTIONS, REWARDS, RULES_BOOK
from tests.fakes import FixedClock
from tests.integration.rewards_fixtures import incoming

RULES = """
version: 1
badges:
  first_review: {fr: "Premier avis", en: "First review"}
rules:
  - id: review_points
    on: review_approved
    then: {points: 30, fusion: 3}
  - id: first_review_badge
    on: review_approved
    if:
      - customer.reviews: {eq: 1}
    then: {badge: first_review}
  - id: idea_points
    on: idea_approved
    then: {points: 40}
  - id: vote_points
    on: vote
    then: {points: 2}
"""
AT = datetime(2026, 11, 24, 9, tzinfo=timezone.utc)


@pytest.fixture
async def client(settings: Settings, migrated_url: str):  # type: ignore[no-untyped-def]
    app = create_app(settings, clock=FixedClock())
    await app[RULES_BOOK].publish(RULES, "tests")
    # contributions come from customers who bought (the rules above pay nothing for it)
    for number, customer in enumerate(("ana", "ben", "carl", "c-1", "harsh", "happy")):
        await app[REWARDS].record_event(incoming({
            "id": f"buy-{number}", "type": "purchase", "customer_id": customer,
            "order_id": f"o-{customer}", "occurred_at": AT.isoformat(), "total": 20,
        }))  # fmt: skip
    async with TestClient(TestServer(app)) as client:
        client.admin = {"Authorization": f"Bearer {settings.admin_token}"}
        yield client


def review(contribution_id: str, customer: str, rating: int) -> Submission:
    return Submission(contribution_id, customer, "review", AT, body="ok", rating=rating,
                      order_id="o-1")  # fmt: skip


async def points(client, customer: str) -> int:  # type: ignore[no-untyped-def]
    response = await client.get(f"/api/v1/customers/{customer}", headers=client.admin)
    return int((await response.json())["points"])


async def decide(client, contribution: str, decision: str):  # type: ignore[no-untyped-def]
    return await client.post(
        f"/api/v1/contributions/{contribution}/moderation",
        json={"decision": decision, "note": "checked"},
        headers=client.admin,
    )


async def test_a_review_pays_on_approval_the_same_whatever_its_rating(client) -> None:
    contributions = client.app[CONTRIBUTIONS]
    assert (await contributions.submit(review("r-1", "harsh", 1)))[0] == "pending"
    await contributions.submit(review("r-2", "happy", 5))
    assert (await points(client, "harsh"), await points(client, "happy")) == (0, 0)
    queue = await client.get("/api/v1/contributions?kind=review", headers=client.admin)
    assert [c["id"] for c in (await queue.json())["contributions"]] == ["r-1", "r-2"]
    for contribution in ("r-1", "r-2"):
        answer = await decide(client, contribution, "approve")
        assert answer.status == 200
        assert {a["rule"] for a in (await answer.json())["awarded"]} == {
            "review_points", "first_review_badge",
        }  # fmt: skip
    assert await points(client, "harsh") == await points(client, "happy") == 30


async def test_rejecting_an_approved_review_takes_its_points_back(client) -> None:
    await client.app[CONTRIBUTIONS].submit(review("r-1", "c-1", 4))
    await decide(client, "r-1", "approve")
    rejected = await decide(client, "r-1", "reject")
    assert (await rejected.json())["points_reversed"] == 30
    assert await points(client, "c-1") == 0
    again = await decide(client, "r-1", "approve")
    assert again.status == 409


async def test_moderation_is_for_community_managers_and_checks_its_input(
    client, settings: Settings
) -> None:
    await client.app[CONTRIBUTIONS].submit(review("r-1", "c-1", 4))
    assert (await decide(client, "nope", "approve")).status == 404
    assert (await decide(client, "r-1", "publish")).status == 422
    assert (await decide(client, "r-1", "ship")).status == 409  # only ideas ship
    anonymous = await client.post("/api/v1/contributions/r-1/moderation", json={})
    assert anonymous.status == 401
    assert await points(client, "c-1") == 0


async def test_ideas_are_voted_for_once_per_customer_and_never_by_their_author(client) -> None:
    contributions = client.app[CONTRIBUTIONS]
    for number, author in enumerate(("ana", "ben")):
        await contributions.submit(
            Submission(f"i-{number}", author, "idea", AT, title=f"Idea {number}", body="...")
        )
    with pytest.raises(Exception, match="published"):
        await contributions.vote("i-0", "ben")
    await decide(client, "i-0", "approve")
    await decide(client, "i-1", "approve")
    assert await contributions.vote("i-1", "ana") == (True, 1)
    assert await contributions.vote("i-1", "ana") == (False, 1)
    assert await contributions.vote("i-1", "carl") == (True, 2)
    with pytest.raises(Exception, match="own idea"):
        await contributions.vote("i-0", "ana")
    ideas = await client.get("/api/v1/ideas", headers=client.admin)
    assert [(i["id"], i["votes"]) for i in (await ideas.json())["ideas"]] == [
        ("i-1", 2), ("i-0", 0),
    ]  # fmt: skip
    assert await points(client, "ana") == 40 + 2  # her approved idea, one vote given
    assert await points(client, "carl") == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"rating": 6}, "rating"), ({"rating": None}, "rating"), ({"order_id": None}, "order_id"),
     ({"kind": "rant"}, "kind"), ({"body": "x" * 5001}, "body")],
)  # fmt: skip
def test_a_bad_submission_names_its_field(changes: dict, field: str) -> None:
    fields = {"id": "r", "customer_id": "c", "kind": "review", "occurred_at": AT,
              "rating": 3, "order_id": "o-1", **changes}  # fmt: skip
    with pytest.raises(InvalidField) as caught:
        Submission(**fields)
    assert caught.value.field == field


async def test_a_rules_file_published_over_http_applies_from_the_next_event(client) -> None:
    broken = RULES.replace("on: vote", "on: voting")
    refused = await client.post("/api/v1/rules", data=broken, headers=client.admin)
    assert refused.status == 422
    ((problem,),) = [(await refused.json())["problems"]]
    assert problem["line"] == RULES.splitlines().index("    on: vote") + 1
    generous = RULES.replace("then: {points: 30, fusion: 3}", "then: {points: 60}")
    published = await client.post("/api/v1/rules", data=generous, headers=client.admin)
    assert (published.status, (await published.json())["version"]) == (201, 2)
    await client.app[CONTRIBUTIONS].submit(review("r-1", "c-1", 2))
    await decide(client, "r-1", "approve")
    assert await points(client, "c-1") == 60
    versions = await client.get("/api/v1/rules/versions", headers=client.admin)
    assert [v["version"] for v in (await versions.json())["versions"]] == [2, 1]


async def test_a_customer_who_never_bought_cannot_contribute(client) -> None:
    """Contributions earn points: accounts made up for the purpose cannot farm them."""
    contributions = client.app[CONTRIBUTIONS]
    with pytest.raises(NoPurchaseYet):
        await contributions.submit(review("r-9", "made-up-1", 5))
    await contributions.submit(Submission("i-9", "ana", "idea", AT, title="Idea", body="..."))
    await decide(client, "i-9", "approve")
    with pytest.raises(NoPurchaseYet):
        await contributions.vote("i-9", "made-up-2")
    unknown = await client.get("/api/v1/customers/made-up-2", headers=client.admin)
    assert unknown.status == 404, "nothing was written for them"
