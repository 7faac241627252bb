"""The pages in a real browser: Debian's chromium driven by Playwright against the real
Rasa server, action server and engagement service (``python -m bot run``).

Every page visited is photographed into ``test-artifacts/browser/``.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
from playwright.sync_api import Browser, Page, expect, sync_playwright

from bot.composition import PROJECT_DIR
from tests.conftest import TEST_TOKENS, customer_token
from tests.product import (
    START_TIMEOUT,
    Fusion,
    new_customer,
    purchase,
    shop_event,
    start,
    stop,
    web_campaign,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ARTIFACTS = PROJECT_DIR / "test-artifacts" / "browser"
VENDOR = PROJECT_DIR / "engagement" / "web" / "static" / "vendor"
ROLES = {
    "FUSION_COMMUNITY_MANAGER_TOKEN": "cm-token-for-browser-tests-0123",
    "FUSION_MARKETER_TOKEN": "mk-token-for-browser-tests-0123",
}
MANAGER, MARKETER = ROLES["FUSION_COMMUNITY_MANAGER_TOKEN"], ROLES["FUSION_MARKETER_TOKEN"]
LANGUAGE_KEY = "fusion.language"  # core.js: the staff member's language, in localStorage
WAIT_MS = 60_000  # the first answers of a fresh Rasa server can be slow on a busy machine


def chromium() -> str:
    for candidate in (os.environ.get("FUSION_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("no chromium: `make browser` installs Debian's package")


class ShopSite:
    """A shop's own site on another origin, embedding rasa-webchat's published bundle the
    way its README shows, with the signed-in customer's token in ``customData``."""

    def __init__(self) -> None:
        self.rasa = ""
        site = self

        class Page(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                path, _, query = self.path.partition("?")
                if path == "/rasa-webchat.js":
                    body, kind = (VENDOR / "rasa-webchat.js").read_bytes(), "text/javascript"
                else:
                    token = parse_qs(query).get("token", [""])[0]
                    body, kind = site.page(token).encode(), "text/html; charset=utf-8"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, token: str) -> str:
        options = {"selector": "#webchat", "socketUrl": self.rasa, "socketPath": "/socket.io/",
                   "customData": {"token": token, "language": "fr"}, "embedded": True,
                   "title": "Boutique", "params": {"storage": "session"}}  # fmt: skip
        return ("<!doctype html><html lang=fr><body><div id=webchat></div>"
                "<script src=/rasa-webchat.js></script>"
                f"<script>WebChat.default({json.dumps(options)}, null);</script></body></html>")


@pytest.fixture(scope="module")
def shops() -> Iterator[tuple[ShopSite, ShopSite]]:
    """The shop's site, listed in FUSION_CHAT_ORIGINS, and some other site, not listed."""
    listed, other = ShopSite(), ShopSite()
    yield listed, other
    listed.server.shutdown()
    other.server.shutdown()


@pytest.fixture(scope="module")
def fusion(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory,
    shops: tuple[ShopSite, ShopSite],
) -> Iterator[Fusion]:  # fmt: skip
    running = start(tmp_path_factory.mktemp("browser"), **ROLES,
                    FUSION_CHAT_ORIGINS=shops[0].url)  # fmt: skip
    for shop in shops:
        shop.rasa = running.rasa
    if not running.wait_for("Fusion is running", START_TIMEOUT):
        stop(running)
        pytest.fail("fusion did not start:\n" + "\n".join(running.output[-60:]))
    history(running)
    yield running
    stop(running)


def history(fusion: Fusion) -> None:
    """Ten weeks of a small shop: customers buy once, some come back, for the dashboard."""
    now = datetime.now(timezone.utc)
    for number in range(24):
        customer = f"shopper-{number:02d}-{uuid.uuid4().hex[:4]}"
        first = now - timedelta(weeks=10 - number % 10, hours=number)
        for visit in range(1 + number % 4):
            at = first + timedelta(days=9 * visit)
            if at >= now:
                break
            order = {"id": f"H{number:02d}{visit}-{uuid.uuid4().hex[:4]}", "total": 30.0 + number,
                     "currency": "EUR", "items": [{"sku": "SKU-H", "name": "Pull", "quantity": 1,
                                                   "price": 30.0 + number}]}  # fmt: skip
            buyer = {"id": customer, "name": "Alex", "language": "fr"}
            shop_event(fusion, {"id": f"buy-{order['id']}", "type": "purchase", "order": order,
                                "occurred_at": at.isoformat(), "customer": buyer})  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium(), args=["--no-sandbox"] if os.geteuid() == 0 else []
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page whose staff member chose English for the console (the brand's default is
    French): the console tests read its English words."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="fr-FR", timezone_id="Europe/Paris"
    )
    # every frame runs it, some (an embedded chat from another origin) without storage
    context.add_init_script(f"try {{ localStorage.setItem('{LANGUAGE_KEY}', 'en') }} catch {{}}")
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == [], f"script errors on the page: {errors}"


