"""Two requests that change the same state at once (issue 17): exactly one wins, the other
gets the domain error (409 over HTTP) and writes nothing, and the database shows one effect.
Each attempt is stopped after its read and before its write until the other got there
(tests/integration/interleaving.py), on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer

from engagement.contributions import Submission
from engagement.coupons import CouponAlreadyRedeemed
from engagement.identity import LinkOutcome
from engagement.referrals import REFERRAL
from engagement.services.attention import AttentionService
from engagement.services.contributions import VoteRefused
from engagement.services.coupons import CouponService
from engagement.services.customers import CustomerService
from engagement.services.identity import IdentityService
from engagement.services.privacy import PrivacyService, Pseudonyms
from engagement.services.rewards import RewardsService
from engagement.services.rules_book import RulesBook
from engagement.settings import Settings
from engagement.storage import tables as t
from engagement.storage.database import Database
from engagement.web.app import create_app
from engagement.web.keys import CONTRIBUTIONS, DATABASE, PRIVACY, REFERRALS, REWARDS, RULES_BOOK
from tests.fakes import FixedClock
from tests.integration import rewards_fixtures
from tests.integration.interleaving import Interleaving
from tests.integration.rewards_fixtures import incoming

AT = datetime(2026, 11, 24, 9, tzinfo=timezone.utc)
MODERATION_RULES = """
version: 1
rules:
  - id: review_points
    on: review_approved
    then: {points: 30}
"""

Race = Callable[[Collection[str]], Interleaving]


@pytest.fixture
def race(monkeypatch: pytest.MonkeyPatch, database_kind: str) -> Race:
    """``race(tables)``: attempts stopped at their first write to ``tables``."""
    return lambda tables: Interleaving(monkeypatch, tables, database_kind)


async def rows(database: Database, query: sa.sql.Select) -> list[sa.engine.Row]:
    async with database.connect() as conn:
        return list(await conn.execute(query))


async def test_a_linking_code_links_one_of_two_conversations(
    database: Database, race: Race
) -> None:
    identity = IdentityService(database, FixedClock())
    code = await identity.new_code("lea")
    linking = race({"link_codes"})
    results = await linking.together(
        identity.link("tg-1", code.code, "telegram"), identity.link("sl-1", code.code, "slack")
    )
    assert sorted(r.outcome for r in results) == [LinkOutcome.LINKED, LinkOutcome.UNKNOWN]
    aliases = await rows(database, sa.select(t.customer_aliases.c.customer_id))
    assert [a.customer_id for a in aliases] == ["lea"]


@pytest.fixture
async def client(settings: Settings, migrated_url: str):  # type: ignore[no-untyped-def]
    """The real app; three customers who bought, Léa's review waiting for moderation."""
    app = create_app(settings, clock=FixedClock())
    await app[RULES_BOOK].publish(MODERATION_RULES, "tests")
    for customer in ("lea", "ben", "carl"):
        await app[REWARDS].record_event(incoming({
            "id": f"buy-{customer}", "type": "purchase", "customer_id": customer,
            "order_id": f"o-{customer}", "occurred_at": AT.isoformat(), "total": 20,
        }))  # fmt: skip
    await app[CONTRIBUTIONS].submit(
        Submission("r-1", "lea", "review", AT, body="ok", rating=4, order_id="o-lea")
    )
    async with TestClient(TestServer(app)) as client:
        client.admin = {"Authorization": f"Bearer {settings.admin_token}"}
        yield client


def decide(client, decision: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/contributions/r-1/moderation", json={"decision": decision}, headers=client.admin
    )


async def moderation_done(client) -> tuple[str, int, list[str]]:  # type: ignore[no-untyped-def]
    """The review's status, its author's points, the moderations the audit log keeps."""
    queue = await client.get("/api/v1/contributions?status=rejected", headers=client.admin)
    rejected = [c["id"] for c in (await queue.json())["contributions"]]
    profile = await (await client.get("/api/v1/customers/lea", headers=client.admin)).json()
    audit = await client.get("/api/v1/audit?action=contribution", headers=client.admin)
    actions = [e["action"] for e in (await audit.json())["entries"]]
    return ("rejected" if rejected else "approved"), profile["points"], actions


