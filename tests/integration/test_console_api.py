"""What the console stands on, through the real aiohttp app on SQLite with a fixed clock:
sign-in and roles, the rules editor's dry-run, back-test and rollback, the audit log, the
dashboard's weekly figures, the campaign form's live audience and preview, the pages."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.composition import DEFAULT_RULES
from engagement.rewards import IncomingEvent
from engagement.services.rewards import RewardsService
from engagement.services.rules_book import RulesBook
from engagement.settings import Settings
from engagement.storage.database import Database
from engagement.web.app import create_app
from engagement.web.keys import RULES_BOOK
from tests.conftest import TEST_TOKENS
from tests.fakes import FixedClock
from tests.integration.rewards_fixtures import incoming

NOW = datetime(2026, 11, 25, 13, 0, tzinfo=timezone.utc)  # a Wednesday
TOKENS = {"cm": "cm-token-for-tests-0123456789", "mk": "mk-token-for-tests-0123456789",
          "lea": "lea-personal-token-0123456789", "sam": "sam-personal-token-0123456789"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    env = {**TEST_TOKENS, "FUSION_DATA_DIR": str(tmp_path),
           "FUSION_COMMUNITY_MANAGER_TOKEN": TOKENS["cm"], "FUSION_MARKETER_TOKEN": TOKENS["mk"],
           "FUSION_PUBLIC_RASA_URL": "https://chat.example.com",
           "FUSION_STAFF_TOKENS": f"lea:community_manager:{TOKENS['lea']},"
                                  f"sam:marketer:{TOKENS['sam']}"}  # fmt: skip
    return Settings.from_env(env, base_dir=tmp_path)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
async def client(settings: Settings, migrated_url: str, database: Database, clock):  # type: ignore[no-untyped-def]
    app = create_app(settings, database=database, clock=clock)
    await app[RULES_BOOK].publish(DEFAULT_RULES.read_text(), "tests")
    async with TestClient(TestServer(app)) as client:
        yield client


def bearer(who: str) -> dict[str, str]:
    token = TEST_TOKENS["FUSION_ADMIN_TOKEN"] if who == "admin" else TOKENS[who]
    return {"Authorization": f"Bearer {token}"}


async def purchases(database: Database, clock: FixedClock, weeks_ago: dict[str, int]) -> None:
    """Each customer buys once, ``weeks_ago`` weeks (and two hours) before now, and opts
    in an hour later."""
    rewards = RewardsService(database, clock, RulesBook(database, clock))
    for number, (customer, weeks) in enumerate(weeks_ago.items()):
        at = NOW - timedelta(weeks=weeks, hours=2)
        clock.current = at
        await rewards.record_event(incoming({
            "id": f"buy-{customer}", "type": "purchase", "customer_id": customer,
            "order_id": f"CMD-{number}", "total": 40, "occurred_at": at.isoformat(),
        }))  # fmt: skip
        clock.current = at + timedelta(hours=1)
        await rewards.record_event(IncomingEvent(
            id=f"opt-{customer}", type="opt_in", customer_id=customer,
            occurred_at=at + timedelta(hours=1), source="conversation",
            customer_name=customer.capitalize(), customer_language="fr",
        ))  # fmt: skip
    clock.current = NOW


async def test_sign_in_tells_each_token_its_role_and_pages(client: TestClient) -> None:
    answers = {who: await client.get("/api/v1/me", headers=bearer(who)) for who in TOKENS}
    assert {who: (await a.json())["role"] for who, a in answers.items()} == {
        "cm": "community_manager", "mk": "marketer", "lea": "community_manager",
        "sam": "marketer"}  # fmt: skip
    assert "rules" in (await answers["cm"].json())["pages"]
    assert "rules" not in (await answers["mk"].json())["pages"]
    assert "audit" in (await (await client.get("/api/v1/me", headers=bearer("admin"))).json())[
        "pages"]  # fmt: skip
    wrong = await client.get("/api/v1/me", headers={"Authorization": "Bearer nope"})
    assert wrong.status == 401


async def test_sign_in_tells_which_parts_of_a_page_the_role_may_read(client: TestClient) -> None:
    """A marketer's customer page leaves the decision log out instead of showing a 403."""
    sections = {who: (await (await client.get("/api/v1/me", headers=bearer(who))).json())[
        "sections"] for who in ("admin", "cm", "mk")}  # fmt: skip
    assert sections == {"admin": ["decisions"], "cm": ["decisions"], "mk": []}
    refused = await client.get("/api/v1/customers/c-1/decisions", headers=bearer("mk"))
    assert refused.status == 403, "the server refuses what the page leaves out"


