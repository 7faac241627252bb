"""P3 (dispatch): our dispatcher against plain aiohttp posting, to the same local HTTP sink.

A sink process answers Rasa's two calls the way a quick Rasa would (``GET
/conversations/<id>/tracker`` → a tracker with no form, no pause, no recent event;
``POST …/trigger_intent`` → 200). A campaign is planned for ``NUDGES`` customers in a
temporary SQLite database, then ``NudgeService.dispatch`` runs until nothing is due:
claims with leases, per-batch re-checks and rendering, the two calls per nudge, outcomes
recorded. The baseline makes the same two calls per nudge with a bare ``aiohttp`` session
and the same concurrency, and records nothing. ``ratio`` = our nudges/s over the
baseline's (target ≥ 0.9): what the dispatcher's own bookkeeping costs. ``post_only_per_s``
is plain posting of the ``trigger_intent`` calls alone, for scale.

Run alone: ``python -m bench.p3_dispatch``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiohttp
import sqlalchemy as sa
from aiohttp import web

from bot.composition import DEFAULT_RULES, PROJECT_DIR
from bot.conversations import RasaConversations
from engagement.nudges.planning import Guards, QuietHours
from engagement.ports import SystemClock
from engagement.services.campaigns import CampaignService
from engagement.services.nudging import Dispatching, NudgeService
from engagement.services.rules_book import RulesBook
from engagement.storage import tables as t
from engagement.storage.database import Database
from engagement.storage.migrate import upgrade

NUDGES = 5_000
CONCURRENCY = 16
ALWAYS = Guards(quiet_hours=QuietHours(datetime.min.time(), datetime.min.time()))


def sink_app() -> web.Application:
    async def tracker(request: web.Request) -> web.Response:
        return web.json_response({"sender_id": request.match_info["id"], "slots": {},
                                  "latest_event_time": None, "paused": False})  # fmt: skip

    async def trigger(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"messages": []})

    app = web.Application()
    app.router.add_get("/conversations/{id}/tracker", tracker)
    app.router.add_post("/conversations/{id}/trigger_intent", trigger)
    return app


def seed(url: str, customers: int) -> None:
    now = datetime.now(timezone.utc)
    engine = sa.create_engine(url.replace("+aiosqlite", ""))
    ids = [f"p3-{n:06d}" for n in range(customers)]
    with engine.begin() as conn:
        conn.execute(sa.insert(t.customers), [
            {"id": i, "name": f"Client {i}", "stage": "choice", "language": "fr",
             "created_at": now, "updated_at": now} for i in ids
        ])  # fmt: skip
        conn.execute(sa.insert(t.conversation_channels), [
            {"sender_id": i, "customer_id": i, "channel": "rest",
             "last_seen_at": now - timedelta(days=2)} for i in ids
        ])  # fmt: skip
    engine.dispose()


async def schedule_campaign(db: Database) -> None:
    clock = SystemClock()
    rules = RulesBook(db, clock)
    await rules.publish(DEFAULT_RULES.read_text(), "bench")
    campaigns = CampaignService(db, clock, rules, ALWAYS)
    campaign = await campaigns.create({
        "name": "P3", "class": "service", "holdout_percent": 0,
        "messages": {"fr": "Bonjour {{ first_name }}, {{ points }} points vous attendent",
                     "en": "Hello {{ first_name }}, {{ points }} points are waiting"},
        "schedule": {"once": datetime.now(timezone.utc).isoformat()},
    }, "bench")  # fmt: skip
    await campaigns.change(campaign["id"], "schedule")


async def campaign_through(db: Database, conversations: RasaConversations) -> tuple[int, float]:
    """A campaign scheduled, planned, then dispatched until nothing is due: (sent, seconds)."""
    await schedule_campaign(db)
    clock = SystemClock()
    pacing = Dispatching(concurrency=CONCURRENCY, batch=256)
    service = NudgeService(db, clock, RulesBook(db, clock), ALWAYS, conversations, pacing)
    await service.plan_due()
    sent = 0
    started = time.perf_counter()
    while (outcome := await service.drain()).sent or outcome.deferred:
        sent += outcome.sent
    return sent, time.perf_counter() - started


async def ours(db: Database, sink: str) -> tuple[int, float]:
    conversations = RasaConversations([sink], None, "")
    try:
        return await campaign_through(db, conversations)
    finally:
        await conversations.close()


async def plain(sink: str, nudges: int, calls: tuple[str, ...]) -> float:
    gate = asyncio.Semaphore(CONCURRENCY)
    body = {"name": "EXTERNAL_nudge", "entities": {"nudge_text": "Bonjour", "nudge_key": "k"}}
    async with aiohttp.ClientSession() as session:

        async def one(number: int) -> None:
            base = f"{sink}/conversations/p3-{number:06d}"
            async with gate:
                if "state" in calls:
                    async with session.get(
                        f"{base}/tracker", params={"include_events": "NONE"}
                    ) as answer:
                        await answer.json()
                async with session.post(
                    f"{base}/trigger_intent", params={"output_channel": "rest"}, json=body
                ) as answer:
                    await answer.json()

        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(nudges)))
        return time.perf_counter() - started


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_up(url: str) -> None:
    deadline = time.monotonic() + 30
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(f"{url}/conversations/x/tracker") as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientError:
                await asyncio.sleep(0.2)
    raise RuntimeError("the sink did not start")


async def run_dispatch(nudges: int = NUDGES) -> dict[str, float]:
    port = free_port()
    sink = subprocess.Popen(  # noqa: ASYNC220 (started once, before anything is timed)
        [sys.executable, "-m", "bench.p3_dispatch", "--sink", str(port)], cwd=PROJECT_DIR,
        env={**os.environ, "PYTHONPATH": str(PROJECT_DIR)}, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_up(url)
        with tempfile.TemporaryDirectory() as folder:
            database_url = f"sqlite+aiosqlite:///{Path(folder) / 'p3.db'}"
            await asyncio.to_thread(upgrade, database_url)
            await asyncio.to_thread(seed, database_url, nudges)
            db = Database.from_url(database_url)
            try:
                baseline = await plain(url, nudges, ("state", "post"))
                post_only = await plain(url, nudges, ("post",))
                sent, elapsed = await ours(db, url)
            finally:
                await db.dispose()
    finally:
        os.killpg(sink.pid, signal.SIGTERM)
        sink.wait(timeout=30)
    if sent != nudges:
        raise RuntimeError(f"{sent} of {nudges} nudges sent")
    return {
        "dispatch_ratio": round((sent / elapsed) / (nudges / baseline), 2),
        "dispatch_per_s": round(sent / elapsed), "plain_per_s": round(nudges / baseline),
        "post_only_per_s": round(nudges / post_only), "nudges": nudges,
        "concurrency": CONCURRENCY,
    }  # fmt: skip


def main(argv: list[str]) -> int:
    if argv[:1] == ["--sink"]:
        web.run_app(sink_app(), host="127.0.0.1", port=int(argv[1]), print=None,
                    access_log=None)  # fmt: skip
        return 0
    figures = asyncio.run(run_dispatch())
    print("BENCH P3-dispatch " + " ".join(f"{k}={v}" for k, v in figures.items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
