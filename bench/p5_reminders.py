"""P5: 10,000 proactive messages through our scheduler (campaign deliveries, NudgeService)
against Rasa's own reminders (``ReminderScheduled``), on the same Rasa server and model;
then which of the two still delivers after a crash and restart.

Setup: one ``rasa run --enable-api`` as ``python -m bot run`` starts it (our credentials
and endpoints: SQL tracker store on SQLite) with the bench-only model
(bench/reminder_project: keyword intents, RulePolicy, ``EXTERNAL_nudge`` → ``utter_nudge``
"{nudge_text}"), and the bench action server bench/reminder_actions.py.

Shape, the same on both sides: ``CONVERSATIONS`` conversations × ``PER_CONVERSATION``
messages (1,000 × 10). Rasa schedules a reminder only from an action's events during a
turn of that very conversation, so 10,000 reminders need 10,000 turns or several reminders
per conversation. 100 × 100 was tried first: every message makes a conversation's tracker
longer, and Rasa's turn costs grow with it (P6), so ours took 15 minutes (11/s) on this
machine; 1,000 × 10 keeps the trackers short and the run within a few minutes.

- Ours: an SQLite engagement database migrated with ``upgrade``, the default reward rules,
  ``CONVERSATIONS`` customers and their conversations on ``rest`` (rows written directly),
  ``PER_CONVERSATION`` *service* campaigns (hold-out 0, audience everyone, due now) created
  through ``CampaignService``. A dispatcher process (``python -m bench.p5_reminders
  --dispatch-worker drain``) composed like the engagement service (``NudgeService`` with
  ``pacing_of(settings)``, no quiet hours, ``FUSION_NUDGE_QUIET_S=0``: a conversation gets
  its 10 nudges one after the other) calls ``plan_due()`` once, then ``dispatch()`` until a
  call finds nothing to do.
- Reminders: one ``/schedule_reminders`` turn per conversation whose action returns
  ``PER_CONVERSATION`` ``ReminderScheduled(EXTERNAL_nudge, entities nudge_text/nudge_key,
  kill_on_user_message=False)``, all due at the same moment, a margin after the last
  scheduling turn; then we wait until all have fired or nothing moved for ``STALL_S``.

Both rates are read the same way, from Rasa's tracker store (the SQLite file, one query;
a sample of conversations is checked against ``GET /conversations/{id}/tracker``): the
bot utterances of the nudges, (count − 1) / (last − first timestamp). ``ratio`` = ours /
reminders (target ≥ 1.0). ``*_delivered`` say how many of the 10,000 arrived:
``reminders_missed`` counts the reminders APScheduler dropped ("missed by"), read from
Rasa's log with ``LOG_LEVEL_LIBRARIES=WARNING`` (Rasa silences apscheduler otherwise).
Measured so far, nearly all reminders are dropped: handing 10,000 due jobs out takes
APScheduler about a second, Rasa adds them with the default 1 s ``misfire_grace_time``,
and each reminder's turn runs without yielding; ``reminders_per_s`` is then the rate of the
few that fired (Rasa's in-process turn rate), to read with ``reminders_delivered``.

Restart: ``RESTART_MESSAGES`` reminders (one per conversation) and as many deliveries of
ours (a fresh database, planned, their send time moved ``RESTART_DELAY_S`` ahead as quiet
hours would) are due 30 s ahead while a ``serve`` dispatcher process runs; then the
dispatcher and the Rasa server are killed with SIGKILL, both restarted, and 15 s after the
due time we count what each side delivered: ``restart_survivor=ours|reminders|both|none``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import sqlalchemy as sa

from bench.rasa_bench import (
    crash,
    ensure_bench_model,
    environment,
    rasa_ready,
    rasa_server,
    start,
    stop,
    wait_ready,
)
from bot.composition import DEFAULT_RULES, load_settings
from bot.conversations import RasaConversations
from bot.rasa_api import bearer
from engagement.nudges.planning import Guards, QuietHours
from engagement.ports import SystemClock
from engagement.services.campaigns import CampaignService
from engagement.services.nudging import NudgeService
from engagement.services.rules_book import RulesBook
from engagement.settings import Settings
from engagement.storage import tables as t
from engagement.storage.database import Database
from engagement.storage.migrate import upgrade
from engagement.web.app import pacing_of

CONVERSATIONS = 1_000
PER_CONVERSATION = 10
MESSAGES = CONVERSATIONS * PER_CONVERSATION
TARGET_RATIO = 1.0
SCHEDULING_CONCURRENCY = 4  # /schedule_reminders turns in flight
API_SAMPLE = 5  # conversations per side whose count is checked through the HTTP API
STALL_S = 8  # a side that delivered nothing more for this long is done
DEADLINE_S = 600  # and in any case, after this long
RESTART_MESSAGES = 5
RESTART_DELAY_S = 30
OURS_TEXT = "p5 ours {{ points }}"  # rendered "p5 ours 0": a template with a value
NO_QUIET_HOURS = QuietHours(clock_time(0), clock_time(0))


# --- ours: the engagement database, its customers and campaigns ---------------------------


async def seed_engagement(url: str, conversations: list[str], campaigns: int) -> None:
    """Customers with their conversation on ``rest``, and due service campaigns."""
    await asyncio.to_thread(upgrade, url)
    db = Database.from_url(url)
    clock = SystemClock()
    now = clock.now()
    try:
        rules = RulesBook(db, clock)
        await rules.publish(DEFAULT_RULES.read_text(), "bench")
        async with db.begin() as conn:
            await conn.execute(sa.insert(t.customers), [
                {"id": f"cust-{sender}", "name": "Bench", "language": "en", "timezone": "UTC",
                 "created_at": now, "updated_at": now} for sender in conversations
            ])  # fmt: skip
            await conn.execute(sa.insert(t.conversation_channels), [
                {"sender_id": sender, "customer_id": f"cust-{sender}", "channel": "rest",
                 "last_seen_at": now} for sender in conversations
            ])  # fmt: skip
        service = CampaignService(db, clock, rules, Guards(quiet_hours=NO_QUIET_HOURS))
        for number in range(campaigns):
            created = await service.create({
                "name": f"P5 bench {number}", "class": "service", "holdout_percent": 0,
                "messages": {"fr": OURS_TEXT, "en": OURS_TEXT},
                "schedule": {"once": now.isoformat()},
            }, by="bench")  # fmt: skip
            await service.change(created["id"], "schedule")
    finally:
        await db.dispose()


def nudge_service(settings: Settings, db: Database) -> NudgeService:
    """Composed as engagement/web/app.py composes it."""
    clock = SystemClock()
    return NudgeService(
        db, clock, RulesBook(db, clock), Guards(quiet_hours=NO_QUIET_HOURS),
        RasaConversations.from_settings(settings), pacing_of(settings),
    )  # fmt: skip


async def dispatch_worker(mode: str, env: Mapping[str, str]) -> dict[str, Any]:
    """``drain``: plan once, dispatch until nothing is claimable, the counts as JSON.
    ``serve``: plan and dispatch every second, forever (the restart test kills it)."""
    settings = load_settings(env)
    db = Database.from_url(settings.database_url)
    service = nudge_service(settings, db)
    totals = {"sent": 0, "deferred": 0, "failed": 0, "skipped": 0}
    try:
        planned = await service.plan_due()
        ready = env.get("P5_READY_FILE")
        if ready:
            Path(ready).write_text(str(planned.deliveries))
        started = time.time()
        while True:
            done = await service.dispatch()
            for name in totals:
                totals[name] += int(getattr(done, name, 0))
            if mode == "serve":
                await asyncio.sleep(1)
                await service.plan_due()
            elif not done.sent + done.deferred + done.failed + getattr(done, "skipped", 0):
                break
        finished = time.time()
        async with db.connect() as conn:
            pending = await conn.scalar(
                sa.select(sa.func.count()).where(t.deliveries.c.status == "pending")
            )
    finally:
        closing = getattr(service._conversations, "close", None)  # noqa: SLF001
        if closing is not None:
            await closing()
        await db.dispose()
    return {
        "planned": planned.deliveries, **totals, "pending": int(pending or 0),
        "started": started, "finished": finished,
    }  # fmt: skip


def worker_argv(mode: str) -> list[str]:
    return [sys.executable, "-m", "bench.p5_reminders", "--dispatch-worker", mode]


# --- Rasa's side ---------------------------------------------------------------------------


async def schedule_turns(
    session: aiohttp.ClientSession, settings: Settings, senders: list[str], count: int,
    fire_at: datetime, tag: str,
) -> None:  # fmt: skip
    """One ``/schedule_reminders`` turn per conversation, asking for ``count`` reminders."""
    gate = asyncio.Semaphore(SCHEDULING_CONCURRENCY)

    async def turn(sender: str) -> None:
        payload = {
            "sender": sender, "message": "/schedule_reminders",
            "metadata": {"count": count, "fire_at": fire_at.isoformat(), "tag": tag},
        }  # fmt: skip
        async with gate, session.post(f"{settings.rasa_url}/webhooks/rest/webhook",
                                      json=payload) as answer:  # fmt: skip
            if answer.status != 200:
                raise RuntimeError(f"scheduling turn: {answer.status} {await answer.text()}")

    await asyncio.gather(*(turn(sender) for sender in senders))


def tracker_rows(tracker_db: Path, prefix: str) -> list[tuple[str, float, str]]:
    """(conversation, timestamp, text) of every bot utterance in the conversations whose id
    starts with ``prefix``, from Rasa's SQLite tracker store (read-only)."""
    if not tracker_db.exists():
        return []
    with sqlite3.connect(f"file:{tracker_db}?mode=ro", uri=True, timeout=30) as conn:
        rows = conn.execute(
            "SELECT sender_id, timestamp, data FROM events"
            " WHERE type_name = 'bot' AND sender_id LIKE ?",
            (f"{prefix}%",),
        ).fetchall()
    return [(sender, float(stamp), json.loads(data).get("text") or "")
            for sender, stamp, data in rows]  # fmt: skip