@pytest.mark.parametrize("decision", ["approve", "reject"])
async def test_a_review_is_approved_or_rejected_once(client, race: Race, decision: str) -> None:
    deciding = race({"contributions"})
    answers = await deciding.together(decide(client, decision), decide(client, decision))
    assert sorted(a.status for a in answers) == [200, 409]
    _, points, audited = await moderation_done(client)
    assert points == (30 if decision == "approve" else 0)  # paid once, or not at all
    assert audited == [f"contribution.{decision}"]  # the loser left no trace


async def test_an_approval_and_a_rejection_at_once_leave_one_decision_in_force(
    client, race: Race
) -> None:
    deciding = race({"contributions"})
    answers = await deciding.together(decide(client, "approve"), decide(client, "reject"))
    won = [d for d, a in zip(("approve", "reject"), answers, strict=True) if a.status == 200]
    assert all(a.status in (200, 409) for a in answers)
    if deciding.met:  # both decided on a pending review: the second to write is refused
        assert len(won) == 1
    # else (SQLite, one after the other) an approval may be followed by its rejection
    status, points, audited = await moderation_done(client)
    assert status == ("approved" if won == ["approve"] else "rejected")
    assert points == (30 if status == "approved" else 0)
    assert sorted(audited) == sorted(f"contribution.{d}" for d in won)


async def test_a_coupon_is_redeemed_by_one_of_two_checkouts(database: Database, race: Race) -> None:
    clock = FixedClock()
    rules = RulesBook(database, clock)
    await rules.publish(rewards_fixtures.RULES, "tests")
    recorded = await RewardsService(database, clock, rules).record_event(incoming({
        "id": "e-1", "type": "cancellation", "customer_id": "lea", "order_id": "o-1",
        "occurred_at": AT.isoformat(), "total": 20,
    }))  # fmt: skip
    code = next(a.coupon_code for a in recorded.awards if a.coupon_code)
    assert code is not None
    coupons = CouponService(database, clock)
    redeeming = race({"coupons"})
    results = await redeeming.together(
        coupons.redeem(code, "lea", Decimal(80), "o-2"),
        coupons.redeem(code, "lea", Decimal(80), "o-3"),
    )
    lost = [r for r in results if isinstance(r, CouponAlreadyRedeemed)]
    won = [r for r in results if not isinstance(r, Exception)]
    assert (len(won), len(lost)) == (1, 1), results
    orders = await rows(database, sa.select(t.coupons.c.redeemed_order_id))
    winner = "o-2" if results[0] is won[0] else "o-3"
    assert [o.redeemed_order_id for o in orders] == [winner]


async def test_two_first_purchases_at_once_move_the_customer_up_the_ladder_once(
    database: Database, race: Race
) -> None:
    clock = FixedClock()
    rules = RulesBook(database, clock)
    await rules.publish(rewards_fixtures.RULES, "tests")
    await CustomerService(database, clock).greet("lea")  # known, on the first stage
    rewards = RewardsService(database, clock, rules)
    purchases = [
        incoming({"id": f"e-{n}", "type": "purchase", "customer_id": "lea", "order_id": f"o-{n}",
                  "occurred_at": AT.isoformat(), "total": 20})
        for n in (1, 2)
    ]  # fmt: skip
    moving = race({"customers"})
    results = await moving.together(*(rewards.record_event(p) for p in purchases))
    assert [r.stage for r in results] == ["choice", "choice"]
    sc = t.stage_changes.c
    changes = await rows(database, sa.select(sc.from_stage, sc.to_stage, sc.event_id))
    assert [(c.from_stage, c.to_stage) for c in changes] == [("need", "choice")]
    assert changes[0].event_id in ("e-1", "e-2")
    assert [r.stage for r in await rows(database, sa.select(t.customers.c.stage))] == ["choice"]