async def test_sign_in_tells_the_brand_default_language(
    client: TestClient, settings: Settings, migrated_url: str, database: Database, clock
) -> None:  # type: ignore[no-untyped-def]
    """The console speaks the brand's language until the staff member picks theirs."""
    assert (await (await client.get("/api/v1/me", headers=bearer("mk"))).json())["language"] == "fr"
    english = create_app(replace(settings, default_language="en"), database=database, clock=clock)
    async with TestClient(TestServer(english)) as other:
        answer = await other.get("/api/v1/me", headers=bearer("cm"))
        assert (await answer.json())["language"] == "en"


async def test_badges_are_named_in_both_languages_for_the_console(client: TestClient) -> None:
    answer = await client.get("/api/v1/rules/badges", headers=bearer("mk"))
    badges = (await answer.json())["badges"]
    assert badges["first_review"] == {"fr": "Premier avis", "en": "First review"}
    assert badges["streak_3_months"]["fr"] == "Trois mois d'affilée"
    refused = await client.get("/api/v1/rules/badges")
    assert refused.status == 401


async def test_no_badge_has_a_name_before_the_first_rules_are_published(
    database: Database, clock: FixedClock
) -> None:
    assert await RulesBook(database, clock).badge_names() == {}


async def test_roles_are_enforced_on_the_console_api(client: TestClient) -> None:
    marketer, manager = bearer("mk"), bearer("cm")
    refused = [
        await client.post("/api/v1/rules", data=DEFAULT_RULES.read_text(), headers=marketer),
        await client.get("/api/v1/rules/versions/1", headers=marketer),
        await client.post("/api/v1/rules/dry-run", json={}, headers=marketer),
        await client.post("/api/v1/campaigns", json={}, headers=manager),
        await client.post("/api/v1/campaigns/audience", json={}, headers=manager),
        await client.get("/api/v1/audit", headers=manager),
        await client.get("/api/v1/audit", headers=marketer),
    ]
    assert [answer.status for answer in refused] == [403] * len(refused)
    assert (await refused[0].json())["error"] == "the marketer role cannot do this"
    assert (await client.get("/api/v1/dashboard", headers=marketer)).status == 200


async def test_rollback_restores_an_old_version_as_a_new_one_and_the_audit_says_who(
    client: TestClient,
) -> None:
    original = DEFAULT_RULES.read_text()
    changed = original.replace("points: 50", "points: 55", 1)
    assert changed != original
    published = await client.post("/api/v1/rules", data=changed, headers=bearer("cm"))
    assert (await published.json())["version"] == 2
    rolled = await client.post("/api/v1/rules/rollback", json={"version": 1}, headers=bearer("cm"))
    assert rolled.status == 201
    assert (await rolled.json())["version"] == 3
    version = await (await client.get("/api/v1/rules/versions/3", headers=bearer("cm"))).json()
    assert version["content"] == original.replace("version: 1\n", "version: 3\n", 1)
    unknown = await client.post("/api/v1/rules/rollback", json={"version": 9}, headers=bearer("cm"))
    assert unknown.status == 404
    audit = await (await client.get("/api/v1/audit", headers=bearer("admin"))).json()
    assert [(e["actor"], e["action"], e["target"]) for e in audit["entries"]] == [
        ("community_manager", "rules.rollback", "version 3"),
        ("community_manager", "rules.publish", "version 2"),
    ]


async def test_the_history_marks_a_rollback_with_the_version_it_published_again(
    client: TestClient,
) -> None:
    changed = DEFAULT_RULES.read_text().replace("points: 50", "points: 55", 1)
    await client.post("/api/v1/rules", data=changed, headers=bearer("cm"))
    rolled = await client.post("/api/v1/rules/rollback", json={"version": 1}, headers=bearer("lea"))
    assert (await rolled.json())["version"] == 3
    listed = await (await client.get("/api/v1/rules/versions", headers=bearer("cm"))).json()
    assert [(v["version"], v["restored"], v["published_by"]) for v in listed["versions"]] == [
        (3, 1, "lea"), (2, None, "community_manager"), (1, None, "tests")
    ]  # fmt: skip
    one = await (await client.get("/api/v1/rules/versions/3", headers=bearer("cm"))).json()
    assert one["restored"] == 1


async def test_a_published_file_is_kept_as_written_with_the_number_it_got_as_its_version(
    client: TestClient,
) -> None:
    """Comments and layout stay; only the version line says which version the file is."""
    written = DEFAULT_RULES.read_text().replace("points: 50", "points: 55", 1)
    answer = await client.post("/api/v1/rules", data=written, headers=bearer("cm"))
    assert (await answer.json())["version"] == 2
    kept = await kept_content(client, 2)
    assert kept == written.replace("version: 1\n", "version: 2\n", 1)
    again = await client.post("/api/v1/rules", data=kept, headers=bearer("cm"))
    assert (await again.json())["version"] == 2, "the editor's text, unchanged, is no new version"
    without = written.replace("version: 1\n", "", 1).replace("points: 55", "points: 60", 1)
    answer = await client.post("/api/v1/rules", data=without, headers=bearer("cm"))
    assert (await answer.json())["version"] == 3
    kept = await kept_content(client, 3)
    assert "version: 3" in kept.splitlines()
    assert kept.replace("version: 3\n", "", 1) == without


