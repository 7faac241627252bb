"""P3 (planning half): one marketing campaign over 100,000 customers on SQLite, planned
(select, every guard, one delivery row each) by ``CampaignPlanner.plan_due`` in one run.

Target (README: bench): ≤ 10 s, with memory that does not grow with the audience. The
database is built in a child process (bulk inserts, not timed) so that this process's
peak RSS is the planner's; ``__main__`` runs 20,000 and 100,000 customers each in a fresh
process and prints both, so the growth of RSS can be compared across audiences.

- ``plan_s``: the wall time of ``plan_due()``;
- ``peak_rss_mb``: this process's peak RSS (``ru_maxrss``) after planning;
- ``rss_growth_mb``: RSS after planning minus RSS before (``/proc/self/statm``), and
  ``peak_growth_mb`` the peak minus the RSS before.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

CUSTOMERS = 100_000
SMALL = 20_000
TARGET_S = 10.0
NOW = datetime(2026, 11, 25, 13, 0, tzinfo=timezone.utc)  # 14:00 in Paris
RULES = Path(__file__).resolve().parents[1] / "rewards" / "rules.yml"
INSERT_BATCH = 5_000
CAMPAIGN = {
    "name": "P3 welcome back",
    "class": "marketing",
    "messages": {"fr": "Bonjour {{ first_name }}, {{ points }} points !",
                 "en": "Hello {{ first_name }}, {{ points }} points!"},
    "schedule": {"once": NOW.isoformat()},
    "audience": {"all": [{"field": "days_since_purchase", "op": "gte", "value": 7}]},
    "holdout_percent": 10,
}  # fmt: skip
ZONES = ["Europe/Paris"] * 6 + ["Europe/London", "America/New_York", "Asia/Tokyo", None]
FIRST_NAMES = ["Léa", "Tom", "Zoé", "Max", "Inès", "Hugo", "Chloé", "Nathan", "Emma", "Louis"]


def build(url: str, customers: int, seed: int = 3) -> None:
    """A migrated SQLite file with ``customers`` customers and their facts (blocking)."""
    from engagement.storage import tables as t
    from engagement.storage.migrate import upgrade

    upgrade(url)
    engine = sa.create_engine(url.replace("+aiosqlite", ""))
    rng = random.Random(seed)
    with engine.begin() as conn:
        conn.execute(t.rules_versions.insert().values(
            checksum="p3", content=RULES.read_text(), published_at=NOW, published_by="bench",
        ))  # fmt: skip
        conn.execute(t.campaigns.insert().values(
            id="camp-past", name="past", spec={}, status="done", created_by="bench",
            created_at=NOW - timedelta(days=30), updated_at=NOW - timedelta(days=30),
        ))  # fmt: skip
        for week in range(6):
            conn.execute(t.campaign_runs.insert().values(
                id=f"camp-past:{week}", campaign_id="camp-past",
                planned_for=NOW - timedelta(days=3 + 7 * week), created_at=NOW,
            ))  # fmt: skip
    for start in range(0, customers, INSERT_BATCH):
        rows = _facts(rng, range(start, min(customers, start + INSERT_BATCH)))
        with engine.begin() as conn:
            for table_name, table_rows in rows.items():
                if table_rows:
                    conn.execute(t.metadata.tables[table_name].insert(), table_rows)
    with engine.begin() as conn:
        conn.execute(t.campaigns.insert().values(
            id="camp-p3", name=CAMPAIGN["name"], spec=CAMPAIGN, status="scheduled",
            next_run_at=NOW, created_by="bench", created_at=NOW, updated_at=NOW,
        ))  # fmt: skip
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def _facts(rng: random.Random, numbers: range) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {
        name: [] for name in ("customers", "events", "conversation_channels", "ledger_entries",
                              "fusion_entries", "customer_badges", "customer_activity",
                              "deliveries")
    }  # fmt: skip
    for number in numbers:
        cid = f"c{number:07d}"
        created = NOW - timedelta(days=rng.randint(20, 400))
        rows["customers"].append({
            "id": cid, "name": f"{rng.choice(FIRST_NAMES)} N{number}",
            "language": "fr" if rng.random() < 0.7 else "en", "timezone": rng.choice(ZONES),
            "created_at": created, "updated_at": created,
            "stage": rng.choice(["choice", "relation", "adherence", "contribution"]),
        })  # fmt: skip
        bought = NOW - timedelta(days=rng.randint(1, 200), minutes=rng.randint(0, 1440))
        events = [("purchase", bought)]
        consent = rng.random()
        if consent < 0.85:
            events.append(("opt_in", bought + timedelta(hours=1)))
        elif consent < 0.9:
            events.append(("opt_out", bought + timedelta(hours=2)))
        if rng.random() < 0.1:
            events.append(("club_join", bought + timedelta(hours=3)))
        for kind, at in events:
            rows["events"].append({
                "id": f"{kind}-{cid}", "type": kind, "customer_id": cid, "occurred_at": at,
                "received_at": at, "source": "bench", "order_id": None, "payload": {},
            })  # fmt: skip
        rows["conversation_channels"].append({
            "sender_id": cid, "customer_id": cid,
            "channel": "socketio" if rng.random() < 0.8 else "telegram",
            "last_seen_at": NOW - timedelta(hours=rng.randint(1, 2000)),
        })  # fmt: skip
        for entry in range(rng.randint(1, 3)):
            rows["ledger_entries"].append({
                "customer_id": cid, "points": rng.choice([10, 20, 50]), "kind": "award",
                "event_id": f"e-{cid}-{entry}", "rule_id": "purchase_points", "created_at": bought,
            })  # fmt: skip
        for entry in range(rng.randint(1, 3)):
            rows["fusion_entries"].append({
                "customer_id": cid, "event_id": f"e-{cid}-{entry}", "event_type": "purchase",
                "rule_id": "fusion", "delta": rng.choice([2, 3, 5, -4]),
                "occurred_at": bought - timedelta(days=entry * 30),
            })  # fmt: skip
        if rng.random() < 0.3:
            rows["customer_badges"].append({
                "customer_id": cid, "badge_id": "first_purchase", "event_id": f"purchase-{cid}",
                "rule_id": "first_purchase_badge", "earned_at": bought,
            })  # fmt: skip
        if rng.random() < 0.4:
            for hour in rng.sample(range(24), 3):
                rows["customer_activity"].append(
                    {"customer_id": cid, "hour": hour, "messages": rng.randint(1, 6)}
                )
        if rng.random() < 0.3:  # past nudges, one a week: some ignored them all (zapped)
            for week in range(rng.randint(1, 6)):
                sent = NOW - timedelta(days=3 + 7 * week)
                rows["deliveries"].append({
                    "run_id": f"camp-past:{week}", "campaign_id": "camp-past",
                    "customer_id": cid, "sender_id": cid, "channel": "socketio",
                    "language": "fr", "marketing": True, "status": "sent", "reason": "now",
                    "send_at": sent, "sent_at": sent, "created_at": sent,
                    "answered_at": sent + timedelta(hours=1) if rng.random() < 0.3 else None,
                })  # fmt: skip
    return rows


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run_plan(customers: int = CUSTOMERS) -> dict[str, float]:
    from engagement.nudges.planning import Guards
    from engagement.services.planner import CampaignPlanner
    from engagement.services.rules_book import RulesBook
    from engagement.storage import tables as t
    from engagement.storage.database import Database

    class Clock:
        def now(self) -> datetime:
            return NOW

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'p3.db'}"
        spawn = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as builder:
            await asyncio.get_running_loop().run_in_executor(builder, build, url, customers)
        database = Database.from_url(url)
        planner = CampaignPlanner(database, Clock(), RulesBook(database, Clock()), Guards())
        before = _rss_mb()
        started, cpu = time.perf_counter(), time.process_time()
        planned = await planner.plan_due()
        plan_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu
        after, peak = _rss_mb(), _peak_rss_mb()
        async with database.connect() as conn:
            rows = dict((await conn.execute(
                sa.select(t.deliveries.c.status, sa.func.count())
                .where(t.deliveries.c.campaign_id == "camp-p3").group_by(t.deliveries.c.status)
            )).all())  # fmt: skip
        await database.dispose()
    assert planned.deliveries == sum(rows.values()), (planned, rows)
    return {
        "plan_s": round(plan_s, 2), "plan_cpu_s": round(cpu_s, 2), "peak_rss_mb": round(peak, 1),
        "rss_growth_mb": round(after - before, 1), "peak_growth_mb": round(peak - before, 1),
        "customers": customers, "deliveries": planned.deliveries,
        "pending": rows.get("pending", 0), "skipped": rows.get("skipped", 0),
        "held_out": rows.get("held_out", 0),
    }  # fmt: skip


def run() -> str:
    """Both audiences, each in a fresh process (``ru_maxrss`` is a process's lifetime peak)."""
    figures = {}
    for size in (SMALL, CUSTOMERS):
        answer = subprocess.run(
            [sys.executable, "-m", "bench.p3_plan", "--one", str(size)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        figures[size] = eval_line(answer.stdout.strip().splitlines()[-1])
    small, large = figures[SMALL], figures[CUSTOMERS]
    for size, fig in figures.items():
        print(f"P3 plan {size} customers: " + " ".join(f"{k}={v}" for k, v in fig.items()))
    return (
        f"BENCH P3 plan_s={large['plan_s']:.2f} target_s={TARGET_S} "
        f"ratio_to_target={large['plan_s'] / TARGET_S:.2f} "
        f"peak_rss_mb_20k={small['peak_rss_mb']:.0f} peak_rss_mb_100k={large['peak_rss_mb']:.0f} "
        f"rss_growth_mb_20k={small['rss_growth_mb']:.1f} "
        f"rss_growth_mb_100k={large['rss_growth_mb']:.1f}"
    )


def eval_line(line: str) -> dict[str, float]:
    return {k: float(v) for k, v in (pair.split("=") for pair in line.split())}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        result = asyncio.run(run_plan(int(sys.argv[2])))
        print(" ".join(f"{key}={value}" for key, value in result.items()), flush=True)
    else:
        print(run(), flush=True)
