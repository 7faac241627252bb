"""P6: one turn's latency in a conversation that already holds 2,000 events in its current
session, on Rasa's SQL tracker store (SQLite, as our endpoints.yml configures it) against
Rasa's in-memory tracker store.

Both are real ``rasa run --enable-api`` servers with the bench-only model
(bench/reminder_project: keyword intents, RulePolicy, responses only, so no action server;
sessions never expire), started one after the other, never side by side (2 cores), in
``ROUNDS`` alternating rounds (SQL, memory, SQL, memory) so that a drift of the machine's
load favours neither. On each server: 500 past turns (user message, ``utter_chat``, its
bot message, ``action_listen``: 2,000 events) are appended through
``POST /conversations/{id}/tracker/events``; the tracker is checked to hold them all after
its one ``session_started``; after one untimed turn, ``TURNS`` messages go one at a time
through ``POST /webhooks/rest/webhook`` and each round trip is timed. ``sql_ms`` and
``memory_ms`` are the medians over the rounds; ``ratio`` = sql / memory (target ≤ 1.25).
``*_fresh_ms``: the same turn in a conversation of a few events, for scale.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp

from bench.rasa_bench import ensure_bench_model, environment, rasa_ready, rasa_server, stop
from bot.composition import load_settings
from bot.rasa_api import bearer
from engagement.settings import Settings

EVENTS = 2_000
TURNS = 30
ROUNDS = 2
WARM_UP = 3
CHUNK = 400  # events per POST
TARGET_RATIO = 1.25
LONG, FRESH = "p6-long", "p6-fresh"


def past_turn(number: int) -> list[dict[str, Any]]:
    """What one answered message leaves in a tracker: four events."""
    return [
        {"event": "user", "text": f"hello {number}",
         "parse_data": {"intent": {"name": "chat", "confidence": 1.0}, "entities": [],
                        "text": f"hello {number}"}},
        {"event": "action", "name": "utter_chat"},
        {"event": "bot", "text": "bench reply"},
        {"event": "action", "name": "action_listen"},
    ]  # fmt: skip


async def _api(
    session: aiohttp.ClientSession, settings: Settings, method: str, path: str, json: Any = None
) -> Any:
    url = f"{settings.rasa_url}/conversations/{quote(path, safe='/')}"
    headers = bearer(settings.rasa_token or "")
    async with session.request(method, url, json=json, headers=headers) as answer:
        if answer.status != 200:
            raise RuntimeError(f"{method} {path}: {answer.status} {(await answer.text())[:300]}")
        return await answer.json()


async def build_history(session: aiohttp.ClientSession, settings: Settings) -> int:
    """Appends EVENTS past events to LONG; the number of events in its current session."""
    events = [event for turn in range(EVENTS // 4) for event in past_turn(turn)]
    for start in range(0, len(events), CHUNK):
        await _api(
            session, settings, "POST", f"{LONG}/tracker/events", events[start : start + CHUNK]
        )
    tracker = await _api(session, settings, "GET", f"{LONG}/tracker")
    kinds = [event["event"] for event in tracker["events"]]
    starts = [i for i, kind in enumerate(kinds) if kind == "session_started"]
    if len(starts) != 1:
        raise RuntimeError(f"{len(starts)} session_started events in {LONG}: the session split")
    in_session = len(kinds) - starts[0] - 1
    if in_session < EVENTS:
        raise RuntimeError(f"only {in_session} events in {LONG}'s current session")
    return in_session


async def timed_turns(
    session: aiohttp.ClientSession, settings: Settings, sender: str, turns: int
) -> list[float]:
    latencies = []
    for number in range(turns):
        payload = {"sender": sender, "message": f"how are you {number}"}
        started = time.perf_counter()
        async with session.post(f"{settings.rasa_url}/webhooks/rest/webhook", json=payload) as a:
            answer = await a.json()
        latencies.append(time.perf_counter() - started)
        if a.status != 200 or not answer or answer[0].get("text") != "bench reply":
            raise RuntimeError(f"unexpected answer {a.status}: {answer}")
    return latencies


async def one_store(model: Path, data_dir: Path, sql: bool) -> tuple[list[float], list[float], int]:
    """(latencies with EVENTS in the session, latencies fresh, events in the session)."""
    env = environment(data_dir)
    settings = load_settings(env)
    rasa = rasa_server(settings, model, env, sql_tracker_store=sql, log=data_dir / "rasa.log")
    try:
        await rasa_ready(settings, rasa)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
            fresh = (await timed_turns(session, settings, FRESH, WARM_UP + 10))[WARM_UP:]
            in_session = await build_history(session, settings)
            await timed_turns(session, settings, LONG, 1)  # its first turn after the appends
            latencies = await timed_turns(session, settings, LONG, TURNS)
    finally:
        stop(rasa)
    return latencies, fresh, in_session


async def run() -> str:
    model = ensure_bench_model()
    timed: dict[bool, list[float]] = {True: [], False: []}
    fresh: dict[bool, list[float]] = {True: [], False: []}
    in_session = []
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(ROUNDS):
            for sql in (True, False):
                data_dir = Path(tmp) / f"{'sql' if sql else 'memory'}-{round_}"
                latencies, fresh_latencies, events = await one_store(model, data_dir, sql)
                timed[sql] += latencies
                fresh[sql] += fresh_latencies
                in_session.append(events)
    sql_ms, memory_ms = (statistics.median(timed[sql]) * 1000 for sql in (True, False))
    sql_fresh, memory_fresh = (statistics.median(fresh[sql]) * 1000 for sql in (True, False))
    return (
        f"BENCH P6 ratio={sql_ms / memory_ms:.2f} target_ratio={TARGET_RATIO} "
        f"sql_ms={sql_ms:.1f} memory_ms={memory_ms:.1f} events={EVENTS} "
        f"sql_fresh_ms={sql_fresh:.1f} memory_fresh_ms={memory_fresh:.1f} turns={TURNS} "
        f"rounds={ROUNDS} session_events={min(in_session)}"
    )


if __name__ == "__main__":
    print(asyncio.run(run()), flush=True)
    sys.exit(0)