async def kept_content(client: TestClient, version: int) -> str:
    answer = await client.get(f"/api/v1/rules/versions/{version}", headers=bearer("cm"))
    return str((await answer.json())["content"])


async def test_a_broken_rules_file_is_refused_at_its_line_and_nothing_is_published(
    client: TestClient,
) -> None:
    lines = DEFAULT_RULES.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if "points: 20}" in line)
    lines[at] = lines[at].replace("points: 20}", "points: lots}")
    broken = "\n".join(lines)
    for path in ("/api/v1/rules/validate", "/api/v1/rules"):
        answer = await client.post(path, data=broken, headers=bearer("cm"))
        assert answer.status == 422
        assert at + 1 in [p["line"] for p in (await answer.json())["problems"]]
    dry = await client.post("/api/v1/rules/dry-run", json={"rules": broken, "events": [{}]},
                            headers=bearer("cm"))  # fmt: skip
    assert dry.status == 422
    versions = await (await client.get("/api/v1/rules/versions", headers=bearer("cm"))).json()
    assert len(versions["versions"]) == 1


ITEMS = [{"sku": "S1", "name": "Mug", "quantity": 1, "price": 42.0}]
SAMPLE = {"type": "purchase", "occurred_at": "2026-11-20T10:00:00+00:00",
          "order": {"total": 42.0, "currency": "EUR", "items": ITEMS}}  # fmt: skip


async def test_dry_run_replays_sample_events_and_writes_nothing(client: TestClient) -> None:
    events = [{**SAMPLE, "id": f"e{n}", "customer": {"id": f"c{n % 2}"},
               "order": {**SAMPLE["order"], "id": f"A{n}"}} for n in range(3)]  # fmt: skip
    body = {"rules": DEFAULT_RULES.read_text(), "events": events}
    answer = await client.post("/api/v1/rules/dry-run", json=body, headers=bearer("cm"))
    report = await answer.json()
    assert answer.status == 200, report
    assert (report["events"], report["customers"]) == (3, 2)
    assert report["points"] > 0
    assert report["points"] == sum(rule["points"] for rule in report["by_rule"])
    assert (await client.get("/api/v1/customers/c0", headers=bearer("cm"))).status == 404
    body["events"] = [events[0], {"type": "purchase"}]
    bad = await client.post("/api/v1/rules/dry-run", headers=bearer("cm"), json=body)
    assert bad.status == 422
    assert (await bad.json())["field"].startswith("events[1]")


