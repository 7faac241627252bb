"""Faults during a campaign, with real processes: the Rasa server, our action server and two
engagement services on one database, SQLite or a real PostgreSQL (with Rasa's tracker store
there too and its lock store in Redis). One engagement service is killed (-9) in the
middle of the dispatch and started again; Rasa is killed and comes back a few seconds
later. Afterwards every customer saw the nudge exactly once, as Rasa's own tracker store
records it, and no delivery is left behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.cli import rasa_command
from bot.composition import PROJECT_DIR, load_settings
from engagement.storage import tables as t
from tests.conftest import TEST_TOKENS
from tests.stores import free_port

pytestmark = pytest.mark.slow

CUSTOMERS = 240
NUDGE = "Votre avis compte : dites-nous tout !"


class Processes:
    """Each process in its own group, so that a kill takes its children too."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        self.running[name] = subprocess.Popen(
            argv, cwd=PROJECT_DIR, env=env or self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.running.pop(name)
        if process.poll() is None:
            os.killpg(process.pid, sig)
        process.wait(timeout=60)

    def stop_all(self) -> None:
        for name in list(self.running):
            self.kill(name, signal.SIGTERM)


def wait_until(check, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (requests.ConnectionError, OperationalError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def up(url: str) -> bool:
    return requests.get(url, timeout=5).status_code == 200


def sync_url(url: str) -> str:
    """An async SQLAlchemy URL (the product's) with the synchronous driver the test reads with."""
    parsed = make_url(url)
    driver = "sqlite" if parsed.get_backend_name() == "sqlite" else "postgresql+psycopg2"
    return str(parsed.set(drivername=driver).render_as_string(hide_password=False))


def query(url: str, statement: str, **params: object) -> list[tuple]:
    engine = sa.create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(statement), params)]
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def stack(
    request: pytest.FixtureRequest, trained_model: Path, tmp_path: Path
) -> Iterator[tuple[Processes, dict[str, str]]]:
    env = {
        **os.environ, **TEST_TOKENS, "FUSION_DATA_DIR": str(tmp_path),
        "FUSION_RASA_PORT": str(free_port()), "FUSION_ACTION_PORT": str(free_port()),
        "FUSION_ENGAGEMENT_PORT": str(free_port()), "RASA_TELEMETRY_ENABLED": "false",
        "FUSION_NUDGE_INTERVAL_S": "1", "FUSION_NUDGE_QUIET_S": "0",
        "FUSION_QUIET_HOURS": "00:00-00:00", "FUSION_NUDGE_LEASE_S": "5",
        "FUSION_NUDGE_RETRY_S": "4", "FUSION_NUDGE_CONCURRENCY": "2",
        "PYTHONPATH": str(PROJECT_DIR),
    }  # fmt: skip
    if request.param == "postgresql":
        stores = request.getfixturevalue("stores")
        env["FUSION_DATABASE_URL"] = stores.new_database()
        env["FUSION_REDIS_URL"] = stores.redis_url
    subprocess.run([sys.executable, "-m", "bot", "migrate"], cwd=PROJECT_DIR, env=env,
                   check=True, capture_output=True)  # fmt: skip
    processes = Processes(env, tmp_path)
    settings = load_settings(env)
    processes.start("rasa", rasa_command(settings, trained_model))
    processes.start("actions", [sys.executable, "-m", "bot", "actions"])
    second = {**env, "FUSION_ENGAGEMENT_PORT": str(free_port())}
    env["SECOND_ENGAGEMENT_URL"] = f"http://127.0.0.1:{second['FUSION_ENGAGEMENT_PORT']}"
    env["MODEL"] = str(trained_model)
    try:
        yield processes, env
    finally:
        processes.stop_all()


def seed(database: str) -> None:
    """Customers who chatted over REST once (the registry knows their conversation)."""
    now = datetime.now(timezone.utc)
    engine = sa.create_engine(sync_url(database))
    ids = [f"c{n:04d}" for n in range(CUSTOMERS)]
    with engine.begin() as conn:
        conn.execute(sa.insert(t.customers), [
            {"id": i, "stage": "choice", "language": "fr", "created_at": now, "updated_at": now}
            for i in ids
        ])  # fmt: skip
        conn.execute(sa.insert(t.conversation_channels), [
            {"sender_id": i, "customer_id": i, "channel": "rest", "last_seen_at": now}
            for i in ids
        ])  # fmt: skip
    engine.dispose()


