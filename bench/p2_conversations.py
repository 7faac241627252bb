"""P2: 20 customers at once in 6-turn post-purchase conversations through the REST channel,
with our actions and engagement store against the same model whose actions do nothing.

Both stacks are started for real, one after the other (2 cores: side by side they would
measure each other): ``python -m bot run`` with a purchase on file for every customer,
then the same Rasa model and tracker store with ``bench.noop_actions`` as action server.
``ratio`` is our messages/s over the baseline's (target ≥ 0.85); ``p95_ms`` is the 95th
percentile of one message's round trip, ours.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import aiohttp

from bench.rasa_bench import TOKENS, as_customer, environment, start, stop, wait_ready
from bot.cli import rasa_command
from bot.composition import MODELS_DIR, PROJECT_DIR, load_settings
from bot.training import ensure_model
from engagement.shop_signature import shop_headers

CUSTOMERS = 20
ROUNDS = 3
TARGET_RATIO = 0.85
TURNS = {
    "fr": ("Bonjour", "où en est ma commande {order} ?", "combien j'ai de points ?",
           "c'est quoi mes badges ?", "j'ai des bons de réduction ?", "merci, au revoir"),
    "en": ("Hello", "where is my order {order}?", "how many points do I have?",
           "what badges do I have?", "do I have any coupons?", "thanks, bye"),
}  # fmt: skip


def _senders(label: str) -> list[tuple[str, str, str]]:
    """(sender, language, order id) for every conversation."""
    return [
        (f"p2-{label}-{c}-{r}", "fr" if c % 2 else "en", f"CMD-{c:03d}{r}")
        for c in range(CUSTOMERS) for r in range(ROUNDS)
    ]  # fmt: skip


async def _seed(
    session: aiohttp.ClientSession, url: str, senders: list[tuple[str, str, str]]
) -> None:
    for sender, language, order in senders:
        body = json.dumps({
            "id": f"buy-{sender}", "type": "purchase",
            "occurred_at": datetime.now(timezone.utc).isoformat(),
            "customer": {"id": sender, "name": "Bench Customer", "language": language},
            "order": {"id": order, "total": 42.0, "currency": "EUR",
                      "items": [{"sku": "PULL-1", "name": "Pull", "quantity": 1, "price": 42.0}]},
        }).encode()  # fmt: skip
        headers = shop_headers(TOKENS["FUSION_SHOP_SECRET"], "POST", "/api/v1/events", body)
        async with session.post(f"{url}/api/v1/events", data=body, headers=headers) as answer:
            if answer.status not in (200, 201):
                raise RuntimeError(f"seeding failed: {answer.status} {await answer.text()}")


async def _converse(
    session: aiohttp.ClientSession, rasa_url: str, conversations: list[tuple[str, str, str]]
) -> list[float]:
    latencies = []
    for sender, language, order in conversations:
        for turn in TURNS[language]:
            started = time.perf_counter()
            payload = {"message": turn.format(order=order)}
            async with session.post(f"{rasa_url}/webhooks/rest/webhook", json=payload,
                                    headers=as_customer(sender)) as answer:  # fmt: skip
                await answer.read()
                if answer.status != 200:
                    raise RuntimeError(f"rasa answered {answer.status}")
            latencies.append(time.perf_counter() - started)
    return latencies


async def _load(rasa_url: str, senders: list[tuple[str, str, str]]) -> tuple[float, float]:
    """(messages/s, p95 ms) for CUSTOMERS concurrent customers, ROUNDS conversations each."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        await _converse(
            session, rasa_url, [("p2-warm-up", "fr", "CMD-0"), ("p2-warm-up-en", "en", "CMD-0")]
        )
        per_customer = [senders[c * ROUNDS : (c + 1) * ROUNDS] for c in range(CUSTOMERS)]
        started = time.perf_counter()
        results = await asyncio.gather(*(_converse(session, rasa_url, s) for s in per_customer))
        elapsed = time.perf_counter() - started
    latencies = [x for result in results for x in result]
    return len(latencies) / elapsed, statistics.quantiles(latencies, n=20)[-1] * 1000


async def _ours(model: Path, data_dir: Path) -> tuple[float, float]:
    env = environment(data_dir)
    settings = load_settings(env)
    process = start([sys.executable, "-m", "bot", "run"], env)
    try:
        async with aiohttp.ClientSession() as session:
            await wait_ready([f"{settings.engagement_url}/health", f"{settings.rasa_url}/"], 600)
            senders = _senders("ours")
            await _seed(session, settings.engagement_url, senders)
        return await _load(settings.rasa_url, senders)
    finally:
        stop(process)


async def _baseline(model: Path, data_dir: Path) -> tuple[float, float]:
    env = environment(data_dir)
    settings = load_settings(env)
    actions = start([sys.executable, "-m", "bench.noop_actions", str(settings.action_port)], env)
    rasa = start(rasa_command(settings, model), env)
    try:
        await wait_ready([f"http://127.0.0.1:{settings.action_port}/health",
                          f"{settings.rasa_url}/"], 600)  # fmt: skip
        return await _load(settings.rasa_url, _senders("noop"))
    finally:
        stop(rasa, actions)


async def run() -> str:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(PROJECT_DIR)}
    model = ensure_model(PROJECT_DIR, MODELS_DIR, env)
    with tempfile.TemporaryDirectory() as tmp:
        ours_rate, ours_p95 = await _ours(model, Path(tmp) / "ours")
        base_rate, base_p95 = await _baseline(model, Path(tmp) / "baseline")
    return (
        f"BENCH P2 ratio={ours_rate / base_rate:.2f} target_ratio={TARGET_RATIO} "
        f"p95_ms={ours_p95:.0f} msgs_per_s={ours_rate:.1f} baseline_msgs_per_s={base_rate:.1f} "
        f"baseline_p95_ms={base_p95:.0f} customers={CUSTOMERS} turns=6 "
        f"conversations={CUSTOMERS * ROUNDS}"
    )
