"""P8: isolation. A normal message's latency ("Bonjour" from a new customer, through REST)
while maximum-size messages (FUSION_MAX_MESSAGE_LENGTH characters of prose) are being
processed one after another by the same Rasa server, against the same message alone.

The whole product runs (``python -m bot run``: our REST channel with its size cap, the
action server, the engagement service). ``alone_ms`` and ``loaded_ms`` are medians over
``SAMPLES`` messages; ``ratio`` = loaded / alone (target ≤ 2). ``big_ms`` is what one
maximum-size message takes; ``over_cap_ms`` what a 100 kB message takes to be refused (413)
at the channel, before Rasa's NLU ever sees it (without the cap, Rasa tokenises and
featurises it whole while every other conversation of that server waits)."""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.rasa_bench import environment, start, stop, wait_ready
from bot.composition import load_settings

SAMPLES = 20
TARGET_RATIO = 2.0
PROSE = ("je voudrais savoir où en est ma commande et combien de points j'ai gagné avec "
         "mes derniers achats dans votre boutique ")  # fmt: skip


async def _say(session: aiohttp.ClientSession, rasa: str, sender: str, text: str) -> float:
    started = time.perf_counter()
    async with session.post(f"{rasa}/webhooks/rest/webhook",
                            json={"sender": sender, "message": text}) as answer:  # fmt: skip
        await answer.read()
        if answer.status not in (200, 413):
            raise RuntimeError(f"Rasa answered {answer.status}")
    return (time.perf_counter() - started) * 1000


async def _normal(session: aiohttp.ClientSession, rasa: str, label: str) -> float:
    times = []
    for n in range(SAMPLES):
        times.append(await _say(session, rasa, f"p8-{label}-{n}", "Bonjour"))
        await asyncio.sleep(0.05)
    return statistics.median(times)


async def run() -> str:
    with tempfile.TemporaryDirectory(prefix="fusion-p8-") as folder:
        env = environment(Path(folder))
        settings = load_settings(env)
        big = (PROSE * (settings.max_message_length // len(PROSE) + 1))[
            : settings.max_message_length
        ]
        process = start([sys.executable, "-m", "bot", "run"], env)
        try:
            await wait_ready([f"{settings.engagement_url}/health", f"{settings.rasa_url}/"], 900)
            timeout = aiohttp.ClientTimeout(total=120)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                rasa = settings.rasa_url
                await _normal(session, rasa, "warm")  # model and caches warm
                alone = await _normal(session, rasa, "alone")
                big_times: list[float] = []
                stop_load = asyncio.Event()

                async def load() -> None:
                    n = 0
                    while not stop_load.is_set():
                        big_times.append(await _say(session, rasa, f"p8-big-{n % 4}", big))
                        n += 1

                loader = asyncio.create_task(load())
                await asyncio.sleep(1)
                loaded = await _normal(session, rasa, "loaded")
                stop_load.set()
                await loader
                over_cap = await _say(session, rasa, "p8-huge", "x" * 100_000)
        finally:
            stop(process)
    ratio = loaded / alone
    verdict = "met" if ratio <= TARGET_RATIO else "missed"
    return (
        f"BENCH P8 ratio={ratio:.2f} alone_ms={alone:.0f} loaded_ms={loaded:.0f} "
        f"big_ms={statistics.median(big_times):.0f} big_chars={settings.max_message_length} "
        f"over_cap_ms={over_cap:.0f} target<={TARGET_RATIO} {verdict}"
    )


if __name__ == "__main__":
    print(asyncio.run(run()))