def sent_by(log: Path) -> int:
    """Nudges an engagement service says it sent (a log line per batch)."""
    found = re.findall(r"dispatched a batch: (\d+) nudges sent", log.read_text())
    return sum(int(n) for n in found)


def deliveries(database: str) -> dict[str, int]:
    return dict(query(database, "SELECT status, count(*) FROM deliveries GROUP BY status"))


def nudges_shown(tracker_db: str) -> dict[str, int]:
    """How many times each conversation's tracker shows the nudge's text."""
    return dict(query(
        tracker_db, "SELECT sender_id, count(*) FROM events WHERE type_name = 'bot'"
        " AND data LIKE :text GROUP BY sender_id", text=f"%{NUDGE[:20]}%",
    ))  # fmt: skip


def test_a_campaign_survives_a_killed_engagement_service_and_a_rasa_outage(stack, report) -> None:  # type: ignore[no-untyped-def]
    processes, env = stack
    data = Path(env["FUSION_DATA_DIR"])
    settings = load_settings(env)
    database, tracker = settings.database_url, settings.tracker_db_url
    seed(database)
    first = f"http://127.0.0.1:{env['FUSION_ENGAGEMENT_PORT']}"
    second = env["SECOND_ENGAGEMENT_URL"]
    serve = [sys.executable, "-m", "bot", "serve"]
    second_env = {**env, "FUSION_ENGAGEMENT_PORT": second.rsplit(":", 1)[1]}
    processes.start("engagement-1", serve)
    processes.start("engagement-2", serve, second_env)
    rasa = f"http://127.0.0.1:{env['FUSION_RASA_PORT']}"
    for url in (f"{first}/health", f"{second}/health", f"{rasa}/"):
        wait_until(lambda url=url: up(url), 300, url)
    admin = {"Authorization": f"Bearer {env['FUSION_ADMIN_TOKEN']}"}
    campaign = requests.post(f"{first}/api/v1/campaigns", headers=admin, timeout=10, json={
        "name": "Review", "class": "service", "messages": {"fr": NUDGE, "en": NUDGE},
        "schedule": {"once": datetime.now(timezone.utc).isoformat()}, "holdout_percent": 0,
    }).json()  # fmt: skip
    scheduled = requests.post(f"{first}/api/v1/campaigns/{campaign['id']}/schedule",
                              headers=admin, timeout=10)  # fmt: skip
    assert scheduled.status_code == 200, scheduled.text

    # A batch is recorded (and logged) as a whole once all its nudges went out, so wait
    # until both services have finished one: both were sending, and the rest is pending.
    both = ("engagement-1.log", "engagement-2.log")
    wait_until(lambda: all(sent_by(data / log) > 0 for log in both), 120, "a batch from each")
    processes.kill("engagement-2")  # mid-dispatch, leases held
    killed_at = deliveries(database)
    assert killed_at.get("pending", 0) > 0, "killed in the middle of the campaign"
    processes.kill("rasa")
    time.sleep(4)  # deliveries fail and back off meanwhile
    processes.start("rasa", rasa_command(load_settings(env), Path(env["MODEL"])))
    processes.start("engagement-2", serve, second_env)
    wait_until(lambda: deliveries(database).get("sent", 0) == CUSTOMERS, 300,
               "every nudge sent")  # fmt: skip

    shown = nudges_shown(tracker)
    assert len(shown) == CUSTOMERS, "nobody skipped"
    assert set(shown.values()) == {1}, "nobody saw it twice"
    assert deliveries(database) == {"sent": CUSTOMERS}
    kind = make_url(database).get_backend_name()
    report(f"dispatch faults ({kind}): {CUSTOMERS} nudges, killed engagement service at "
           f"{killed_at}, Rasa down ~4 s: each shown once")  # fmt: skip
