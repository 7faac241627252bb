"""PostgreSQL stops for 20 seconds under an engagement service that keeps receiving the
shop's events: requests answer 503 (quickly, never 500), nothing is half-written, and the
service resumes by itself once the database is back (no restart)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests

from bot.composition import PROJECT_DIR
from engagement.shop_signature import shop_headers
from tests.conftest import TEST_TOKENS
from tests.e2e.test_dispatch_faults import Processes, query, up, wait_until
from tests.stores import Stores, free_port

pytestmark = pytest.mark.slow

OUTAGE_S = 20


@pytest.fixture
def service(stores: Stores, tmp_path: Path) -> Iterator[tuple[str, str]]:
    database = stores.new_database()
    env = {
        **os.environ, **TEST_TOKENS, "PYTHONPATH": str(PROJECT_DIR),
        "FUSION_DATABASE_URL": database, "FUSION_DATA_DIR": str(tmp_path),
        "FUSION_ENGAGEMENT_PORT": str(free_port()), "FUSION_RASA_PORT": str(free_port()),
    }  # fmt: skip
    subprocess.run([sys.executable, "-m", "bot", "migrate"], cwd=PROJECT_DIR, env=env,
                   check=True, capture_output=True)  # fmt: skip
    processes = Processes(env, tmp_path)
    processes.start("engagement", [sys.executable, "-m", "bot", "serve"])
    url = f"http://127.0.0.1:{env['FUSION_ENGAGEMENT_PORT']}"
    try:
        wait_until(lambda: up(f"{url}/health"), 120, "the engagement service")
        yield url, database
    finally:
        stores.script("pg-start")  # whatever happened, the other tests need it
        processes.stop_all()


def post_purchase(url: str, number: int) -> requests.Response:
    body = json.dumps({
        "id": f"outage-{number}", "type": "purchase",
        "occurred_at": datetime.now(timezone.utc).isoformat(),
        "customer": {"id": f"outage-c{number % 5}", "language": "fr"},
        "order": {"id": f"outage-o{number}", "total": 30.0, "currency": "EUR",
                  "items": [{"sku": "TEE", "name": "Tee", "quantity": 1, "price": 30.0}]},
    }).encode()  # fmt: skip
    headers = shop_headers(TEST_TOKENS["FUSION_SHOP_SECRET"], "POST", "/api/v1/events", body)
    return requests.post(f"{url}/api/v1/events", data=body, timeout=30, headers=headers)


def test_a_database_outage_answers_503_writes_nothing_half_and_heals(service, stores) -> None:  # type: ignore[no-untyped-def]
    url, database = service
    before = [post_purchase(url, n).status_code for n in range(10)]
    assert before == [201] * 10

    stores.script("pg-stop")
    during: list[tuple[int, float]] = []
    number, started = 10, time.monotonic()
    while time.monotonic() - started < OUTAGE_S:
        sent = time.monotonic()
        during.append((post_purchase(url, number).status_code, time.monotonic() - sent))
        number += 1
        time.sleep(0.5)
    health = requests.get(f"{url}/health", timeout=30).status_code
    stores.script("pg-start")

    assert {status for status, _ in during} == {503}, during
    assert max(seconds for _, seconds in during) < 15, "each answered without hanging"
    assert health == 503
    wait_until(lambda: up(f"{url}/health"), 60, "the service back, by itself")
    after = [post_purchase(url, n).status_code for n in range(number, number + 10)]
    assert after == [201] * 10

    stored = {event for (event,) in query(database, "SELECT id FROM events")}
    expected = {f"outage-{n}" for n in [*range(10), *range(number, number + 10)]}
    assert stored == expected, "nothing from the outage was kept"
    paid = {event for (event,) in query(database, "SELECT DISTINCT event_id FROM ledger_entries")}
    assert paid == expected, "every stored purchase was paid, in the same transaction"
    retried = post_purchase(url, 10)  # the shop retries what failed: taken now, once
    assert retried.status_code == 201