async def ben_s_idea_voted_for_by_lea_and_carl(client) -> None:  # type: ignore[no-untyped-def]
    contributions = client.app[CONTRIBUTIONS]
    await contributions.submit(Submission("i-1", "ben", "idea", AT, title="Refills", body="…"))
    await contributions.moderate("i-1", "approve", "tests")
    for voter in ("lea", "carl"):
        await contributions.vote("i-1", voter)


async def votes(client) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    ideas = await (await client.get("/api/v1/ideas", headers=client.admin)).json()
    return [(i["id"], i["votes"]) for i in ideas["ideas"]]


async def test_a_customer_erased_twice_at_once_is_erased_once(client, race: Race) -> None:
    await ben_s_idea_voted_for_by_lea_and_carl(client)
    erasing = race({"idea_votes", "contributions"})
    answers = await erasing.together(
        *(client.delete("/api/v1/customers/lea", headers=client.admin) for _ in range(2))
    )
    assert sorted(a.status for a in answers) == [200, 404]
    assert await votes(client) == [("i-1", 1)]  # Carl's
    audit = await client.get("/api/v1/audit?action=customer", headers=client.admin)
    assert [e["action"] for e in (await audit.json())["entries"]] == ["customer.erase"]


async def test_erasures_asked_from_two_channels_at_once_withdraw_a_vote_once(
    client, race: Race
) -> None:
    await ben_s_idea_voted_for_by_lea_and_carl(client)
    privacy = client.app[PRIVACY]
    erasing = race({"idea_votes", "contributions"})
    erased = await erasing.together(
        privacy.erase_customer("lea", "lea"), privacy.erase_customer("lea", "tg-lea")
    )
    assert [e.customer_id for e in erased] == ["lea", "lea"]  # each conversation is told so
    assert await votes(client) == [("i-1", 1)]


async def test_an_erasure_asked_again_while_the_job_erases_stays_queued(
    database: Database,
) -> None:
    clock = FixedClock()
    privacy = PrivacyService(database, clock, Pseudonyms.keyed(None))
    await privacy.erase_customer("lea", "lea")
    clock.advance(seconds=10)  # past the grace: the job takes it

    class AskedAgainMeanwhile:
        """Rasa's tracker store, while Léa asks again (a turn the job has not erased)."""

        async def erase(self, sender_ids: list[str]) -> int:
            await privacy.erase_customer("lea", "lea")
            return len(sender_ids)

    done = await privacy.erase_conversations(AskedAgainMeanwhile())  # type: ignore[arg-type]
    assert (done.conversations, done.pending) == (1, 1)
    queued = await rows(database, sa.select(t.erasures.c.sender_id, t.erasures.c.requested_at))
    assert [(q.sender_id, q.requested_at) for q in queued] == [("lea", clock.now())]


async def test_a_vote_cast_while_its_idea_is_rejected_is_refused(client, race: Race) -> None:
    contributions = client.app[CONTRIBUTIONS]
    await contributions.submit(Submission("i-1", "ben", "idea", AT, title="Refills", body="…"))
    await contributions.moderate("i-1", "approve", "tests")
    voting = race({"events"})
    voted, _ = await voting.overtaken(
        contributions.vote("i-1", "lea"), contributions.moderate("i-1", "reject", "tests")
    )
    if voting.met:  # the idea was rejected after the vote read it published
        assert isinstance(voted, VoteRefused), voted
        assert await rows(client.app[DATABASE], sa.select(t.idea_votes)) == []
        assert await rows(client.app[DATABASE], sa.select(t.events).where(
            t.events.c.type == "vote")) == []  # fmt: skip
    else:  # SQLite: the vote, then the rejection
        assert voted == (True, 1)
    idea = await rows(client.app[DATABASE], sa.select(t.contributions.c.status).where(
        t.contributions.c.id == "i-1"))  # fmt: skip
    assert [i.status for i in idea] == ["rejected"]


async def test_a_language_chosen_while_a_greeting_detects_another_is_kept(
    database: Database, race: Race
) -> None:
    customers = CustomerService(database, FixedClock())
    await customers.greet("lea")  # no language known yet
    greeting = race({"customers"})
    await greeting.overtaken(customers.greet("lea", "fr"), customers.choose_language("lea", "en"))
    profile = await customers.profile("lea")
    assert profile is not None and profile.language == "en"