async def test_backtest_compares_a_candidate_with_the_rules_in_force_over_stored_events(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    await purchases(database, clock, {"lea": 1, "tom": 2, "old": 20})
    doubled = DEFAULT_RULES.read_text().replace("points_per_euro: 1,", "points_per_euro: 2,", 1)
    answer = await client.post("/api/v1/rules/backtest", json={"rules": doubled, "days": 30},
                               headers=bearer("cm"))  # fmt: skip
    result = await answer.json()
    assert answer.status == 200, result
    assert result["version_in_force"] == 1
    assert result["candidate"]["customers"] == result["in_force"]["customers"] == 2
    assert result["candidate"]["points"] > result["in_force"]["points"]


async def test_the_dashboard_draws_the_ladder_and_the_brand_week_by_week(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    await purchases(database, clock, {"lea": 0, "tom": 1, "zoe": 3})
    answer = await client.get("/api/v1/dashboard?weeks=4", headers=bearer("mk"))
    board = await answer.json()
    assert answer.status == 200, board
    assert board["weeks"] == ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]
    customers = [sum(week["stages"].values()) for week in board["funnel_weeks"]]
    assert customers == [1, 1, 2, 3]  # zoé joined 3 weeks ago, tom 1 week ago, léa this week
    now = {row["stage"]: row["customers"] for row in board["funnel"]}
    assert board["funnel_weeks"][-1]["stages"] == now
    points = [week["points"] for week in board["rewards_weeks"]]
    assert points[0] > 0 and points[1] == 0 and points[2] > 0 and points[3] > 0  # as they bought
    assert [week["cost"] for week in board["rewards_weeks"]] == [  # a point costs 0.01 €
        f"{Decimal(n) / 100:.2f}" for n in points]  # fmt: skip
    scores = [week["score"] for week in board["fusion_weeks"]]
    assert scores[0] is not None and scores[-1] == board["fusion_score"]
    assert (await client.get("/api/v1/dashboard?weeks=0", headers=bearer("mk"))).status == 422


CAMPAIGN = {
    "name": "Come back", "class": "marketing", "holdout_percent": 0,
    "messages": {"fr": "Bonjour {{ first_name }}, vous avez {{ points }} points !",
                 "en": "Hello {{ first_name }}, you have {{ points }} points!"},
    "schedule": {"once": "2026-11-26T10:00:00+00:00"},
    "audience": {"all": [{"field": "days_since_purchase", "op": "gte", "value": 10}]},
}  # fmt: skip


async def test_the_campaign_form_sizes_and_previews_what_is_not_saved_yet(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    await purchases(database, clock, {"lea": 0, "tom": 2, "zoe": 3})
    sized = await client.post("/api/v1/campaigns/audience", json=CAMPAIGN, headers=bearer("mk"))
    assert (await sized.json())["matching"] == 2
    narrower = {**CAMPAIGN, "audience": {"all": [
        {"field": "days_since_purchase", "op": "gte", "value": 20}]}}  # fmt: skip
    sized = await client.post("/api/v1/campaigns/audience", json=narrower, headers=bearer("mk"))
    assert (await sized.json())["matching"] == 1
    shown = await client.post("/api/v1/campaigns/preview", json={"campaign": narrower},
                              headers=bearer("mk"))  # fmt: skip
    preview = await shown.json()  # no customer named: sample values, not Zoé's
    assert preview == {"customer_id": None, "sample": True,
                       "fr": "Bonjour Camille, vous avez 1250 points !",
                       "en": "Hello Camille, you have 1250 points!"}  # fmt: skip
    shown = await client.post("/api/v1/campaigns/preview", headers=bearer("mk"),
                              json={"campaign": narrower, "customer_id": "zoe"})  # fmt: skip
    assert (await shown.json())["fr"].startswith("Bonjour Zoe, vous avez ")
    broken = {**CAMPAIGN, "messages": {**CAMPAIGN["messages"], "fr": "{{ nickname }}"}}
    refused = await client.post("/api/v1/campaigns/audience", json=broken, headers=bearer("mk"))
    assert refused.status == 422
    assert (await refused.json())["field"] == "messages.fr"
    listed = await client.get("/api/v1/campaigns", headers=bearer("mk"))
    assert (await listed.json())["campaigns"] == []


async def test_campaign_actions_are_in_the_audit_log(client: TestClient) -> None:
    created = await client.post("/api/v1/campaigns", json=CAMPAIGN, headers=bearer("mk"))
    campaign = await created.json()
    await client.post(f"/api/v1/campaigns/{campaign['id']}/schedule", headers=bearer("mk"))
    await client.post(f"/api/v1/campaigns/{campaign['id']}/pause", headers=bearer("mk"))
    entries = (await (await client.get("/api/v1/audit", headers=bearer("admin"))).json())["entries"]
    assert [(e["actor"], e["action"], e["target"]) for e in entries] == [
        ("marketer", f"campaign.{action}", campaign["id"])
        for action in ("pause", "schedule", "create")
    ]


async def test_the_pages_are_served_with_the_rasa_url_and_a_strict_policy(
    client: TestClient,
) -> None:
    chat = await client.get("/chat")
    assert chat.status == 200
    html = await chat.text()
    assert "https://chat.example.com" in html and "__FUSION_RASA_URL__" not in html
    policy = chat.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "wss://chat.example.com" in policy
    console = await client.get("/admin")
    assert console.status == 200
    assert "frame-ancestors 'none'" in console.headers["Content-Security-Policy"]
    assert 'data-default-language="fr"' in await console.text(), "the brand's language"
    for asset in ("/static/vendor/socket.io.min.js", "/static/vendor/chart.umd.js"):
        answer = await client.get(asset)
        assert answer.status == 200, asset
    assert (await client.get("/static/../settings.py")).status == 404


async def test_a_personal_token_signs_in_as_its_person_with_its_role_and_the_audit_names_them(
    client: TestClient,
) -> None:
    me = await (await client.get("/api/v1/me", headers=bearer("lea"))).json()
    assert (me["name"], me["role"]) == ("lea", "community_manager")
    changed = DEFAULT_RULES.read_text().replace("points: 50", "points: 60", 1)
    assert (await client.post("/api/v1/rules", data=changed, headers=bearer("lea"))).status == 201
    refused = await client.post("/api/v1/rules", data=changed, headers=bearer("sam"))
    assert refused.status == 403, "Sam is a marketer"
    await client.post("/api/v1/rules", data=changed, headers=bearer("cm"))
    audit = await (await client.get("/api/v1/audit", headers=bearer("admin"))).json()
    assert [(e["actor"], e["action"]) for e in audit["entries"]] == [
        ("community_manager", "rules.publish"), ("lea", "rules.publish"),
    ]
