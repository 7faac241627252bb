"""Scale-out on loopback: 2 Rasa servers, 2 action servers and 2 engagement services on one
PostgreSQL and one Redis (started by scripts/stores.sh). 200 customers buy twice (each event
posted to both engagement services), chat concurrently with each turn going to the other
Rasa server, redeem their coupon through both services at once, while a campaign runs on
both engagement services. Afterwards, read from the databases:

- each conversation's turns are in Rasa's tracker in the order sent, none lost;
- every award exists exactly once (each customer holds what one customer's purchases pay);
- no coupon is redeemed twice (one 200 and one 409 per coupon);
- every eligible customer saw the nudge exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import aiohttp
import pytest
import requests
from yarl import URL

from bot.cli import rasa_command
from bot.composition import PROJECT_DIR, load_settings
from engagement.shop_signature import shop_headers
from tests.conftest import TEST_TOKENS, as_customer
from tests.e2e.test_dispatch_faults import Processes, query, up, wait_until
from tests.stores import Stores, free_port

pytestmark = pytest.mark.slow

CUSTOMERS = 200
TURNS = ("Bonjour", "combien de points j'ai ?", "quels badges j'ai ?", "merci beaucoup")
NUDGE = "Une question sur votre commande ? Nous sommes là."
IN_FLIGHT = 24  # customers typing at the same moment


@pytest.fixture
def cluster(
    trained_model: Path, stores: Stores, tmp_path: Path
) -> Iterator[tuple[Processes, list[str], list[str], str]]:
    database = stores.new_database()
    rasa_ports, action_ports, engagement_ports = (
        [free_port(), free_port()] for _ in range(3)
    )
    base = {
        **os.environ, **TEST_TOKENS, "PYTHONPATH": str(PROJECT_DIR),
        "RASA_TELEMETRY_ENABLED": "false", "FUSION_DATABASE_URL": database,
        "FUSION_REDIS_URL": stores.redis_url, "FUSION_NUDGE_INTERVAL_S": "1",
        "FUSION_NUDGE_QUIET_S": "0", "FUSION_QUIET_HOURS": "00:00-00:00",
        "FUSION_NUDGE_LEASE_S": "10", "FUSION_NUDGE_RETRY_S": "2",
        # this machine plays 200 customers: its address is not one client
        "FUSION_CHAT_MESSAGES_PER_MINUTE_PER_CLIENT": "1000000",
    }  # fmt: skip
    subprocess.run([sys.executable, "-m", "bot", "migrate"], cwd=PROJECT_DIR,
                   env={**base, "FUSION_DATA_DIR": str(tmp_path)}, check=True,
                   capture_output=True)  # fmt: skip
    processes = Processes(base, tmp_path)
    rasa_urls = [f"http://127.0.0.1:{port}" for port in rasa_ports]
    for n in range(2):
        env = {
            **base, "FUSION_DATA_DIR": str(tmp_path / f"node{n}"),
            "FUSION_RASA_PORT": str(rasa_ports[n]), "FUSION_ACTION_PORT": str(action_ports[n]),
            "FUSION_ENGAGEMENT_PORT": str(engagement_ports[n]),
            "FUSION_RASA_EXTRA_URLS": rasa_urls[1 - n],
        }  # fmt: skip
        (tmp_path / f"node{n}").mkdir()
        processes.start(f"rasa-{n}", rasa_command(load_settings(env), trained_model), env)
        processes.start(f"actions-{n}", [sys.executable, "-m", "bot", "actions"], env)
        processes.start(f"engagement-{n}", [sys.executable, "-m", "bot", "serve"], env)
    engagement = [f"http://127.0.0.1:{port}" for port in engagement_ports]
    try:
        for url in (*[f"{u}/health" for u in engagement], *[f"{u}/" for u in rasa_urls]):
            wait_until(lambda url=url: up(url), 300, url)
        for port in action_ports:
            wait_until(lambda port=port: up(f"http://127.0.0.1:{port}/health"), 120, "actions")
        yield processes, rasa_urls, engagement, database
    finally:
        processes.stop_all()


def purchase(customer: str, number: int) -> dict:
    return {
        "id": f"{customer}-order-{number}", "type": "purchase",
        "occurred_at": datetime.now(timezone.utc).isoformat(),
        "customer": {"id": customer, "name": "Client", "language": "fr"},
        "order": {"id": f"{customer}-o{number}", "total": 42.0, "currency": "EUR",
                  "items": [{"sku": "MUG", "name": "Mug", "quantity": 1, "price": 42.0}]},
    }  # fmt: skip


async def signed_post(
    session: aiohttp.ClientSession, url: str, body: dict, at: float | None = None
) -> int:
    """POSTs as the shop does, signed at ``at`` (default now); a signature is good once, so
    the copy sent to the other service is signed at another whole second."""
    raw = json.dumps(body).encode()
    headers = shop_headers(TEST_TOKENS["FUSION_SHOP_SECRET"], "POST", URL(url).raw_path_qs,
                           raw, now=time.time() if at is None else at)  # fmt: skip
    async with session.post(url, data=raw, headers=headers) as answer:
        await answer.read()
        return answer.status


async def say(session: aiohttp.ClientSession, rasa: str, customer: str, text: str) -> None:
    async with session.post(f"{rasa}/webhooks/rest/webhook", json={"message": text},
                            headers=as_customer(customer)) as answer:  # fmt: skip
        assert answer.status == 200, await answer.text()
        await answer.read()


async def buy_twice_through_both(engagement: list[str], customers: list[str]) -> Counter:
    """Each purchase posted to both engagement services at once: 201 once, 200 (a replay)."""
    statuses: Counter = Counter()
    gate = asyncio.Semaphore(IN_FLIGHT)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:

        async def buy(customer: str) -> None:
            async with gate:
                for number in (1, 2):
                    event = purchase(customer, number)
                    # one instant for both copies, a whole second apart: each its own t (two
                    # copies signed 1 s apart from two readings of the clock can share one)
                    at = int(time.time())
                    both = [signed_post(session, f"{u}/api/v1/events", event, at=at - n)
                            for n, u in enumerate(engagement)]  # fmt: skip
                    statuses.update(await asyncio.gather(*both))

        await asyncio.gather(*(buy(customer) for customer in customers))
    return statuses


async def chat(rasa: list[str], customers: list[str], turns: tuple[str, ...], shift: int) -> None:
    """Each customer's turns in order, each turn through the other Rasa server."""
    gate = asyncio.Semaphore(IN_FLIGHT)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as session:

        async def converse(index: int, customer: str) -> None:
            async with gate:
                for turn, text in enumerate(turns):
                    await say(session, rasa[(index + turn + shift) % 2], customer, text)

        await asyncio.gather(*(converse(i, c) for i, c in enumerate(customers)))


