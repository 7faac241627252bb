"""Campaigns through the real aiohttp app and the scheduler's jobs on SQLite, with a fixed
clock; Rasa's side is a recording stand-in here (the e2e tests use the real one)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer

from bot.composition import DEFAULT_RULES
from engagement.nudges.planning import Guards
from engagement.rewards import IncomingEvent
from engagement.services.campaign_results import CampaignResults
from engagement.services.campaigns import CampaignService
from engagement.services.channels import ChannelRegistry
from engagement.services.nudging import NudgeService
from engagement.services.rewards import RewardsService
from engagement.services.rules_book import RulesBook
from engagement.settings import Settings
from engagement.storage import tables as t
from engagement.storage.database import Database
from engagement.web.app import create_app
from engagement.web.keys import RULES_BOOK
from tests.fakes import FixedClock, RecordingConversations
from tests.integration.rewards_fixtures import incoming

START = datetime(2026, 11, 25, 13, 0, tzinfo=timezone.utc)  # 14:00 in Paris


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def rasa() -> RecordingConversations:
    return RecordingConversations()


@pytest.fixture
async def client(settings: Settings, migrated_url: str, database: Database, clock, rasa):  # type: ignore[no-untyped-def]
    app = create_app(settings, database=database, clock=clock, conversations=rasa)
    await app[RULES_BOOK].publish(DEFAULT_RULES.read_text(), "tests")
    async with TestClient(TestServer(app)) as client:
        client.settings = settings
        yield client


def admin(client) -> dict:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {client.settings.admin_token}"}


async def customers(database: Database, clock: FixedClock) -> None:
    """Léa and Tom opted in and chat on the web; Zoé never opted in; Max opted out."""
    rewards = RewardsService(database, clock, RulesBook(database, clock))
    registry = ChannelRegistry(database, clock)
    for number, (customer, consent) in enumerate(
        [("lea", "opt_in"), ("tom", "opt_in"), ("zoe", None), ("max", "opt_out")]
    ):
        await rewards.record_event(incoming({
            "id": f"buy-{customer}", "type": "purchase", "customer_id": customer,
            "order_id": f"CMD-{number}", "total": 40,
            "occurred_at": (START - timedelta(days=40)).isoformat(),
        }))  # fmt: skip
        if consent:
            await rewards.record_event(IncomingEvent(
                id=f"{consent}-{customer}", type=consent, customer_id=customer,
                occurred_at=START - timedelta(days=1), source="conversation",
                customer_name=customer.capitalize(), customer_language="fr",
                customer_timezone="Europe/Paris",
            ))  # fmt: skip
        await registry.seen(customer, customer, "socketio")


CAMPAIGN = {
    "name": "Welcome back",
    "class": "marketing",
    "messages": {"fr": "Bonjour {{ first_name }}, vous avez {{ points }} points !",
                 "en": "Hello {{ first_name }}, you have {{ points }} points!"},
    "schedule": {"once": "2026-11-25T13:00:00+00:00"},
    "audience": {"all": [{"field": "days_since_purchase", "op": "gte", "value": 30}]},
    "holdout_percent": 0,
}  # fmt: skip


async def create(client, **changes) -> dict:  # type: ignore[no-untyped-def]
    answer = await client.post("/api/v1/campaigns", json={**CAMPAIGN, **changes},
                               headers=admin(client))  # fmt: skip
    assert answer.status == 201, await answer.text()
    return await answer.json()


def nudges(database: Database, clock: FixedClock, rasa: RecordingConversations) -> NudgeService:
    return NudgeService(database, clock, RulesBook(database, clock), Guards(), rasa)


async def scheduled(client, database, clock, rasa, **changes):  # type: ignore[no-untyped-def]
    """Léa, Tom, Zoé and Max on file, a campaign created, scheduled and planned."""
    await customers(database, clock)
    campaign = await create(client, **changes)
    await client.post(f"/api/v1/campaigns/{campaign['id']}/schedule", headers=admin(client))
    service = nudges(database, clock, rasa)
    await service.plan_due()
    return campaign, service


async def test_a_marketer_sizes_previews_schedules_and_the_nudges_go_out_once(
    client, database, clock, rasa
) -> None:
    await customers(database, clock)
    campaign = await create(client)
    audience = await (await client.get(f"/api/v1/campaigns/{campaign['id']}/audience",
                                       headers=admin(client))).json()  # fmt: skip
    assert audience == {"matching": 4, "would": {"send": 2, "no_consent": 1, "opted_out": 1},
                        "text": {"matching": "4 customers match"}}  # fmt: skip
    preview = await client.get(f"/api/v1/campaigns/{campaign['id']}/preview?customer_id=lea",
                               headers=admin(client))  # fmt: skip
    # 40 for the purchase, 20 for the first one, 10 for opting in
    assert (await preview.json())["fr"] == "Bonjour Lea, vous avez 70 points !"
    scheduled = await client.post(f"/api/v1/campaigns/{campaign['id']}/schedule",
                                  headers=admin(client))  # fmt: skip
    assert (await scheduled.json())["status"] == "scheduled"
    service = nudges(database, clock, rasa)
    assert (await service.plan_due()).deliveries == 4
    assert (await service.plan_due()).runs == 0, "a once campaign runs once"
    sent = await service.dispatch()
    assert sent.sent == 2
    assert sorted((s, c) for s, c, _, _ in rasa.nudges) == [
        ("lea", "socketio"),
        ("tom", "socketio"),
    ]
    assert (await service.dispatch()).sent == 0
    results = await (await client.get(f"/api/v1/campaigns/{campaign['id']}/results",
                                      headers=admin(client))).json()  # fmt: skip
    assert results["by_status"] == {"sent": 2, "skipped": 2}
    assert results["skipped_by_reason"] == {"no_consent": 1, "opted_out": 1}
    done = await client.get(f"/api/v1/campaigns/{campaign['id']}", headers=admin(client))
    assert (await done.json())["status"] == "done"


async def test_quiet_hours_busy_customers_and_rasa_outages_delay_but_lose_nothing(
    client, database, clock, rasa
) -> None:
    await customers(database, clock)
    clock.current = datetime(2026, 11, 25, 21, 30, tzinfo=timezone.utc)  # 22:30 in Paris
    campaign = await create(client, schedule={"once": "2026-11-25T21:30:00+00:00"})
    await client.post(f"/api/v1/campaigns/{campaign['id']}/schedule", headers=admin(client))
    service = nudges(database, clock, rasa)
    await service.plan_due()
    assert (await service.dispatch()).sent == 0, "quiet hours until 09:00 in Paris"
    clock.current = datetime(2026, 11, 26, 8, 0, tzinfo=timezone.utc)
    rasa.busy_senders["lea"] = "in_form"
    rasa.down = False
    first = await service.dispatch()
    assert (first.sent, first.deferred) == (1, 1)
    rasa.busy_senders.clear()
    rasa.down = True
    clock.advance(minutes=5)
    assert (await service.dispatch()).deferred == 1
    rasa.down = False
    clock.advance(minutes=1)
    assert (await service.dispatch()).sent == 1
    assert sorted(s for s, *_ in rasa.nudges) == ["lea", "tom"]


async def test_two_dispatchers_on_one_database_send_each_nudge_once(
    client, database, clock, rasa
) -> None:
    await customers(database, clock)
    campaign = await create(client, **{"class": "service"})
    await client.post(f"/api/v1/campaigns/{campaign['id']}/schedule", headers=admin(client))
    first, second = nudges(database, clock, rasa), nudges(database, clock, rasa)
    await first.plan_due()
    await asyncio.gather(first.dispatch(), second.dispatch(), first.dispatch())
    # service messages skip consent; Zoé, whose name we do not know, is skipped rather
    # than greeted with "Bonjour , …"
    assert sorted(s for s, *_ in rasa.nudges) == ["lea", "max", "tom"]
    results = await (await client.get(f"/api/v1/campaigns/{campaign['id']}/results",
                                      headers=admin(client))).json()  # fmt: skip
    assert list(results["skipped_by_reason"]) == ["missing_data: 'first_name' is undefined"]


async def test_a_bad_campaign_is_refused_naming_the_field(client) -> None:
    answer = await client.post("/api/v1/campaigns", headers=admin(client), json={
        **CAMPAIGN, "audience": {"all": [{"field": "stage", "op": "eq", "value": "vip"}]},
    })  # fmt: skip
    assert answer.status == 422 and (await answer.json())["field"] == "audience.all[0].value"
    listing = await client.get("/api/v1/campaigns", headers=admin(client))
    assert await listing.json() == {"campaigns": [], "text": {"count": "0 campaigns"}}
    community = {"Authorization": "Bearer nope-nope-nope-nope"}
    assert (await client.get("/api/v1/campaigns", headers=community)).status == 401


ESCAPES = [
    "{{ first_name.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ first_name|attr('__class__') }}",
    "{{ 'x' * 10000000000 }}",
    "{{ first_name|center(1000000000) }}",
    "{{ '%0999999999d' % 1 }}",
    "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
]


@pytest.mark.parametrize("message", ESCAPES)
async def test_a_message_that_escapes_the_sandbox_or_exhausts_the_service_is_never_saved(
    client, message: str
) -> None:  # type: ignore[no-untyped-def]
    spec = {**CAMPAIGN, "messages": {"fr": message, "en": "Hello {{ first_name }}"}}
    for path in ("/api/v1/campaigns", "/api/v1/campaigns/preview"):
        body = spec if path.endswith("campaigns") else {"campaign": spec}
        answer = await client.post(path, headers=admin(client), json=body)
        refusal = await answer.json()
        assert answer.status == 422 and refusal["field"] == "messages.fr", refusal
        assert "is not allowed in a message" in refusal["reason"]
    listing = await client.get("/api/v1/campaigns", headers=admin(client))
    assert (await listing.json())["campaigns"] == []


async def test_the_cap_counts_marketing_nudges_of_every_campaign(
    client, database, clock, rasa
) -> None:
    await customers(database, clock)
    service = nudges(database, clock, rasa)
    for number in range(3):
        campaign = await create(client, name=f"wave {number}")
        await client.post(f"/api/v1/campaigns/{campaign['id']}/schedule", headers=admin(client))
        await service.plan_due()
        await service.dispatch()
        clock.advance(hours=1)
    assert len(rasa.nudges) == 4, "two campaigns reach Léa and Tom, the third is capped"
    results = await (await client.get(f"/api/v1/campaigns/{campaign['id']}/results",
                                      headers=admin(client))).json()  # fmt: skip
    assert results["skipped_by_reason"]["capped"] == 2


async def test_a_marketer_test_sends_to_one_customer_whatever_the_guards(
    client, database, clock, rasa
) -> None:
    await customers(database, clock)
    campaign = await create(client)
    sent = await client.post(f"/api/v1/campaigns/{campaign['id']}/test-send",
                             json={"customer_id": "max"}, headers=admin(client))  # fmt: skip
    assert sent.status == 200, await sent.text()
    ((sender, channel, text, _),) = rasa.nudges
    assert (sender, channel) == ("max", "socketio") and text.startswith("Bonjour Max")
    results = await (await client.get(f"/api/v1/campaigns/{campaign['id']}/results",
                                      headers=admin(client))).json()  # fmt: skip
    assert results["by_status"] == {}


async def test_conversion_against_the_hold_out_and_a_self_pausing_campaign(
    client, database, clock, rasa
) -> None:
    rewards = RewardsService(database, clock, RulesBook(database, clock))
    registry = ChannelRegistry(database, clock)
    people = [f"c{n:03d}" for n in range(120)]
    for person in people:
        await rewards.record_event(IncomingEvent(
            id=f"in-{person}", type="opt_in", customer_id=person, occurred_at=START,
            source="conversation", customer_name=f"Client {person}",
        ))  # fmt: skip
        await registry.seen(person, person, "socketio")
    campaign = await create(client, holdout_percent=30, audience=None)
    await client.post(f"/api/v1/campaigns/{campaign['id']}/schedule", headers=admin(client))
    service = nudges(database, clock, rasa)
    await service.plan_due()
    while (await service.dispatch()).sent:
        pass
    nudged = {sender for sender, *_ in rasa.nudges}
    held_out = [p for p in people if p not in nudged]
    assert 20 <= len(held_out) <= 50
    clock.advance(days=2)
    buyers = sorted(nudged)[:40] + held_out[:5]
    for number, person in enumerate(buyers):
        await rewards.record_event(incoming({
            "id": f"later-{person}", "type": "purchase", "customer_id": person,
            "order_id": f"L-{number}", "total": 20, "occurred_at": clock.now().isoformat(),
        }))  # fmt: skip
    for person in sorted(nudged)[-8:]:
        await rewards.record_event(IncomingEvent(
            id=f"out-{person}", type="opt_out", customer_id=person, occurred_at=clock.now(),
            source="conversation",
        ))  # fmt: skip
    results = await (await client.get(f"/api/v1/campaigns/{campaign['id']}/results",
                                      headers=admin(client))).json()  # fmt: skip
    conversion = results["conversion"]
    assert conversion["sent"] == {"customers": len(nudged), "converted": 40,
                                  "rate": round(40 / len(nudged), 4)}  # fmt: skip
    assert conversion["held_out"]["converted"] == 5
    assert conversion["uplift"] == round(40 / len(nudged) - 5 / len(held_out), 4)
    assert conversion["opt_out_rate"] == round(8 / len(nudged), 4)
    # 8 opt-outs in ~85 nudged customers is above 5%: the campaign pauses itself
    review = CampaignResults(database, clock, CampaignService(database, clock,
                             RulesBook(database, clock), Guards()))  # fmt: skip
    assert campaign["id"] in await review.review()
    state = await (await client.get(f"/api/v1/campaigns/{campaign['id']}",
                                    headers=admin(client))).json()  # fmt: skip
    assert state["status"] == "paused" and state["status_reason"].startswith("opt-out rate")


async def results_of(client, campaign: dict) -> dict:  # type: ignore[no-untyped-def]
    answer = await client.get(f"/api/v1/campaigns/{campaign['id']}/results", headers=admin(client))
    return dict(await answer.json())


async def test_a_campaign_stops_handing_out_coupons_and_points_when_its_budget_is_spent(
    client, database, clock, rasa
) -> None:
    await customers(database, clock)
    campaign = await create(
        client, coupon="welcome_back_5", coupon_budget=1, points=15, points_budget=30,
        messages={"fr": "{{ first_name }}, votre bon : {{ coupon_code }}",
                  "en": "{{ first_name }}, your coupon: {{ coupon_code }}"},
    )  # fmt: skip
    await client.post(f"/api/v1/campaigns/{campaign['id']}/schedule", headers=admin(client))
    service = nudges(database, clock, rasa)
    await service.plan_due()
    outcome = await service.dispatch()
    assert (outcome.sent, outcome.deferred) == (1, 1)
    ((sender, _, text, _),) = rasa.nudges
    coupons = await (await client.get(f"/api/v1/customers/{sender}/coupons",
                                      headers=admin(client))).json()  # fmt: skip
    assert [c for c in coupons["coupons"] if c["code"] in text], "the coupon in the text is real"
    ledger = await (await client.get(f"/api/v1/customers/{sender}/ledger",
                                     headers=admin(client))).json()  # fmt: skip
    assert [e["points"] for e in ledger["entries"] if e["rule_id"].startswith("campaign:")] == [15]
    paused = await (await client.get(f"/api/v1/campaigns/{campaign['id']}",
                                     headers=admin(client))).json()  # fmt: skip
    assert (paused["status"], paused["status_reason"]) == ("paused", "budget spent")
    assert (await service.dispatch()).sent == 0, "the other customer waits"
    raised = await client.put(f"/api/v1/campaigns/{campaign['id']}", headers=admin(client),
                              json={**paused["spec"], "coupon_budget": 2})  # fmt: skip
    assert raised.status == 200, await raised.text()
    await client.post(f"/api/v1/campaigns/{campaign['id']}/resume", headers=admin(client))
    await service.plan_due()
    assert (await service.dispatch()).sent == 1
    assert len({text for _, _, text, _ in rasa.nudges}) == 2, "two different coupons"


COUPON_MESSAGES = {"fr": "{{ first_name }}, votre bon : {{ coupon_code }}",
                   "en": "{{ first_name }}, your coupon: {{ coupon_code }}"}  # fmt: skip


async def coupons_of(client, customer: str) -> list[str]:  # type: ignore[no-untyped-def]
    answer = await client.get(f"/api/v1/customers/{customer}/coupons", headers=admin(client))
    return [coupon["code"] for coupon in (await answer.json())["coupons"]]


async def test_the_budget_pays_for_a_nudge_as_it_goes_not_while_it_waits(
    client, database, clock, rasa
) -> None:
    """Léa and Tom are in the middle of a conversation: nothing is minted for nudges that
    wait. Once they are free, the budget of one pays for one nudge, which goes at once."""
    campaign, service = await scheduled(
        client, database, clock, rasa, coupon="welcome_back_5", coupon_budget=1,
        messages=COUPON_MESSAGES,
    )  # fmt: skip
    rasa.busy_senders.update(lea="recent_message", tom="recent_message")
    assert (await service.dispatch()).deferred == 2
    waiting = await results_of(client, campaign)
    assert waiting["budget"]["coupons"] == {"budget": 1, "used": 0, "left": 1}
    assert (await coupons_of(client, "lea"), await coupons_of(client, "tom")) == ([], [])
    rasa.busy_senders.clear()
    clock.advance(minutes=5)
    outcome = await service.dispatch()
    assert (outcome.sent, outcome.deferred) == (1, 1)
    ((sender, _, text, _),) = rasa.nudges
    assert [code for code in await coupons_of(client, sender) if code in text]
    spent = await results_of(client, campaign)
    assert spent["budget"]["coupons"] == {"budget": 1, "used": 1, "left": 0}
    assert spent["budget"]["points"] == {"budget": None, "used": 0, "left": None}
    assert spent["pending_by_reason"] == {"budget_spent": 1}
    # counted as CLDR's plural rule says: "1 nudge waiting", never "1 nudges waiting"
    assert spent["text"] == {
        "skipped": "2 nudges not sent", "waiting": "1 nudge waiting", "window": "7 days",
        "coupons_used": "1 coupon", "coupons_left": "0 coupons", "points_used": "0 points",
        "points_left": None,
    }  # fmt: skip


async def test_a_nudge_the_budget_paid_for_goes_out_after_the_campaign_reports_it_spent(
    client, database, clock, rasa
) -> None:
    """The first nudge is paid for and reaches Rasa, whose answer is lost; the second finds
    the budget spent and the campaign pauses. The first is still the budget's: its retry is
    recorded as sent without waiting for a resume, and it is the only one."""
    campaign, service = await scheduled(
        client, database, clock, rasa, coupon="welcome_back_5", coupon_budget=1, points=15,
        points_budget=15, messages=COUPON_MESSAGES,
    )  # fmt: skip
    rasa.lose_answers = True
    assert (await service.dispatch()).deferred == 2
    rasa.lose_answers = False
    paused = await (await client.get(f"/api/v1/campaigns/{campaign['id']}",
                                     headers=admin(client))).json()  # fmt: skip
    assert (paused["status"], paused["status_reason"]) == ("paused", "budget spent")
    clock.advance(minutes=1)
    assert (await service.dispatch()).sent == 1
    assert (await service.dispatch()).sent == 0, "what the budget did not pay for waits"
    ((sender, _, text, _),) = rasa.nudges
    ledger = await (await client.get(f"/api/v1/customers/{sender}/ledger",
                                     headers=admin(client))).json()  # fmt: skip
    assert [e["points"] for e in ledger["entries"] if e["rule_id"].startswith("campaign:")] == [15]
    results = await results_of(client, campaign)
    assert (results["by_status"], results["pending_by_reason"]) == (
        {"sent": 1, "pending": 1, "skipped": 2}, {"budget_spent": 1},
    )  # fmt: skip
    assert results["budget"] == {"coupons": {"budget": 1, "used": 1, "left": 0},
                                 "points": {"budget": 15, "used": 15, "left": 0}}  # fmt: skip


async def test_a_nudge_whose_answer_was_lost_is_not_shown_twice(
    client, database, clock, rasa
) -> None:
    campaign, service = await scheduled(client, database, clock, rasa)
    rasa.lose_answers = True
    assert (await service.dispatch()).deferred == 2, "no answer: retried later"
    rasa.lose_answers = False
    clock.advance(minutes=2)
    assert (await service.dispatch()).sent == 2
    assert sorted(s for s, *_ in rasa.nudges) == ["lea", "tom"], "each shown once"
    assert (await results_of(client, campaign))["by_status"]["sent"] == 2


async def test_what_changed_since_planning_is_checked_at_send_time(
    client, database, clock, rasa
) -> None:
    """Léa opts out after the campaign was planned; Tom writes on Messenger, whose 24-hour
    window closed; a paused campaign sends nothing until it resumes."""
    campaign, service = await scheduled(client, database, clock, rasa)
    await client.post(f"/api/v1/campaigns/{campaign['id']}/pause", headers=admin(client))
    assert (await service.dispatch()).sent == 0, "paused: its pending nudges wait"
    rewards = RewardsService(database, clock, RulesBook(database, clock))
    await rewards.record_event(IncomingEvent(
        id="out-lea", type="opt_out", customer_id="lea", occurred_at=clock.now(),
        source="conversation",
    ))  # fmt: skip
    await ChannelRegistry(database, clock).seen("tom", "tom", "facebook")
    clock.advance(hours=25)
    await client.post(f"/api/v1/campaigns/{campaign['id']}/resume", headers=admin(client))
    assert (await service.dispatch()).skipped == 2
    assert rasa.nudges == []
    assert (await results_of(client, campaign))["skipped_by_reason"] == {
        "channel_window": 1, "no_consent": 1, "opted_out": 2,
    }  # fmt: skip


async def test_a_nudge_that_cannot_go_out_within_the_campaign_window_expires(
    client, database, clock, rasa
) -> None:
    campaign, service = await scheduled(client, database, clock, rasa, window_days=2)
    rasa.busy_senders.update(lea="handoff", tom="handoff")
    assert (await service.dispatch()).deferred == 2
    clock.advance(days=3)
    assert (await service.dispatch()).skipped == 2
    assert (await results_of(client, campaign))["skipped_by_reason"]["expired"] == 2


async def test_a_web_customer_who_is_away_gets_the_nudge_when_they_come_back(
    client, database, clock, rasa
) -> None:
    campaign, service = await scheduled(client, database, clock, rasa)
    rasa.offline.add("lea")
    assert (await service.dispatch()).sent == 1
    assert (await results_of(client, campaign))["pending_by_reason"] == {"offline": 1}
    clock.advance(seconds=30)
    assert (await service.dispatch()).sent == 0, "not due again yet"
    rasa.offline.clear()
    assistant = {"Authorization": f"Bearer {client.settings.action_token}"}
    back = await client.post("/api/v1/conversations/lea/back", headers=assistant)
    assert (back.status, await back.json()) == (200, {"due": 1})
    for _ in range(50):  # the service's own dispatcher runs at once, not at its next tick
        if len(rasa.nudges) == 2:
            break
        await asyncio.sleep(0.1)
    assert sorted(s for s, *_ in rasa.nudges) == ["lea", "tom"]
    marketer = await client.post("/api/v1/conversations/lea/back", headers=admin(client))
    assert marketer.status == 200, "admin may too"
    stranger = {"Authorization": "Bearer not-a-known-token-at-all"}
    assert (await client.post("/api/v1/conversations/lea/back", headers=stranger)).status == 401


async def test_two_campaigns_at_once_reach_a_customer_one_after_the_other(
    client, database, clock, rasa
) -> None:
    await customers(database, clock)
    opted_in = {"all": [{"field": "consent", "op": "eq", "value": True}]}
    for name in ("first", "second"):
        campaign = await create(client, name=name, audience=opted_in, **{"class": "service"})
        await client.post(f"/api/v1/campaigns/{campaign['id']}/schedule", headers=admin(client))
    service = nudges(database, clock, rasa)
    await service.plan_due()
    first = await service.dispatch()
    assert (first.sent, first.deferred) == (2, 2), "one nudge per conversation per batch"
    assert (await service.dispatch()).sent == 0
    clock.advance(minutes=5)
    assert (await service.dispatch()).sent == 2
    assert sorted(s for s, *_ in rasa.nudges) == ["lea", "lea", "tom", "tom"]


FAILING = [
    ("{{ first_name - 1 }}", "line 1"),
    ("Bonjour {{ first_name }},\n{{ points|round(999999) }} points", "line 2"),
    ("{% if next_badge is defined %}\n\n{{ next_badge + 1 }}{% endif %}", "line 3"),
]


@pytest.mark.parametrize(("message", "line"), FAILING)
async def test_a_message_that_fails_to_render_is_refused_when_saved_or_previewed(
    client, database, clock, message: str, line: str
) -> None:  # type: ignore[no-untyped-def]
    """Accepted by the construct check, these fail whatever the customer: they are rendered
    against sample values of every kind when saved, scheduled or previewed."""
    await customers(database, clock)
    spec = {**CAMPAIGN, "messages": {"fr": "Bonjour {{ first_name }}", "en": message}}
    good = await create(client)
    answers = [
        await client.post("/api/v1/campaigns", headers=admin(client), json=spec),
        await client.post("/api/v1/campaigns/preview", headers=admin(client),
                          json={"campaign": spec, "customer_id": "lea"}),
        await client.put(f"/api/v1/campaigns/{good['id']}", headers=admin(client), json=spec),
    ]  # fmt: skip
    for answer in answers:
        refusal = await answer.json()
        assert answer.status == 422 and refusal["field"] == "messages.en", refusal
        assert refusal["reason"].startswith(line), refusal
    listing = await (await client.get("/api/v1/campaigns", headers=admin(client))).json()
    assert [c["spec"]["messages"]["en"] for c in listing["campaigns"]] == [
        CAMPAIGN["messages"]["en"]  # type: ignore[index]
    ]


async def test_a_stored_message_that_fails_at_send_skips_and_pauses_its_campaign_only(
    client, database, clock, rasa
) -> None:
    """A campaign whose message got into the database unchecked (saved before the check,
    written by hand) fails at send time: its nudges are skipped with the reason, it pauses
    saying why, and the other campaign of the same batch goes out."""
    await customers(database, clock)
    good = await create(client, name="good", **{"class": "service"})
    bad = await create(client, name="bad", **{"class": "service"})
    for campaign in (good, bad):
        await client.post(f"/api/v1/campaigns/{campaign['id']}/schedule", headers=admin(client))
    service = nudges(database, clock, rasa)
    await service.plan_due()
    broken = {**bad["spec"], "messages": {"fr": "Bonjour {{ first_name - 1 }}", "en": "Hi"}}
    async with database.begin() as conn:
        await conn.execute(sa.update(t.campaigns).where(t.campaigns.c.id == bad["id"])
                           .values(spec=broken))  # fmt: skip
    outcome = await service.dispatch()
    assert outcome.sent == 3, outcome
    assert sorted(s for s, *_ in rasa.nudges) == ["lea", "max", "tom"]
    assert all(text.startswith("Bonjour") for _, _, text, _ in rasa.nudges)
    paused = await (await client.get(f"/api/v1/campaigns/{bad['id']}",
                                     headers=admin(client))).json()  # fmt: skip
    assert paused["status"] == "paused"
    assert paused["status_reason"] == (
        "the fr message cannot be rendered: line 1: unsupported operand type(s) for -: 'str' "
        "and 'int'"
    )
    skipped = (await results_of(client, bad))["skipped_by_reason"]
    assert skipped == {"template_error: line 1: unsupported operand type(s) for -: 'str'": 3,
                       "missing_data: 'first_name' is undefined": 1}  # fmt: skip
    state = await (await client.get(f"/api/v1/campaigns/{good['id']}",
                                    headers=admin(client))).json()  # fmt: skip
    assert state["status"] == "done"
    resumed = await client.post(f"/api/v1/campaigns/{bad['id']}/resume", headers=admin(client))
    assert resumed.status == 422, "resuming checks the message again: it must be edited first"
    assert (await resumed.json())["field"] == "messages.fr"


async def test_a_message_failing_only_for_some_values_pauses_at_the_first_failure(
    client, database, clock, rasa
) -> None:
    """No sample value makes this one fail, Léa's name does: her nudge is skipped, the
    campaign pauses, and Tom's, rendered in the same batch, waits with the campaign."""
    await customers(database, clock)
    tricky = ("{% if first_name == 'Lea' %}{{ first_name - 1 }}"
              "{% else %}Bonjour {{ first_name }}{% endif %}")  # fmt: skip
    campaign = await create(client, messages={"fr": tricky, "en": "Hello {{ first_name }}"})
    preview = await client.get(f"/api/v1/campaigns/{campaign['id']}/preview?customer_id=lea",
                               headers=admin(client))  # fmt: skip
    assert preview.status == 422 and (await preview.json())["field"] == "messages.fr"
    await client.post(f"/api/v1/campaigns/{campaign['id']}/schedule", headers=admin(client))
    service = nudges(database, clock, rasa)
    await service.plan_due()
    outcome = await service.dispatch()
    assert (outcome.sent, outcome.deferred) == (0, 1) and rasa.nudges == []
    results = await results_of(client, campaign)
    assert results["pending_by_reason"] == {"campaign_paused": 1}
    assert results["skipped_by_reason"] == {
        "template_error: line 1: unsupported operand type(s) for -: 'str'": 1,
        "no_consent": 1, "opted_out": 1,
    }  # fmt: skip
    state = await (await client.get(f"/api/v1/campaigns/{campaign['id']}",
                                    headers=admin(client))).json()  # fmt: skip
    assert state["status"] == "paused" and "line 1" in state["status_reason"]
    assert (await service.dispatch()).sent == 0, "paused: Tom's nudge waits"
