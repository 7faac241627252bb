"""`python -m bot run` for real: three processes on free ports, a temporary database,
short French and English conversations over REST, the safe defaults, a clean stop."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jwt
import pytest
import requests
import socketio

from bot.rasa_api import bearer
from engagement.customer_tokens import mint_customer_token
from tests.conftest import TEST_TOKENS, customer_token
from tests.product import (
    START_TIMEOUT,
    Fusion,
    admin,
    approve,
    new_customer,
    purchase,
    rasa_auth,
    start,
    stop,
    user_messages,
    web_campaign,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fusion(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fusion]:
    running = start(tmp_path_factory.mktemp("fusion"))
    if not running.wait_for("Fusion is running", START_TIMEOUT):
        stop(running)
        pytest.fail("fusion did not start:\n" + "\n".join(running.output[-60:]))
    yield running
    stop(running)


def test_a_french_conversation(fusion: Fusion) -> None:
    customer = new_customer()
    hello = fusion.say(customer, "Bonjour")
    assert hello[0].startswith("Bonjour")
    assert any(text.startswith("Confidentialité") for text in hello)
    assert fusion.say(customer, "tu peux faire quoi pour moi ?")[0].startswith("Je peux")
    assert fusion.say(customer, "merci beaucoup")[0].startswith("Avec plaisir")
    assert fusion.say(customer, "au revoir")[0].startswith("Au revoir")


def test_an_english_conversation(fusion: Fusion) -> None:
    customer = new_customer()
    hello = fusion.say(customer, "Hello")
    assert hello[0].startswith("Hello")
    assert any(text.startswith("Privacy") for text in hello)
    assert fusion.say(customer, "are you a real person?")[0].startswith("I'm an automated")
    assert fusion.say(customer, "thanks a lot")[0].startswith("You're welcome")
    assert fusion.say(customer, "bye")[0].startswith("Goodbye")


def test_the_privacy_notice_comes_with_the_first_greeting_only(fusion: Fusion) -> None:
    customer = new_customer()
    assert len(fusion.say(customer, "Bonjour")) == 2
    assert fusion.say(customer, "Salut") == [fusion.say(customer, "Bonjour")[0]]


def test_the_language_changes_on_request(fusion: Fusion) -> None:
    customer = new_customer()
    fusion.say(customer, "Bonjour")
    assert fusion.say(customer, "can you answer in English please")[0].startswith("Got it")
    assert fusion.say(customer, "parle français stp")[0].startswith("C'est noté")


def test_something_off_topic_gets_a_polite_answer(fusion: Fusion) -> None:
    answer = fusion.say(new_customer(), "quel temps fera-t-il demain à Lyon ?")
    assert answer[0].startswith(("Désolé", "Pardon", "Je n'ai pas bien compris"))


def test_oversized_and_anonymous_messages_never_reach_the_model(fusion: Fusion) -> None:
    webhook = f"{fusion.rasa}/webhooks/rest/webhook"
    too_long = requests.post(webhook, json={"sender": "x", "message": "mot " * 2000}, timeout=10)
    anonymous = requests.post(webhook, json={"message": "Bonjour"}, timeout=10)
    assert (too_long.status_code, anonymous.status_code) == (413, 400)


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"Authorization": b"Bearer \xff\xfe"}, b'{"message": "Bonjour"}'),
        ({"Authorization": "Bearer " + "x" * 5000}, b'{"message": "Bonjour"}'),
        ({"Authorization": "Basic bGVhOmxlYQ=="}, b'{"message": "Bonjour"}'),
        ({}, b"not json"),
        ({}, b"\xff\xfe\x00"),
        ({}, b'["a list"]'),
        ({}, b"[" * 100_000 + b"]" * 100_000),
        ({}, b'{"sender": {"id": 1}, "message": "Bonjour"}'),
        ({}, b'{"sender": "' + b"s" * 5000 + b'", "message": "Bonjour"}'),
        ({}, b'{"sender": "a", "message": 42}'),
        ({}, b'{"sender": "a", "message": "' + b"\\ud800" * 10 + b'"}'),
    ],
    ids=["token-bytes", "token-huge", "basic-auth", "not-json", "not-utf8", "list", "deep",
         "sender-object", "sender-huge", "message-number", "lone-surrogates"],
)
def test_malformed_chat_requests_get_a_clear_refusal_never_a_server_error(
    fusion: Fusion, headers: dict, body: bytes
) -> None:
    answer = requests.post(f"{fusion.rasa}/webhooks/rest/webhook", data=body, timeout=30,
                           headers={"Content-Type": "application/json", **headers})  # fmt: skip
    assert answer.status_code < 500, answer.text[:500]
    assert answer.status_code in (200, 400, 401, 413), answer.text[:500]


def test_a_conversation_writing_too_fast_is_told_to_wait(fusion: Fusion) -> None:
    """30 messages a minute per conversation (credentials.yml), before the model runs."""
    webhook, sender = f"{fusion.rasa}/webhooks/rest/webhook", f"fast-{uuid.uuid4().hex}"
    statuses = [
        requests.post(webhook, json={"sender": sender, "message": "ok"}, timeout=60).status_code
        for _ in range(31)
    ]
    assert statuses == [200] * 30 + [429]
    assert fusion.say_anonymously(f"calm-{uuid.uuid4().hex}", "Bonjour"), "others go on"


def test_the_apis_need_their_tokens(fusion: Fusion) -> None:
    assert requests.get(f"{fusion.rasa}/status", timeout=10).status_code == 401
    # Rasa's own query-string token is not accepted: a JWT in the header is
    query = {"token": TEST_TOKENS["FUSION_RASA_TOKEN"]}
    assert requests.get(f"{fusion.rasa}/status", params=query, timeout=10).status_code == 401
    forged = bearer("another-secret-0123456789")
    assert requests.get(f"{fusion.rasa}/status", headers=forged, timeout=10).status_code == 401
    # signed with the right secret but without exp, or until 2100; alg none; undecodable
    # bytes: 401 (sanic-jwt alone took the first two and answered 500 to the others)
    secret, admin = TEST_TOKENS["FUSION_RASA_TOKEN"], {"user": {"username": "x", "role": "admin"}}
    for header in (
        f"Bearer {jwt.encode(admin, secret)}",
        f"Bearer {jwt.encode({**admin, 'exp': 4102444800}, secret)}",
        f"Bearer {jwt.encode({**admin, 'exp': int(time.time()) + 60}, None, 'none')}",
        b"Bearer \xff\xfe",
    ):
        refused = requests.get(f"{fusion.rasa}/status", headers={"Authorization": header},
                               timeout=10)  # fmt: skip
        assert refused.status_code == 401, (header, refused.status_code)
    status = requests.get(f"{fusion.rasa}/status", headers=rasa_auth(), timeout=10)
    assert status.status_code == 200
    # the model is ours to deploy: replacing, deleting or training one through the API is off
    model = {"model_file": "/tmp/crafted.tar.gz"}
    for method, path in (("PUT", "/model"), ("DELETE", "/model"), ("POST", "/model/train")):
        refused = requests.request(method, f"{fusion.rasa}{path}", headers=rasa_auth(),
                                   json=model, timeout=10)  # fmt: skip
        assert refused.status_code == 403, (method, path, refused.text)
    assert requests.get(f"{fusion.rasa}/status", headers=rasa_auth(), timeout=10).json()["model_id"]
    assert requests.post(f"{fusion.actions}/webhook", json={}, timeout=10).status_code == 401
    assert requests.get(f"{fusion.engagement}/health", timeout=10).status_code == 200


def test_a_customer_buys_contributes_sees_rewards_then_erases_everything(fusion: Fusion) -> None:
    customer = new_customer()
    order_id = f"CMD-{uuid.uuid4().int % 100000:05d}"
    purchase(fusion, customer, order_id, 59.9)
    fusion.say(customer, "Bonjour")
    assert fusion.say(customer, f"où en est ma commande {order_id} ?")[0].startswith(
        f"Votre commande {order_id}"
    )
    assert fusion.say(customer, "je voudrais laisser un avis")[0].startswith("Quel article")
    assert fusion.say(customer, order_id)[0].startswith("Quelle note")
    assert fusion.say(customer, "5")[0].startswith("Dites-m'en")
    thanks = fusion.say(customer, "Très beau pull, la taille est parfaite")
    assert thanks[0].startswith("Merci pour votre avis") and "30 points" in thanks[0]
    assert fusion.say(customer, "j'ai une idée pour la boutique")[0].startswith("Super !")
    assert fusion.say(customer, "Un rayon de laine en vrac")[0].startswith("Décrivez-la")
    idea = fusion.say(customer, "On viendrait avec nos sacs pour acheter la laine au poids")
    assert idea[0].startswith("Merci pour votre idée")
    approve(fusion, "review", customer)
    approve(fusion, "idea", customer)
    purchase(fusion, customer, f"{order_id}-2", 35.0)  # a second purchase brings a coupon
    profile = admin(fusion, "GET", f"/api/v1/customers/{customer}").json()
    assert profile["points"] == 59 + 20 + 30 + 40 + 35
    assert fusion.say(customer, "combien j'ai de points ?") == [
        f"Vous avez {profile['points']} points."
    ]
    badges = fusion.say(customer, "c'est quoi mes badges ?")[0]
    assert "Premier achat" in badges and "Premier avis" in badges
    (coupon,) = fusion.say(customer, "j'ai des bons de réduction ?")
    assert coupon.startswith(f"🎟 {profile['coupons'][0]['code']} : -5\u00a0€ dès 30\u00a0€")

    export = admin(fusion, "GET", f"/api/v1/customers/{customer}/export").json()
    events = export["conversation_events"]  # from Rasa's tracker store, with our data
    written = [e["event"].get("text") for e in events if e["type"] == "user"]
    assert written[:2] == ["Bonjour", f"où en est ma commande {order_id} ?"]
    assert any(e["type"] == "bot" for e in events) and export["contributions"]

    confirm = fusion.say(customer, "je veux supprimer toutes mes données")
    assert confirm[0].startswith("Voulez-vous vraiment effacer")
    assert fusion.say(customer, "oui")[0].startswith("C'est fait : vos données sont effacées")
    assert admin(fusion, "GET", f"/api/v1/customers/{customer}/export").status_code == 404
    deadline = time.monotonic() + 30
    while user_messages(fusion, customer) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert user_messages(fusion, customer) == [], "the conversation's history is erased too"


def test_a_customer_asks_for_a_person_and_staff_hand_the_conversation_back(
    fusion: Fusion,
) -> None:
    customer = new_customer()
    fusion.say(customer, "Hello")
    handed = fusion.say(customer, "I want to talk to a real person please")
    assert handed[0].startswith("I'm passing your request to an adviser")
    assert fusion.say(customer, "hello? how many points do I have?") == [], "the bot stepped back"
    (request,) = (h for h in admin(fusion, "GET", "/api/v1/handoffs").json()["handoffs"]
                  if h["sender_id"] == customer)  # fmt: skip
    asked = [m["text"] for m in request["conversation"] if m["by"] == "customer"]
    assert asked == ["I want to talk to a real person please", "hello? how many points do I have?"]
    assert request["recent_messages"][-1] == "hello? how many points do I have?"
    resumed = admin(fusion, "POST", f"/api/v1/handoffs/{request['id']}/resume")
    assert resumed.status_code == 200, resumed.text
    assert fusion.say(customer, "how many points do I have?") == ["You have 0 points."]


def test_a_scheduled_campaign_reaches_a_web_customer_live_and_the_conversation_goes_on(
    fusion: Fusion,
) -> None:
    customer = new_customer()
    purchase(fusion, customer, f"CMD-{uuid.uuid4().int % 100000:05d}", 30.0)
    asyncio.run(_campaign_over_socketio(fusion, customer, web_campaign("e2e")))


async def _campaign_over_socketio(fusion: Fusion, customer: str, campaign: dict) -> None:
    client = socketio.AsyncClient()
    said: asyncio.Queue[str] = asyncio.Queue()
    confirmed = asyncio.Event()
    client.on("bot_uttered", lambda data: said.put_nowait(data.get("text", "")))
    client.on("session_confirm", lambda *_: confirmed.set())
    # polling: this python-engineio needs aiohttp 3.10 for its websocket client
    await client.connect(fusion.rasa, socketio_path="/socket.io", transports=["polling"])
    try:
        signed_in = {"token": customer_token(customer)}
        await client.emit("session_request", {"session_id": customer, "customData": signed_in})
        await asyncio.wait_for(confirmed.wait(), 10)

        async def say(text: str, expected: str) -> str:
            await client.emit("user_uttered", {"message": text, "customData": signed_in})
            return await _next_containing(said, expected, 60)

        await say("j'accepte de recevoir vos offres", "C'est noté")
        created = await asyncio.to_thread(admin, fusion, "POST", "/api/v1/campaigns", json=campaign)
        assert created.status_code == 201, created.text
        scheduled = await asyncio.to_thread(
            admin, fusion, "POST", f"/api/v1/campaigns/{created.json()['id']}/schedule"
        )
        assert scheduled.status_code == 200, scheduled.text
        nudge = await _next_containing(said, "une surprise vous attend", 60)
        assert nudge.startswith("Léa, une surprise vous attend")
        assert (await say("combien j'ai de points ?", "Vous avez")).startswith("Vous avez")
        results = await asyncio.to_thread(
            admin, fusion, "GET", f"/api/v1/campaigns/{created.json()['id']}/results"
        )
        assert (results.json()["by_status"], results.json()["answered"]) == ({"sent": 1}, 1)
    finally:
        await client.disconnect()
    # away: the next nudge waits for the customer, and comes as they reconnect
    away = {**campaign, "name": "e2e away", "class": "service",
            "messages": {"fr": "Votre colis arrive demain !", "en": "Your parcel comes tomorrow!"},
            "schedule": {"once": datetime.now(timezone.utc).isoformat()}}  # fmt: skip
    created = await asyncio.to_thread(admin, fusion, "POST", "/api/v1/campaigns", json=away)
    await asyncio.to_thread(
        admin, fusion, "POST", f"/api/v1/campaigns/{created.json()['id']}/schedule"
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        results = await asyncio.to_thread(
            admin, fusion, "GET", f"/api/v1/campaigns/{created.json()['id']}/results"
        )
        if results.json()["pending_by_reason"] == {"offline": 1}:
            break
        await asyncio.sleep(0.5)
    assert results.json()["pending_by_reason"] == {"offline": 1}, results.json()
    # someone who knows the id connects first: the nudge is not theirs, and waits
    spy, overheard, _ = await _socket(fusion, {"session_id": customer})
    client = socketio.AsyncClient()
    said = asyncio.Queue()
    client.on("bot_uttered", lambda data: said.put_nowait(data.get("text", "")))
    await client.connect(fusion.rasa, socketio_path="/socket.io", transports=["polling"])
    try:
        await client.emit("session_request", {"customData": {"token": customer_token(customer)}})
        assert "demain" in await _next_containing(said, "Votre colis", 30)
        await spy.emit("user_uttered", {"message": "Bonjour"})
        received = [await asyncio.wait_for(overheard.get(), 60)]
        assert not any("Votre colis" in text for text in received), received
    finally:
        await client.disconnect()
        await spy.disconnect()


async def _next_containing(said: asyncio.Queue[str], expected: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = await asyncio.wait_for(said.get(), max(0.1, deadline - time.monotonic()))
        if expected in text:
            return text


def test_knowing_a_customer_id_without_their_token_opens_nothing(fusion: Fusion) -> None:
    customer = new_customer()
    purchase(fusion, customer, f"CMD-{uuid.uuid4().int % 100000:05d}", 80.0)
    purchase(fusion, customer, f"CMD-{uuid.uuid4().int % 100000:05d}", 35.0)  # a coupon
    code = admin(fusion, "GET", f"/api/v1/customers/{customer}").json()["coupons"][0]["code"]
    # the id alone, as the conversation id, is an anonymous conversation of its own
    answers = fusion.say_anonymously(customer, "j'ai des bons de réduction ?")
    assert answers[0].startswith("Je ne sais pas encore qui vous êtes"), answers
    assert not any(code in text for text in answers)
    assert fusion.say_anonymously(customer, "combien j'ai de points ?")[0].startswith(
        "Je ne sais pas encore qui vous êtes"
    )
    fusion.say_anonymously(customer, "je veux supprimer toutes mes données")
    fusion.say_anonymously(customer, "oui")
    assert admin(fusion, "GET", f"/api/v1/customers/{customer}/export").status_code == 200
    # a token the shop did not sign, or one past its time, is refused outright
    webhook = f"{fusion.rasa}/webhooks/rest/webhook"
    forged = mint_customer_token("another-secret-0123456789", customer, datetime.now(timezone.utc))
    expired = mint_customer_token(TEST_TOKENS["FUSION_CUSTOMER_TOKEN_SECRET"], customer,
                                  datetime.now(timezone.utc) - timedelta(hours=2))  # fmt: skip
    for token in (forged, expired, "not-a-token", "\u00e9t\u00e9"):
        refused = requests.post(webhook, json={"message": "mes bons ?"}, timeout=10,
                                headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert refused.status_code == 401, (token, refused.text)
    # with the shop's token, the same question shows the coupon
    assert code in fusion.say(customer, "j'ai des bons de réduction ?")[0]


def test_an_anonymous_conversation_reaches_the_account_only_through_a_linking_code(
    fusion: Fusion,
) -> None:
    customer = new_customer()
    purchase(fusion, customer, f"CMD-{uuid.uuid4().int % 100000:05d}", 42.0)
    elsewhere = f"app-{uuid.uuid4().hex}"
    assert fusion.say_anonymously(elsewhere, "je veux un code de liaison")[0].startswith(
        "Je ne sais pas encore qui vous êtes"
    ), "an anonymous conversation cannot mint codes for anyone"
    shown = fusion.say(customer, "je veux un code de liaison")[0]
    code = next(word for word in shown.replace(".", " ").split() if word.isdigit())
    assert fusion.say_anonymously(elsewhere, f"mon code de liaison est {code}")[0].startswith(
        "C'est fait"
    )
    points = admin(fusion, "GET", f"/api/v1/customers/{customer}").json()["points"]
    assert points > 0
    assert fusion.say_anonymously(elsewhere, "combien j'ai de points ?") == [
        f"Vous avez {points} points."
    ]


def test_a_second_socket_knowing_the_customer_id_hears_nothing_of_their_conversation(
    fusion: Fusion,
) -> None:
    customer = new_customer()
    purchase(fusion, customer, f"CMD-{uuid.uuid4().int % 100000:05d}", 35.0)
    purchase(fusion, customer, f"CMD-{uuid.uuid4().int % 100000:05d}", 35.0)
    code = admin(fusion, "GET", f"/api/v1/customers/{customer}").json()["coupons"][0]["code"]
    asyncio.run(_eavesdropping(fusion, customer, code))


async def _socket(fusion: Fusion, request: dict) -> tuple[socketio.AsyncClient, asyncio.Queue[str],
                                                         str]:  # fmt: skip
    client = socketio.AsyncClient()
    said: asyncio.Queue[str] = asyncio.Queue()
    confirmed: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    client.on("bot_uttered", lambda data: said.put_nowait(data.get("text", "")))
    client.on("session_confirm",
              lambda sid: confirmed.done() or confirmed.set_result(str(sid)))  # fmt: skip
    await client.connect(fusion.rasa, socketio_path="/socket.io", transports=["polling"])
    await client.emit("session_request", request)
    return client, said, await asyncio.wait_for(confirmed, 10)


async def _eavesdropping(fusion: Fusion, customer: str, code: str) -> None:
    token = {"token": customer_token(customer)}
    owner, heard, own_session = await _socket(fusion, {"customData": token})
    second_tab, tab_heard, _ = await _socket(fusion, {"customData": token})
    spy, overheard, spy_session = await _socket(fusion, {"session_id": customer})
    huge, _, huge_session = await _socket(fusion, {"session_id": "x" * 5000})
    try:
        assert own_session == customer and spy_session != customer
        assert huge_session.startswith("~") and len(huge_session) < 64, "ids are Fusion's"
        assert spy_session.startswith("~"), "the spy talks in an anonymous conversation"
        await owner.emit("user_uttered", {"message": "j'ai des bons de réduction ?",
                                          "customData": token})  # fmt: skip
        assert code in await _next_containing(heard, code, 60)
        assert code in await _next_containing(tab_heard, code, 10), "the customer's own tab"
        # the spy writes as the customer: it talks in its own anonymous conversation
        await spy.emit("user_uttered", {"message": "j'ai des bons de réduction ?",
                                        "session_id": customer})  # fmt: skip
        # socket.io keeps order: whatever reached the spy came before its own answer
        received = [await asyncio.wait_for(overheard.get(), 60)]
        while "Je ne sais pas" not in received[-1]:
            received.append(await asyncio.wait_for(overheard.get(), 60))
        assert received == [received[-1]], f"the spy heard the customer's answers: {received}"
        assert received[-1].startswith("Je ne sais pas encore qui vous êtes")
    finally:
        for client in (owner, second_tab, spy, huge):
            await client.disconnect()


def test_sigterm_stops_all_three(fusion: Fusion) -> None:
    assert stop(fusion) == 0
    for url in (fusion.rasa, fusion.actions, fusion.engagement):
        with pytest.raises(requests.ConnectionError):
            requests.get(url, timeout=5)


def test_a_service_that_dies_stops_the_others(trained_model: Path, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        fusion = start(tmp_path, FUSION_ENGAGEMENT_PORT=str(port))
        code = fusion.process.wait(timeout=120)
    assert code != 0
    assert fusion.wait_for("engagement service exited", 5), fusion.output[-20:]