def shot(page: Page, name: str, *, whole: bool = True) -> None:
    """``whole``: the full scrolled page (the chat fills the window and scrolls inside)."""
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=whole)


# the customer's side


def open_chat(page: Page, fusion: Fusion, customer: str) -> None:
    """The chat as the shop opens it for a signed-in customer: with their token."""
    page.goto(f"{fusion.engagement}/chat?token={customer_token(customer)}")
    expect(page.locator("#status")).to_have_attribute("data-state", "online", timeout=WAIT_MS)
    assert "token" not in page.url, "the token leaves the address bar at once"


def say(page: Page, text: str) -> None:
    """Types a message and sends it with the keyboard, as a customer would."""
    field = page.locator("#composer input[name=message]")
    field.fill(text)
    field.press("Enter")
    expect(page.locator(".msg.user .text").last).to_have_text(text)


def answer_containing(page: Page, text: str) -> Any:
    found = page.locator(".msg.bot", has_text=text).last
    expect(found).to_be_visible(timeout=WAIT_MS)
    return found


def test_a_customer_chats_in_french_leaves_a_review_and_sees_the_reward(
    fusion: Fusion, page: Page
) -> None:
    customer = new_customer()
    order_id = f"CMD-{uuid.uuid4().int % 100000:05d}"
    purchase(fusion, customer, order_id, 59.9)
    open_chat(page, fusion, customer)
    say(page, "Bonjour")
    answer_containing(page, "Bonjour")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("#composer button[type=submit]")).to_have_text(re.compile("Envoyer"))
    say(page, "je voudrais laisser un avis")
    answer_containing(page, "Quel article")
    say(page, order_id)
    answer_containing(page, "Quelle note")
    say(page, "5")
    answer_containing(page, "Dites-m'en")
    say(page, "Très beau pull, la taille est parfaite")
    reward = answer_containing(page, "Merci pour votre avis")
    expect(reward).to_contain_text("30 points")
    shot(page, "chat-review", whole=False)
    page.reload()  # the conversation is still there, and still the same one
    expect(page.locator(".msg.bot", has_text="Merci pour votre avis")).to_have_count(1)
    say(page, "combien j'ai de points ?")
    answer_containing(page, "Vous avez")
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "chat-mobile", whole=False)


def test_the_shop_s_own_site_embeds_rasa_webchat_and_reaches_the_customer_s_account(
    fusion: Fusion, page: Page, shops: tuple[ShopSite, ShopSite]
) -> None:
    customer = new_customer()
    purchase(fusion, customer, f"CMD-{uuid.uuid4().int % 100000:05d}", 42.0)
    listed, _ = shops
    with page.expect_response(lambda r: "/socket.io/" in r.url) as first:
        page.goto(f"{listed.url}/?token={customer_token(customer)}")
    assert first.value.status == 200
    assert first.value.headers.get("access-control-allow-origin") == listed.url
    field = page.locator(".rw-new-message")
    expect(field).to_be_visible(timeout=WAIT_MS)
    field.fill("combien j'ai de points ?")
    page.locator(".rw-send").click()
    points = api(fusion, TEST_TOKENS["FUSION_ADMIN_TOKEN"], "GET",
                 f"/api/v1/customers/{customer}").json()["points"]  # fmt: skip
    expect(page.locator(".rw-response", has_text=f"Vous avez {points} points")).to_be_visible(
        timeout=WAIT_MS
    )
    shot(page, "rasa-webchat-on-the-shop", whole=False)


def test_a_site_not_listed_cannot_open_the_chat_socket(
    fusion: Fusion, page: Page, shops: tuple[ShopSite, ShopSite]
) -> None:
    _, other = shops
    with page.expect_request(lambda r: "/socket.io/" in r.url) as first:
        page.goto(f"{other.url}/?token={customer_token(new_customer())}")
    # the browser drops the answer (no CORS header for that origin): a failed request
    answer = first.value.response()
    assert answer is None or answer.status == 400, "the browser got through"
    # what socket.io answered that browser, seen without the browser's CORS check
    polled = requests.get(first.value.url, headers={"Origin": other.url}, timeout=10)
    assert polled.status_code == 400 and "access-control-allow-origin" not in polled.headers
    listed = requests.get(first.value.url, headers={"Origin": shops[0].url}, timeout=10)
    assert listed.status_code == 200, "the shop's own site is served the same request"


