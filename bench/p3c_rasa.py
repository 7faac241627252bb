"""P3c: our dispatcher against a real Rasa server, versus plain posting of the same
``trigger_intent`` calls to it.

One Rasa server (SQL tracker store on SQLite, as ``make run`` starts it) with the bench
model of bench/rasa_bench.py (``EXTERNAL_nudge`` → ``utter_nudge``). First ``NUDGES``
conversations receive a nudge by plain ``aiohttp`` posting (``CONCURRENCY`` in flight);
then a campaign over ``NUDGES`` other customers is planned and dispatched by
``NudgeService`` with the same concurrency (its busy check, claims and records included).
``ratio`` = our nudges/s over plain posting's (target ≥ 0.9). ``duplicates`` = the
conversations of our run whose tracker holds the nudge more than once (target 0), read from
Rasa's tracker store after the run.

Run alone: ``python -m bench.p3c_rasa``.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.p3_dispatch import CONCURRENCY, campaign_through, seed
from bench.rasa_bench import ensure_bench_model, environment, rasa_ready, rasa_server, stop
from bot.composition import load_settings
from bot.conversations import RasaConversations
from bot.rasa_api import bearer
from engagement.settings import Settings
from engagement.storage.database import Database
from engagement.storage.migrate import upgrade

NUDGES = 1_500


async def plain(settings: Settings, nudges: int) -> float:
    gate = asyncio.Semaphore(CONCURRENCY)
    params = {"output_channel": "rest"}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:

        async def one(number: int) -> None:
            entities = {"nudge_text": "Bonjour", "nudge_key": f"plain:{number}"}
            body = {"name": "EXTERNAL_nudge", "entities": entities}
            url = f"{settings.rasa_url}/conversations/plain-{number:06d}/trigger_intent"
            async with gate, session.post(
                url, params=params, json=body, headers=bearer(settings.rasa_token or "")
            ) as answer:
                if answer.status != 200:
                    raise RuntimeError(f"Rasa answered {answer.status}")
                await answer.read()

        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(nudges)))
        return time.perf_counter() - started


async def ours(settings: Settings, database_url: str) -> tuple[int, float]:
    db = Database.from_url(database_url)
    conversations = RasaConversations.from_settings(settings)
    try:
        return await campaign_through(db, conversations)
    finally:
        await conversations.close()
        await db.dispose()


def duplicates(tracker_db: Path) -> int:
    with sqlite3.connect(tracker_db) as conn:
        rows = conn.execute(
            "SELECT sender_id FROM events WHERE type_name = 'user'"
            " AND intent_name = 'EXTERNAL_nudge' AND sender_id LIKE 'p3-%'"
            " GROUP BY sender_id HAVING count(*) > 1"
        )
        return len(rows.fetchall())


async def run_p3c(nudges: int = NUDGES) -> str:
    model = ensure_bench_model()
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        env = environment(data, FUSION_NUDGE_QUIET_S="0")
        settings = load_settings(env)
        database_url = f"sqlite+aiosqlite:///{data / 'fusion.db'}"
        await asyncio.to_thread(upgrade, database_url)
        await asyncio.to_thread(seed, database_url, nudges)
        rasa = rasa_server(settings, model, env, log=data / "rasa.log")
        try:
            await rasa_ready(settings, rasa)
            await plain(settings, 50)  # warm-up
            baseline = await plain(settings, nudges)
            sent, elapsed = await ours(settings, database_url)
        finally:
            stop(rasa)
        doubled = duplicates(settings.tracker_store_path)
    if sent != nudges:
        raise RuntimeError(f"{sent} of {nudges} nudges sent")
    ratio = (sent / elapsed) / (nudges / baseline)
    return (
        f"BENCH P3c ratio={ratio:.2f} duplicates={doubled} ours_per_s={sent / elapsed:.1f} "
        f"plain_per_s={nudges / baseline:.1f} nudges={nudges} concurrency={CONCURRENCY}"
    )


if __name__ == "__main__":
    print(asyncio.run(run_p3c()), flush=True)
    sys.exit(0)