async def guesses(identity: IdentityService, client: str, *conversations: str) -> list[str]:
    """Each conversation types, one after the other, a code nobody was given."""
    return [(await identity.link(c, "000000", None, client)).outcome for c in conversations]


async def test_a_client_s_fifth_wrong_code_locks_it_out_even_when_two_come_at_once(
    database: Database, race: Race
) -> None:
    clock = FixedClock()
    identity = IdentityService(database, clock)
    assert (
        await guesses(identity, "guesser", *(f"~{n}" for n in range(4)))
        == [LinkOutcome.UNKNOWN] * 4
    )
    guessing = race({"link_attempts"})
    results = await guessing.together(
        *(identity.link(c, "000000", None, "guesser") for c in ("~a", "~b"))
    )
    assert sorted(r.outcome for r in results) == [LinkOutcome.LOCKED, LinkOutcome.UNKNOWN]
    a = t.link_attempts.c
    tried = dict(await rows(database, sa.select(a.sender_id, a.failures)))
    assert tried["client:guesser"] == 5
    assert ("~a" in tried) != ("~b" in tried)  # the attempt locked out wrote nothing
    clock.advance(hours=1)
    assert await guesses(identity, "guesser", "~c") == [LinkOutcome.UNKNOWN]  # a new window


async def test_a_new_client_s_first_wrong_codes_at_once_are_both_counted(
    database: Database, race: Race
) -> None:
    identity = IdentityService(database, FixedClock())
    guessing = race({"link_attempts"})
    results = await guessing.together(
        *(identity.link(c, "000000", None, "new") for c in ("~a", "~b"))
    )
    assert [r.outcome for r in results] == [LinkOutcome.UNKNOWN] * 2
    a = t.link_attempts.c
    tries = await rows(database, sa.select(a.failures).where(a.sender_id == "client:new"))
    assert [r.failures for r in tries] == [2]


async def test_a_customer_asking_twice_at_once_for_a_referral_code_gets_one(
    client, race: Race
) -> None:
    referrals = client.app[REFERRALS]
    asking = race({"personal_codes"})
    codes = await asking.together(*(referrals.code_for("lea", REFERRAL) for _ in range(2)))
    assert len({c.code for c in codes}) == 1, codes
    kept = await rows(client.app[DATABASE], sa.select(t.personal_codes.c.code))
    assert [k.code for k in kept] == [codes[0].code]


async def test_a_nudge_answered_by_two_messages_at_once_counts_one_answer(
    database: Database, race: Race
) -> None:
    """Was: both messages read the nudge unanswered and both recorded its answer."""
    clock = FixedClock(AT)
    rules = RulesBook(database, clock)
    await rules.publish(rewards_fixtures.RULES, "tests")
    async with database.begin() as conn:
        await conn.execute(sa.insert(t.campaigns).values(
            id="c-1", name="c", spec={}, status="running", created_by="tests", created_at=AT,
            updated_at=AT,
        ))  # fmt: skip
        await conn.execute(sa.insert(t.campaign_runs).values(
            id="r-1", campaign_id="c-1", planned_for=AT, created_at=AT,
        ))  # fmt: skip
        await conn.execute(sa.insert(t.deliveries).values(
            run_id="r-1", campaign_id="c-1", customer_id="lea", sender_id="lea", language="fr",
            marketing=True, status="sent", reason="", sent_at=AT, created_at=AT,
        ))  # fmt: skip
    rewards = RewardsService(database, clock, rules)
    answering = race({"deliveries"})
    at = AT + timedelta(minutes=5)
    later = at + timedelta(hours=1)  # another hour: the hour counts do not lock each other
    counted = await answering.together(  # two services: neither remembers the other's message
        AttentionService(database, clock, rewards).wrote("lea", "lea", at),
        AttentionService(database, clock, rewards).wrote("lea", "lea", later),
    )
    assert sorted(counted) == [0, 1], counted
    e = t.events.c
    assert len(await rows(database, sa.select(e.id).where(e.type == "nudge_answer"))) == 1