async def redeem_through_both(
    engagement: list[str], codes: list[tuple[str, str]]
) -> list[list[int]]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:

        async def redeem(code: str, customer: str) -> list[int]:
            body = {"customer_id": customer, "basket_total": 80, "order_id": f"redeem-{code}"}
            path, at = f"/api/v1/coupons/{code}/redeem", int(time.time())
            both = [signed_post(session, f"{url}{path}", body, at=at - n)
                    for n, url in enumerate(engagement)]  # fmt: skip
            return sorted(await asyncio.gather(*both))

        return await asyncio.gather(*(redeem(code, customer) for code, customer in codes))


def test_two_of_everything_lose_nothing_and_double_nothing(cluster, report) -> None:  # type: ignore[no-untyped-def]
    processes, rasa, engagement, database = cluster
    customers = [f"scale-{n:03d}" for n in range(CUSTOMERS)]
    admin = {"Authorization": f"Bearer {TEST_TOKENS['FUSION_ADMIN_TOKEN']}"}

    statuses = asyncio.run(buy_twice_through_both(engagement, customers))
    assert statuses == {201: 2 * CUSTOMERS, 200: 2 * CUSTOMERS}, "each purchase taken once"
    asyncio.run(chat(rasa, customers, TURNS[:1], shift=0))  # they know the assistant now

    campaign = requests.post(f"{engagement[0]}/api/v1/campaigns", headers=admin, timeout=10, json={
        "name": "Scale", "class": "service", "messages": {"fr": NUDGE, "en": NUDGE},
        "schedule": {"once": datetime.now(timezone.utc).isoformat()}, "holdout_percent": 0,
    }).json()  # fmt: skip
    scheduled = requests.post(f"{engagement[1]}/api/v1/campaigns/{campaign['id']}/schedule",
                              headers=admin, timeout=10)  # fmt: skip
    assert scheduled.status_code == 200, scheduled.text
    asyncio.run(chat(rasa, customers, TURNS[1:], shift=1))  # while the campaign goes out

    codes = [(code, customer) for code, customer
             in query(database, "SELECT code, customer_id FROM coupons ORDER BY code")]  # fmt: skip
    assert len(codes) == CUSTOMERS, "one welcome-back coupon per customer"
    assert set(map(tuple, asyncio.run(redeem_through_both(engagement, codes)))) == {(200, 409)}
    assert query(database, "SELECT count(*) FROM coupons WHERE redeemed_at IS NOT NULL") == [
        (CUSTOMERS,)
    ]

    def all_sent() -> bool:
        rows = dict(query(database, "SELECT status, count(*) FROM deliveries GROUP BY status"))
        return rows == {"sent": CUSTOMERS}

    wait_until(all_sent, 300, "every nudge sent")

    # awards: every customer holds exactly what the two purchases pay, once (answering the
    # nudge may pay too, for some: only the purchases' entries are compared)
    balances = Counter(
        points for _, points in query(database, "SELECT customer_id, sum(points) FROM"
                                                " ledger_entries WHERE event_id LIKE '%-order-%'"
                                                " GROUP BY customer_id")
    )  # fmt: skip
    assert len(balances) == 1 and sum(balances.values()) == CUSTOMERS, balances
    per_award = query(database, "SELECT event_id, rule_id FROM ledger_entries WHERE kind ="
                                " 'award' GROUP BY event_id, rule_id HAVING count(*) > 1")
    assert per_award == []

    # Rasa's tracker database: the turns in order, the nudge once
    events = query(database + "_tracker", "SELECT sender_id, type_name, data FROM events WHERE"
                                          " sender_id LIKE 'scale-%' ORDER BY id")  # fmt: skip
    said: dict[str, list[str]] = defaultdict(list)
    nudged: Counter = Counter()
    for sender, kind, data in events:
        text = json.loads(data).get("text") or ""
        if kind == "user" and text in TURNS:
            said[sender].append(text)
        if kind == "bot" and NUDGE in text:
            nudged[sender] += 1
    assert {sender: tuple(turns) for sender, turns in said.items()} == {
        customer: TURNS for customer in customers
    }, "every turn, in order"
    assert nudged == {customer: 1 for customer in customers}, "the nudge once each"
    sent_by = [
        len([line for line in (processes.logs / f"engagement-{n}.log").read_text().splitlines()
             if "dispatched a batch" in line])
        for n in range(2)
    ]  # fmt: skip
    report(f"scale-out: {CUSTOMERS} customers × {len(TURNS)} turns over 2 Rasa servers, "
           f"4 purchases posted per customer, coupons redeemed through both services, "
           f"a campaign on both (batches per service {sent_by}): nothing lost or doubled")