async def wait_for_deliveries(
    tracker_db: Path, prefix: str, expected: int, not_before: float
) -> None:
    """Until ``expected`` arrived, or nothing more for STALL_S after ``not_before``."""
    last_count, last_change = -1, time.time()
    deadline = time.time() + DEADLINE_S
    while time.time() < deadline:
        await asyncio.sleep(2)
        count = len(await asyncio.to_thread(tracker_rows, tracker_db, prefix))
        if count >= expected:
            return
        if count != last_count:
            last_count, last_change = count, time.time()
        elif time.time() > max(last_change, not_before) + STALL_S:
            return


async def shown_through_api(
    session: aiohttp.ClientSession, settings: Settings, senders: list[str], marker: str
) -> int:
    """How many bot utterances containing ``marker`` Rasa's HTTP API shows in these."""
    shown = 0
    for sender in senders:
        url = f"{settings.rasa_url}/conversations/{quote(sender, safe='')}/tracker"
        async with session.get(url, headers=bearer(settings.rasa_token or "")) as answer:
            tracker = await answer.json()
        shown += sum(
            1 for event in tracker.get("events") or []
            if event.get("event") == "bot" and marker in (event.get("text") or "")
        )  # fmt: skip
    return shown


async def counted(
    session: aiohttp.ClientSession, settings: Settings, senders: list[str], marker: str
) -> list[float]:
    """The nudges' timestamps from the tracker store, checked on a sample through the API."""
    prefix = senders[0].rsplit("-", 1)[0] + "-"
    rows = await asyncio.to_thread(tracker_rows, settings.tracker_store_path, prefix)
    sample = senders[:API_SAMPLE]
    in_store = sum(1 for sender, _, text in rows if sender in sample and marker in text)
    through_api = await shown_through_api(session, settings, sample, marker)
    if in_store != through_api:
        raise RuntimeError(f"tracker store says {in_store}, Rasa's API {through_api}")
    return sorted(stamp for _, stamp, text in rows if marker in text)