def test_a_nudge_scheduled_through_the_api_appears_live_in_an_open_chat_page(
    fusion: Fusion, page: Page
) -> None:
    customer = new_customer()
    purchase(fusion, customer, f"CMD-{uuid.uuid4().int % 100000:05d}", 30.0)
    open_chat(page, fusion, customer)
    say(page, "j'accepte de recevoir vos offres")
    answer_containing(page, "C'est noté")
    campaign = web_campaign("browser nudge")
    created = api(fusion, MARKETER, "POST", "/api/v1/campaigns", json=campaign)
    assert created.status_code == 201, created.text
    scheduled = api(fusion, MARKETER, "POST", f"/api/v1/campaigns/{created.json()['id']}/schedule")
    assert scheduled.status_code == 200, scheduled.text
    nudge = answer_containing(page, "une surprise vous attend")
    expect(nudge).to_contain_text("Léa, une surprise vous attend")
    shot(page, "chat-nudge", whole=False)


def test_what_was_sent_while_the_customer_was_away_shows_when_they_come_back(
    fusion: Fusion, page: Page
) -> None:
    customer = new_customer()
    purchase(fusion, customer, f"CMD-{uuid.uuid4().int % 100000:05d}", 30.0)
    open_chat(page, fusion, customer)
    say(page, "Bonjour")
    answer_containing(page, "Bonjour")
    page.goto("about:blank")  # the customer leaves: the socket closes
    on_the_web = {"all": [{"field": "channel", "op": "eq", "value": "socketio"}]}
    parcel = {"fr": "Votre colis arrive demain !", "en": "Your parcel comes tomorrow!"}
    away = {**web_campaign("browser away"), "class": "service", "audience": on_the_web,
            "messages": parcel}  # fmt: skip
    created = api(fusion, MARKETER, "POST", "/api/v1/campaigns", json=away).json()
    api(fusion, MARKETER, "POST", f"/api/v1/campaigns/{created['id']}/schedule")
    results = f"/api/v1/campaigns/{created['id']}/results"
    deadline = time.monotonic() + 60
    while api(fusion, MARKETER, "GET", results).json()["pending_by_reason"].get("offline", 0) < 1:
        assert time.monotonic() < deadline, "the nudge did not wait for the customer"
        time.sleep(0.5)
    open_chat(page, fusion, customer)
    expect(page.locator(".msg.bot", has_text="Bonjour").first).to_be_visible()  # kept
    answer_containing(page, "Votre colis arrive demain")
    shot(page, "chat-back", whole=False)


def test_a_signed_in_customer_finds_the_conversation_on_another_device(
    fusion: Fusion, page: Page, browser: Browser
) -> None:
    customer = new_customer()
    open_chat(page, fusion, customer)
    say(page, "Bonjour")
    answer_containing(page, "Bonjour")
    say(page, "combien j'ai de points ?")
    answer_containing(page, "points")
    other = browser.new_context(  # another device: nothing of the first one's storage
        viewport={"width": 390, "height": 800}, locale="fr-FR", timezone_id="Europe/Paris"
    )
    errors: list[str] = []
    phone = other.new_page()
    phone.on("pageerror", lambda error: errors.append(str(error)))
    try:
        open_chat(phone, fusion, customer)
        said = phone.locator(".msg.user .text")
        expect(said).to_have_text(["Bonjour", "combien j'ai de points ?"], timeout=WAIT_MS)
        expect(phone.locator(".msg.bot", has_text="points").last).to_be_visible()
        shot(phone, "chat-second-device", whole=False)
        say(phone, "au revoir")  # and the conversation goes on there
        answer_containing(phone, "revoir")
        phone.locator("#new-conversation").click()  # this device starts afresh, and stays so
        phone.wait_for_function("localStorage.length > 0 && Object.keys(localStorage)"
                                ".some(k => k.startsWith('fusion.cleared.'))")  # fmt: skip
        phone.reload()
        expect(phone.locator("#status")).to_have_attribute("data-state", "online", timeout=WAIT_MS)
        expect(phone.locator(".msg")).to_have_count(0)
    finally:
        other.close()
    assert errors == [], f"script errors on the second device: {errors}"


# the console


