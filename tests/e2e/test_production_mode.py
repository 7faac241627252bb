"""`make run`'s command in the production mode: the engagement data and Rasa's tracker store
on a real PostgreSQL, Rasa's lock store on a real Redis (both started by scripts/stores.sh)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.e2e.test_dispatch_faults import query
from tests.product import START_TIMEOUT, Fusion, new_customer, start, stop
from tests.stores import Stores

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def production(
    trained_model: Path, stores: Stores, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Fusion, str]]:
    database = stores.new_database()
    running = start(
        tmp_path_factory.mktemp("production"),
        FUSION_DATABASE_URL=database,
        FUSION_REDIS_URL=stores.redis_url,
    )
    if not running.wait_for("Fusion is running", START_TIMEOUT):
        stop(running)
        pytest.fail("fusion did not start:\n" + "\n".join(running.output[-60:]))
    yield running, database
    stop(running)


def redis_commands(stores: Stores) -> dict[str, int]:
    """How many times each command reached the Redis server."""
    password = make_url(stores.database_url).password or ""
    stats = subprocess.run(
        ["redis-cli", "-p", str(stores.redis_port), "-a", password, "--no-auth-warning",
         "info", "commandstats"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    counts = {}
    for line in stats.splitlines():
        if line.startswith("cmdstat_"):
            name, fields = line.removeprefix("cmdstat_").split(":", 1)
            counts[name] = int(fields.split(",")[0].removeprefix("calls="))
    return counts


def test_a_conversation_is_stored_in_postgresql_and_locked_in_redis(
    production: tuple[Fusion, str], stores: Stores
) -> None:
    fusion, database = production
    before = redis_commands(stores).get("set", 0)
    customer = new_customer()
    assert fusion.say(customer, "Bonjour")[0].startswith("Bonjour")
    assert fusion.say(customer, "combien j'ai de points ?")

    # Rasa's turns, in its own database on the same server
    tracker = query(
        database + "_tracker",
        "SELECT type_name FROM events WHERE sender_id = :sender ORDER BY id",
        sender=customer,
    )
    assert [kind for (kind,) in tracker].count("user") == 2
    # our data: the customer who read the privacy notice
    assert query(database, "SELECT id FROM customers WHERE id = :id", id=customer) == [(customer,)]
    # each turn took the conversation's lock in Redis
    assert redis_commands(stores).get("set", 0) >= before + 2
    banner = "\n".join(fusion.output)
    assert "Rasa's lock store       redis://:***@127.0.0.1" in banner
    assert make_url(database).password not in banner, "no password in the output"