def rate(stamps: list[float]) -> float:
    if len(stamps) < 2 or stamps[-1] <= stamps[0]:
        return 0.0
    return (len(stamps) - 1) / (stamps[-1] - stamps[0])


def scheduler_warnings(log: Path) -> dict[str, int]:
    """What Rasa's log says about its reminders (apscheduler at WARNING, see below)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return {
        "missed": text.count("was missed by"),
        "lock_errors": text.count("Could not acquire lock"),
        "job_errors": text.count("raised an exception"),
    }


# --- the benchmark ------------------------------------------------------------------------


class Stack:
    """The Rasa server and the bench action server, on one data folder."""

    def __init__(self, model: Path, data_dir: Path) -> None:
        # apscheduler's own warnings (a job "missed" its time) are silenced by Rasa unless
        # LOG_LEVEL_LIBRARIES says otherwise; we want to count them
        self.env = environment(data_dir, LOG_LEVEL_LIBRARIES="WARNING")
        self.settings = load_settings(self.env)
        self.model = model
        self.log = data_dir / "rasa.log"
        self.actions = start(
            [sys.executable, "-m", "rasa_sdk", "--actions", "bench.reminder_actions",
             "--port", str(self.settings.action_port)],
            self.env, data_dir / "actions.log",
        )  # fmt: skip
        self.rasa = rasa_server(self.settings, model, self.env, log=self.log)

    async def ready(self) -> None:
        health = f"http://127.0.0.1:{self.settings.action_port}/health"
        await wait_ready([health], process=self.actions)
        await rasa_ready(self.settings, self.rasa)

    async def crash_and_restart_rasa(self) -> None:
        crash(self.rasa)
        self.rasa = rasa_server(self.settings, self.model, self.env, log=self.log)
        await rasa_ready(self.settings, self.rasa)

    def stop(self) -> None:
        stop(self.rasa, self.actions)


async def run_worker(env: Mapping[str, str], data_dir: Path) -> dict[str, Any]:
    """The ``drain`` dispatcher in its own process, as the engagement service would be."""
    result = data_dir / "worker.json"
    process = start(worker_argv("drain"), {**env, "P5_RESULT_FILE": str(result)},
                    data_dir / "worker.log")  # fmt: skip
    await asyncio.to_thread(process.wait)
    if process.returncode != 0 or not result.exists():
        raise RuntimeError(f"dispatch worker failed ({process.returncode}): see worker.log")
    return dict(json.loads(result.read_text()))


async def ours(stack: Stack, session: aiohttp.ClientSession, data_dir: Path) -> dict[str, Any]:
    senders = [f"p5-ours-{c}" for c in range(CONVERSATIONS)]
    env = {**stack.env, "FUSION_DATABASE_URL": f"sqlite+aiosqlite:///{data_dir / 'ours.db'}",
           "FUSION_NUDGE_QUIET_S": "0"}  # fmt: skip
    await seed_engagement(env["FUSION_DATABASE_URL"], senders, PER_CONVERSATION)
    worker = await run_worker(env, data_dir)
    stamps = await counted(session, stack.settings, senders, "p5 ours")
    return {**worker, "delivered": len(stamps), "per_s": rate(stamps),
            "span_s": stamps[-1] - stamps[0] if stamps else 0.0}  # fmt: skip


async def reminders(stack: Stack, session: aiohttp.ClientSession) -> dict[str, Any]:
    senders = [f"p5-rem-{c}" for c in range(CONVERSATIONS)]
    began = time.time()
    # a few conversations tell how long a scheduling turn takes (they share Rasa's one core:
    # turns in flight do not overlap), the others follow
    probes = [f"p5-probe-{c}" for c in range(2 * SCHEDULING_CONCURRENCY)]
    probe_at = datetime.now(timezone.utc) + timedelta(hours=1)
    await schedule_turns(session, stack.settings, probes, PER_CONVERSATION, probe_at, "pr")
    per_turn = (time.time() - began) / len(probes)
    fire_at = datetime.now(timezone.utc) + timedelta(seconds=10 + per_turn * CONVERSATIONS * 1.3)
    await schedule_turns(session, stack.settings, senders, PER_CONVERSATION, fire_at, "p5")
    scheduled_by = time.time()
    if scheduled_by > fire_at.timestamp() - 1:
        raise RuntimeError(f"scheduling ended {scheduled_by - fire_at.timestamp():.1f} s late")
    await asyncio.sleep(fire_at.timestamp() - time.time())
    tracker_db = stack.settings.tracker_store_path
    await wait_for_deliveries(tracker_db, "p5-rem-", MESSAGES, fire_at.timestamp() + 3)
    stamps = await counted(session, stack.settings, senders, " reminder ")
    return {"delivered": len(stamps), "per_s": rate(stamps),
            "span_s": stamps[-1] - stamps[0] if stamps else 0.0,
            "first_after_s": stamps[0] - fire_at.timestamp() if stamps else None,
            "scheduling_s": scheduled_by - began, **scheduler_warnings(stack.log)}  # fmt: skip


async def restart(stack: Stack, session: aiohttp.ClientSession, data_dir: Path) -> dict[str, int]:
    """Both sides due RESTART_DELAY_S ahead; dispatcher and Rasa killed and restarted."""
    reminded = [f"p5-rs-rem-{c}" for c in range(RESTART_MESSAGES)]
    nudged = [f"p5-rs-ours-{c}" for c in range(RESTART_MESSAGES)]
    url = f"sqlite+aiosqlite:///{data_dir / 'restart.db'}"
    env = {**stack.env, "FUSION_DATABASE_URL": url, "FUSION_NUDGE_QUIET_S": "0",
           "P5_READY_FILE": str(data_dir / "worker.ready")}  # fmt: skip
    await seed_engagement(url, nudged, 1)
    due = datetime.now(timezone.utc) + timedelta(seconds=RESTART_DELAY_S)
    await schedule_turns(session, stack.settings, reminded, 1, due, "rs")
    db = Database.from_url(url)
    try:
        planned = await nudge_service(load_settings(env), db).plan_due()
        async with db.begin() as conn:  # as quiet hours would: the send time is later
            await conn.execute(sa.update(t.deliveries).values(send_at=due))
    finally:
        await db.dispose()
    log = data_dir / "restart-worker.log"
    first = start(worker_argv("serve"), env, log)
    while not (data_dir / "worker.ready").exists():
        if first.poll() is not None:
            raise RuntimeError("the dispatcher died before the restart: see restart-worker.log")
        await asyncio.sleep(0.2)
    await asyncio.sleep(2)  # a few dispatch rounds, nothing due yet
    crash(first)
    await stack.crash_and_restart_rasa()
    second = start(worker_argv("serve"), env, log)
    try:
        await asyncio.sleep(max(0.0, due.timestamp() - time.time()) + 15)
        if second.poll() is not None:
            raise RuntimeError("the restarted dispatcher died: see restart-worker.log")
    finally:
        crash(second)
    counts = {
        "ours": len(await counted(session, stack.settings, nudged, "p5 ours")),
        "reminders": len(await counted(session, stack.settings, reminded, " reminder ")),
        "planned": planned.deliveries,
    }
    return counts


def survivor(counts: Mapping[str, int]) -> str:
    ours_ok = counts["ours"] >= RESTART_MESSAGES
    reminders_ok = counts["reminders"] >= RESTART_MESSAGES
    return {(True, True): "both", (True, False): "ours", (False, True): "reminders"}.get(
        (ours_ok, reminders_ok), "none"
    )


async def run() -> str:
    model = ensure_bench_model()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        stack = Stack(model, data_dir)
        try:
            await stack.ready()
            timeout = aiohttp.ClientTimeout(total=300)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                mine = await ours(stack, session, data_dir)
                theirs = await reminders(stack, session)
                after = await restart(stack, session, data_dir)
        finally:
            stack.stop()
    ratio = mine["per_s"] / theirs["per_s"] if theirs["per_s"] else float("inf")
    return (
        f"BENCH P5 ratio={ratio:.2f} target_ratio={TARGET_RATIO} "
        f"ours_per_s={mine['per_s']:.1f} reminders_per_s={theirs['per_s']:.1f} "
        f"messages={MESSAGES} restart_survivor={survivor(after)} "
        f"ours_delivered={mine['delivered']} reminders_delivered={theirs['delivered']} "
        f"ours_span_s={mine['span_s']:.1f} reminders_span_s={theirs['span_s']:.1f} "
        f"ours_dispatch_s={mine['finished'] - mine['started']:.1f} "
        f"reminders_missed={theirs['missed']} reminders_lock_errors={theirs['lock_errors']} "
        f"reminders_scheduling_s={theirs['scheduling_s']:.1f} "
        f"conversations={CONVERSATIONS} per_conversation={PER_CONVERSATION} "
        f"restart_ours={after['ours']}/{RESTART_MESSAGES} "
        f"restart_reminders={after['reminders']}/{RESTART_MESSAGES}"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.p5_reminders", description=__doc__)
    parser.add_argument("--dispatch-worker", choices=("drain", "serve"))
    args = parser.parse_args(argv)
    if args.dispatch_worker:
        result = json.dumps(asyncio.run(dispatch_worker(args.dispatch_worker, os.environ)))
        if os.environ.get("P5_RESULT_FILE"):
            Path(os.environ["P5_RESULT_FILE"]).write_text(result)
        print(result, flush=True)
        return 0
    print(asyncio.run(run()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