def api(fusion: Fusion, token: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.request(method, f"{fusion.engagement}{path}", headers=headers, timeout=30,
                            **kwargs)  # fmt: skip


def sign_in(page: Page, fusion: Fusion, token: str, where: str = "dashboard") -> None:
    page.goto(f"{fusion.engagement}/admin#/{where}")
    page.locator("#signin input[name=token]").fill(token)
    page.locator("#signin input[name=token]").press("Enter")
    expect(page.locator("#signout")).to_be_visible(timeout=WAIT_MS)


def test_a_community_manager_sees_a_located_error_then_publishes_a_rule_change(
    fusion: Fusion, page: Page
) -> None:
    sign_in(page, fusion, MANAGER)
    page.locator('nav a[href="#/rules"]').click()
    editor = page.locator("#rules-text")
    expect(editor).to_have_value(re.compile("rules:"), timeout=WAIT_MS)
    original = editor.input_value()
    line = next(n for n, text in enumerate(original.splitlines(), 1) if "points: 20}" in text)
    editor.fill(original.replace("points: 20}", "points: lots}", 1))
    page.locator("#rules-validate").click()
    problem = page.locator("#rules-problems .rule-error").first
    expect(problem).to_contain_text(f"line {line}", timeout=WAIT_MS)
    shot(page, "rules-error")
    changed = original.replace("points: 20}", "points: 25}", 1)
    editor.fill(changed)
    page.locator("#rules-validate").click()
    expect(page.locator("#rules-problems .rule-error")).to_have_count(0, timeout=WAIT_MS)
    page.locator("#rules-publish").click()
    page.locator("#confirm-yes").click()
    expect(page.locator("#rules-status")).to_contain_text("version 2", timeout=WAIT_MS)
    kept = changed.replace("version: 1\n", "version: 2\n", 1)
    expect(editor).to_have_value(kept, timeout=WAIT_MS)  # the file as kept, with its number
    shot(page, "rules-published")
    version = api(fusion, MANAGER, "GET", "/api/v1/rules/versions/2").json()
    assert version["content"] == kept
    assert version["published_by"] == "community_manager"


def rules_in_force(fusion: Fusion) -> int:
    versions = api(fusion, MANAGER, "GET", "/api/v1/rules/versions").json()["versions"]
    return int(versions[0]["version"])


def with_a_new_rule(rules: str) -> str:
    """``rules`` with one more rule at the end of its list (the file's last section)."""
    rule = f"  - id: browser_{uuid.uuid4().hex[:8]}\n    on: share\n    then: {{points: 1}}\n"
    return rules.rstrip("\n") + "\n" + rule


def open_rules(page: Page, fusion: Fusion) -> Any:
    sign_in(page, fusion, MANAGER)
    page.locator('nav a[href="#/rules"]').click()
    editor = page.locator("#rules-text")
    expect(editor).to_have_value(re.compile("rules:"), timeout=WAIT_MS)
    return editor


def test_results_made_under_the_rules_in_force_go_once_another_version_is_published(
    fusion: Fusion, page: Page
) -> None:
    editor, in_force = open_rules(page, fusion), rules_in_force(fusion)
    page.locator("#rules-backtest").click()
    expect(page.locator("#backtest-result")).to_contain_text(f"in force (v{in_force})",
                                                             timeout=WAIT_MS)  # fmt: skip
    page.locator("#rules-dry-run").click()
    expect(page.locator("#dry-run-result .report")).to_be_visible(timeout=WAIT_MS)
    editor.fill(with_a_new_rule(editor.input_value()))
    page.locator("#rules-publish").click()
    page.locator("#confirm-yes").click()
    expect(page.locator("#rules-status")).to_contain_text(f"version {in_force + 1} published",
                                                          timeout=WAIT_MS)  # fmt: skip
    for result in ("#backtest-result", "#dry-run-result"):
        expect(page.locator(result)).to_contain_text(f"Version {in_force + 1} is now in force")
        expect(page.locator(f"{result} .report")).to_have_count(0)
    shot(page, "rules-results-cleared")


def test_a_rollback_is_marked_in_the_history_and_the_back_test_against_it_goes(
    fusion: Fusion, page: Page
) -> None:
    earlier = rules_in_force(fusion)
    content = api(fusion, MANAGER, "GET", f"/api/v1/rules/versions/{earlier}").json()["content"]
    changed = api(fusion, MANAGER, "POST", "/api/v1/rules", data=with_a_new_rule(content).encode())
    published = changed.json()["version"]
    editor = open_rules(page, fusion)
    page.locator("#rules-backtest").click()
    expect(page.locator("#backtest-result")).to_contain_text(f"in force (v{published})",
                                                             timeout=WAIT_MS)  # fmt: skip
    page.locator(f'#rules-history button.rollback[data-version="{earlier}"]').click()
    page.locator("#confirm-yes").click()
    rolled = published + 1
    mark = page.locator(f'#rules-history li[data-version="{rolled}"] .version-rollback')
    expect(mark).to_have_text(f"rollback to v{earlier}", timeout=WAIT_MS)
    expect(page.locator(f'#rules-history li[data-version="{published}"] .version-rollback')
           ).to_have_count(0)  # fmt: skip
    expect(page.locator("#rules-in-force")).to_contain_text(f"a rollback to version {earlier}")
    expect(page.locator("#backtest-result")).to_contain_text(f"Version {rolled} is now in force")
    expect(page.locator("#backtest-result")).not_to_contain_text(f"v{published}")
    expect(editor).to_have_value(re.compile(rf"^version: {rolled}$", re.M), timeout=WAIT_MS)
    shot(page, "rules-rolled-back")


def test_a_marketer_sees_the_audience_size_and_schedules_a_campaign(
    fusion: Fusion, page: Page
) -> None:
    sign_in(page, fusion, MARKETER, "campaigns/new")
    form = page.locator("#campaign-form")
    name = f"Come back {uuid.uuid4().hex[:4]}"
    form.locator("input[name=name]").fill(name)
    form.locator("textarea[name=message_fr]").fill("Bonjour {{ first_name }}, revenez nous voir !")
    form.locator("textarea[name=message_en]").fill("Hello {{ first_name }}, come and see us!")
    form.locator("select[name=class]").select_option("service")
    tomorrow = datetime.now(timezone.utc) + timedelta(days=1)
    form.locator("input[name=schedule_once]").fill(tomorrow.strftime("%Y-%m-%dT10:00"))
    everyone = api(fusion, MARKETER, "POST", "/api/v1/campaigns/audience", json={
        "name": name, "class": "service", "messages": {"fr": "x", "en": "x"},
        "schedule": {"once": tomorrow.isoformat()}, "audience": {"all": []}}).json()  # fmt: skip
    assert everyone["matching"] >= 24  # the shop's history at least
    expect(page.locator("#audience-size")).to_contain_text(
        f"{everyone['matching']}", timeout=WAIT_MS
    )
    expect(page.locator("#preview-fr")).to_contain_text("revenez nous voir", timeout=WAIT_MS)
    shot(page, "campaign-form")
    page.locator("#campaign-schedule").click()
    expect(page.get_by_text("scheduled").first).to_be_visible(timeout=WAIT_MS)
    campaigns = api(fusion, MARKETER, "GET", "/api/v1/campaigns").json()["campaigns"]
    (mine,) = (c for c in campaigns if c["name"] == name)
    assert mine["status"] == "scheduled"
    assert mine["spec"]["messages"]["fr"] == "Bonjour {{ first_name }}, revenez nous voir !"
    page.goto(f"{fusion.engagement}/admin#/campaigns")
    expect(page.get_by_text(name)).to_be_visible(timeout=WAIT_MS)
    shot(page, "campaigns")
    page.goto(f"{fusion.engagement}/admin#/campaigns/{mine['id']}/results")
    page.wait_for_load_state("networkidle")
    shot(page, "campaign-results")


def chat_of(browser: Browser, fusion: Fusion, customer: str) -> Page:
    """The customer's chat, opened in a browser of their own."""
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    opened = context.new_page()
    open_chat(opened, fusion, customer)
    return opened


def test_a_marketer_reads_the_budget_used_and_left_then_test_sends_from_the_campaign_page(
    fusion: Fusion, page: Page, browser: Browser
) -> None:
    """Léa wrote once: the campaign's coupon reaches her, paid from its budget of 2. Tom
    only opened the chat: the run cannot reach him, the console's test send can (a sample
    code, no coupon minted)."""
    cohort = f"budget-{uuid.uuid4().hex[:6]}-"
    lea, tom = f"{cohort}lea", f"{cohort}tom"
    for who in (lea, tom):
        purchase(fusion, who, f"CMD-{uuid.uuid4().int % 100000:05d}", 30.0)
    lea_chat, tom_chat = chat_of(browser, fusion, lea), chat_of(browser, fusion, tom)
    say(lea_chat, "Bonjour")
    answer_containing(lea_chat, "Bonjour")
    gift = {"fr": "{{ first_name }}, votre bon de {{ coupon_value }} : {{ coupon_code }}",
            "en": "{{ first_name }}, a {{ coupon_value }} coupon: {{ coupon_code }}"}  # fmt: skip
    campaign = {**web_campaign(f"coupon {cohort}"), "class": "service", "messages": gift,
                "audience": {"all": [{"field": "customer_id", "op": "starts_with",
                                      "value": cohort}]},
                "coupon": "welcome_back_5", "coupon_budget": 2}  # fmt: skip
    created = api(fusion, MARKETER, "POST", "/api/v1/campaigns", json=campaign).json()
    api(fusion, MARKETER, "POST", f"/api/v1/campaigns/{created['id']}/schedule")
    expect(answer_containing(lea_chat, "votre bon de")).not_to_contain_text("TEST-NOT-VALID")

    sign_in(page, fusion, MARKETER, f"campaigns/{created['id']}/results")
    expect(page.locator("#budget-coupons-used")).to_have_text("1 coupon", timeout=WAIT_MS)
    expect(page.locator("#budget-coupons-left")).to_have_text("1 coupon")
    expect(page.locator("#results-skipped")).to_contain_text("1 nudge not sent")
    shot(page, "campaign-budget")

    page.goto(f"{fusion.engagement}/admin#/campaigns/{created['id']}")
    message = page.locator("#campaign-message")
    expect(message).to_contain_text("has run", timeout=WAIT_MS)
    expect(message).not_to_contain_text("pause it to edit")
    expect(page.locator("#campaign-pause")).to_be_hidden()
    page.locator("#preview-customer").fill(tom)
    expect(page.locator("#preview-fr")).to_have_text("Léa, votre bon de 5\u00a0€ : TEST-NOT-VALID")
    page.locator("#campaign-test-send").click()
    expect(page.locator("#test-send-note")).to_contain_text(f"Sent to {tom}", timeout=WAIT_MS)
    shot(page, "campaign-test-send")
    answer_containing(tom_chat, "votre bon de 5\u00a0€ : TEST-NOT-VALID")
    shot(tom_chat, "chat-test-send", whole=False)
    results = api(fusion, MARKETER, "GET", f"/api/v1/campaigns/{created['id']}/results").json()
    assert results["budget"]["coupons"] == {"budget": 2, "used": 1, "left": 1}  # none minted
    for chat in (lea_chat, tom_chat):
        chat.context.close()


def test_a_community_manager_sees_a_handoff_arrive_and_hands_it_back(
    fusion: Fusion, page: Page
) -> None:
    customer = new_customer()
    sign_in(page, fusion, MANAGER, "handoffs")
    expect(page.locator("#handoff-list")).to_be_visible(timeout=WAIT_MS)
    page.evaluate("window.fusionNotReloaded = true")
    before = api(fusion, MANAGER, "GET", "/api/v1/handoffs/count").json()["open"]
    fusion.say(customer, "Bonjour")
    assert fusion.say(customer, "je veux parler à quelqu'un")
    card = page.locator(f'.handoff[data-customer="{customer}"]')
    expect(card).to_be_visible(timeout=WAIT_MS)  # polled in: no reload
    expect(page.locator("#nav-count-handoffs")).to_have_text(str(before + 1), timeout=WAIT_MS)
    assert fusion.say(customer, "vous êtes là ? c'est pour ma commande") == [], "paused"
    expect(card.locator(".transcript")).to_contain_text("c'est pour ma commande", timeout=WAIT_MS)
    expect(card.locator(".said.by-customer").first).to_contain_text("parler à quelqu'un")
    expect(card.locator(".handoff-waiting")).to_contain_text(re.compile(r"waiting for \d+ "))
    assert page.evaluate("window.fusionNotReloaded") is True
    shot(page, "handoffs")
    card.locator(".handoff-resume").click()
    expect(page.locator("#confirm")).to_be_visible()
    expect(page.locator("#confirm-message")).to_contain_text(customer)
    shot(page, "handoffs-confirm")
    page.locator("#confirm-yes").click()
    expect(card).to_have_count(0, timeout=WAIT_MS)
    badge = page.locator("#nav-count-handoffs")
    if before:
        expect(badge).to_have_text(str(before), timeout=WAIT_MS)
    else:
        expect(badge).to_be_hidden(timeout=WAIT_MS)
    closed = api(fusion, MANAGER, "GET", "/api/v1/handoffs?status=closed").json()["handoffs"]
    (mine,) = (h for h in closed if h["customer_id"] == customer)
    assert mine["closed_by"] == "community_manager"
    assert fusion.say(customer, "combien j'ai de points ?"), "the assistant answers again"


def known_customer(fusion: Fusion, name: str) -> tuple[str, str]:
    """A customer the shop sent with a name and an e-mail: (id, e-mail)."""
    customer = new_customer()
    email = f"{customer}@Example.test"
    order = {"id": f"CMD-{uuid.uuid4().hex[:6]}", "total": 42.0, "currency": "EUR",
             "items": [{"sku": "SKU-L", "name": "Lampe", "quantity": 1, "price": 42.0}]}
    shop_event(fusion, {"id": f"buy-{order['id']}", "type": "purchase", "order": order,
                        "occurred_at": datetime.now(timezone.utc).isoformat(),
                        "customer": {"id": customer, "name": name, "email": email}})
    return customer, email  # fmt: skip


def test_staff_search_the_customer_list_and_open_a_customer(fusion: Fusion, page: Page) -> None:
    name = f"Éloïse Zed-{uuid.uuid4().hex[:4]}"
    customer, email = known_customer(fusion, name)
    sign_in(page, fusion, MANAGER, "customers")
    rows = page.locator("#customer-list tbody tr")
    expect(rows.first).to_be_visible(timeout=WAIT_MS)
    page.locator("#customer-query").fill(name.split("-")[1].upper())  # part of the name, any case
    expect(rows).to_have_count(1, timeout=WAIT_MS)
    expect(rows.first).to_contain_text(name)
    page.locator("#customer-query").fill(email.split("@")[0][-6:] + "@example")  # the e-mail
    expect(rows).to_have_count(1, timeout=WAIT_MS)
    expect(rows.first).to_contain_text(email)
    page.locator("#customer-query").fill("")
    expect(rows.nth(1)).to_be_visible(timeout=WAIT_MS)
    page.locator('button.sort[data-sort="points"]').click()
    expect(page.locator('th[aria-sort="descending"]')).to_contain_text("Points", timeout=WAIT_MS)
    points = [int(text.replace(",", "")) for text in rows.locator("td.num").all_inner_texts()]
    assert points == sorted(points, reverse=True) and len(points) > 1
    shot(page, "customers-list")
    page.locator("#customer-query").fill(name)
    expect(rows).to_have_count(1, timeout=WAIT_MS)
    rows.first.locator("td").nth(1).click()  # anywhere on the row
    expect(page.locator("#customer-title")).to_have_text(name, timeout=WAIT_MS)
    assert page.url.endswith(f"#/customers/{customer}")
    expect(page.locator("#decision-log")).to_be_visible()


def test_staff_read_the_console_in_the_brand_s_french_and_their_choice_is_remembered(
    fusion: Fusion, browser: Browser
) -> None:
    """Nothing chosen yet: French, the brand's default (FUSION_DEFAULT_LANGUAGE), even in a
    browser set to English; English once chosen, still after a reload; French again."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="en-GB", timezone_id="Europe/Paris"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    customer, _ = known_customer(fusion, "Chloé Lenoir")
    sign_in(page, fusion, MANAGER, f"customers/{customer}")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator('nav a[href="#/customers"]')).to_have_text("Clients")
    expect(page.locator('nav a[href="#/dashboard"]')).to_have_text("Tableau de bord")
    expect(page.locator("#signout")).to_have_text("Se déconnecter")
    expect(page.locator(".badge-chip")).to_contain_text("Premier achat", timeout=WAIT_MS)
    worth = page.locator("#customer-points .kpi-note")
    expect(worth).to_have_text(re.compile(r"^soit \d+,\d{2}\s€$"))  # CLDR's French euros
    expect(page.locator("#customer-ledger time").first).to_have_text(
        re.compile(r"^\d{1,2} [a-zéû]+\.? \d{4}( à|,)? \d{2}:\d{2}$"))  # fmt: skip
    expect(page.locator("#role")).to_have_attribute("data-signed-in-as", "Connecté en tant que")
    shot(page, "customer-in-french")
    page.locator(".crumbs a").click()
    expect(page.locator(".page-customers h1")).to_have_text("Clients", timeout=WAIT_MS)

    page.locator('.whoami button[data-language="en"]').click()
    expect(page.locator('nav a[href="#/customers"]')).to_have_text("Customers", timeout=WAIT_MS)
    page.reload()
    expect(page.locator('nav a[href="#/customers"]')).to_have_text("Customers", timeout=WAIT_MS)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(f"{fusion.engagement}/admin#/customers/{customer}")
    expect(page.locator(".badge-chip")).to_contain_text("First purchase", timeout=WAIT_MS)
    expect(worth).to_have_text(re.compile(r"^worth €\d+\.\d{2}$"))

    page.locator('.whoami button[data-language="fr"]').click()
    handoffs = page.locator('nav a[href="#/handoffs"]')
    expect(handoffs).to_contain_text("Relais humains", timeout=WAIT_MS)
    handoffs.click()
    expect(page.locator("#main h1")).to_contain_text("Relais humains", timeout=WAIT_MS)
    page.locator('nav a[href="#/dashboard"]').click()
    expect(page.locator("#main h1")).to_have_text("Tableau de bord", timeout=WAIT_MS)
    expect(page.locator("#kpi-total .kpi-note")).to_have_text("clients connus")
    shot(page, "dashboard-in-french")
    context.close()
    assert errors == [], f"script errors on the page: {errors}"


def test_a_staff_member_who_chose_english_reads_the_console_in_english(
    fusion: Fusion, page: Page
) -> None:
    customer, _ = known_customer(fusion, "Oliver Twist")
    sign_in(page, fusion, MANAGER, f"customers/{customer}")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator('nav a[href="#/customers"]')).to_have_text("Customers")
    expect(page.locator('nav a[href="#/handoffs"]')).to_contain_text("Handoffs")
    expect(page.locator(".badge-chip")).to_contain_text("First purchase", timeout=WAIT_MS)
    expect(page.locator("#customer-stage .kpi-label")).to_have_text("Stage")
    worth = re.compile(r"^worth €\d+\.\d{2}$")
    expect(page.locator("#customer-points .kpi-note")).to_have_text(worth)
    chosen = page.locator('.whoami button[data-language="en"]')
    expect(chosen).to_have_attribute("aria-pressed", "true")
    page.locator('nav a[href="#/dashboard"]').click()
    expect(page.locator("#main h1")).to_have_text("Dashboard", timeout=WAIT_MS)


def test_a_marketer_sees_a_customer_without_the_decision_log(fusion: Fusion, page: Page) -> None:
    customer, _ = known_customer(fusion, "Marc Hetteur")
    sign_in(page, fusion, MARKETER, f"customers/{customer}")
    expect(page.locator("#customer-title")).to_have_text("Marc Hetteur", timeout=WAIT_MS)
    expect(page.locator("#customer-ledger table")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#fusion-explanation")).to_be_visible()  # their "why" of the score
    expect(page.locator("#decision-log")).to_have_count(0)
    expect(page.locator(".forbidden")).to_have_count(0)
    shot(page, "customer-as-marketer")


def test_a_marketer_cannot_open_the_rules_editor(fusion: Fusion, page: Page) -> None:
    sign_in(page, fusion, MARKETER)
    expect(page.locator('nav a[href="#/campaigns"]')).to_be_visible()
    expect(page.locator('nav a[href="#/rules"]')).to_have_count(0)
    page.goto(f"{fusion.engagement}/admin#/rules")
    expect(page.locator(".forbidden")).to_contain_text("marketer", timeout=WAIT_MS)
    expect(page.locator("#rules-publish")).to_have_count(0)
    shot(page, "rules-forbidden")
    refused = api(fusion, MARKETER, "POST", "/api/v1/rules", data="rules: []")
    assert refused.status_code == 403


def test_the_admin_sees_every_page_of_the_console(fusion: Fusion, page: Page) -> None:
    token = TEST_TOKENS["FUSION_ADMIN_TOKEN"]
    draft = {"name": "audited", "class": "service", "messages": {"fr": "x", "en": "x"},
             "schedule": {"cron": "0 10 * * 1"}, "audience": {"all": []}}  # fmt: skip
    assert api(fusion, token, "POST", "/api/v1/campaigns", json=draft).status_code == 201
    sign_in(page, fusion, token)
    for view in ("dashboard", "moderation", "handoffs", "customers", "campaigns", "audit"):
        page.goto(f"{fusion.engagement}/admin#/{view}")
        page.wait_for_load_state("networkidle")
        expect(page.locator(".forbidden")).to_have_count(0)
        shot(page, f"console-{view}")
    expect(page.locator("#main")).to_contain_text("campaign.create")  # the audit log
    page.goto(f"{fusion.engagement}/admin#/dashboard")
    for chart in ("funnel", "funnel-weeks", "fusion", "rewards", "campaigns"):
        expect(page.locator(f"#chart-{chart}")).to_be_visible(timeout=WAIT_MS)
    page.wait_for_timeout(1000)  # the charts' entry animation
    shot(page, "dashboard")
