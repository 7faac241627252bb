"""``make load``: N customers talking at once, for T minutes, to a running Fusion (either mode:
`make run`, or the production mode behind several Rasa servers), through the REST channel.

Each customer goes through a post-purchase conversation (greeting, points, badges, coupons,
goodbye) again and again, one turn at a time, as a person would, under a new id each round.
Turns are spread over the Rasa servers given (each conversation stays on one). Printed at
the end, one line: turns and their throughput, p50/p95/p99 of a turn's round trip, errors,
and the resident memory of the product's processes on this machine (Rasa servers, action
servers, engagement services) at the start and the end.

    make load                                   # 20 customers, 2 minutes, FUSION_RASA_PORT
    make load LOAD="--customers 50 --minutes 5 --rasa http://127.0.0.1:5005,http://127.0.0.1:5006"
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
import zlib
from datetime import datetime, timezone
from pathlib import Path

import aiohttp

from bot.composition import with_kept_secrets
from engagement.customer_tokens import mint_customer_token

TURNS = ("Bonjour", "combien j'ai de points ?", "c'est quoi mes badges ?",
         "j'ai des bons de réduction ?", "merci, au revoir")  # fmt: skip
MARKERS = ("bot serve", "bot actions", "bot.rasa_server", "bot rasa")


def product_rss_mb() -> float:
    """Resident memory of the product's processes running here, from /proc."""
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="ignore")
            if not any(marker in command for marker in MARKERS):
                continue
            for line in (proc / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def customer(
    session: aiohttp.ClientSession, servers: list[str], deadline: float,
    times: list[float], errors: list[str], secret: str,
) -> None:  # fmt: skip
    while time.monotonic() < deadline:
        sender = f"load-{uuid.uuid4().hex[:12]}"
        server = servers[zlib.crc32(sender.encode()) % len(servers)]
        for text in TURNS:
            if time.monotonic() >= deadline:
                return
            started = time.perf_counter()
            token = mint_customer_token(secret, sender, datetime.now(timezone.utc))
            try:
                async with session.post(f"{server}/webhooks/rest/webhook", json={"message": text},
                                        headers={"Authorization": f"Bearer {token}"}) as answer:
                    await answer.read()
                    if answer.status != 200:
                        errors.append(str(answer.status))
                        continue
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                errors.append(type(exc).__name__)
                continue
            times.append((time.perf_counter() - started) * 1000)


async def run(customers: int, minutes: float, servers: list[str], secret: str) -> str:
    rss_start = product_rss_mb()
    times: list[float] = []
    errors: list[str] = []
    started = time.monotonic()
    deadline = started + minutes * 60
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        await asyncio.gather(
            *(customer(session, servers, deadline, times, errors, secret)
              for _ in range(customers))
        )
    elapsed = time.monotonic() - started
    rss_end = product_rss_mb()
    if not times:
        return f"LOAD no turn answered ({len(errors)} errors: {sorted(set(errors))})"
    return (
        f"LOAD customers={customers} minutes={minutes:g} servers={len(servers)} "
        f"turns={len(times)} turns_per_s={len(times) / elapsed:.1f} "
        f"p50_ms={statistics.median(times):.0f} p95_ms={percentile(times, 0.95):.0f} "
        f"p99_ms={percentile(times, 0.99):.0f} errors={len(errors)} "
        f"rss_start_mb={rss_start:.0f} rss_end_mb={rss_end:.0f} "
        f"rss_growth_mb={rss_end - rss_start:+.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=2.0)
    default = f"http://127.0.0.1:{os.environ.get('FUSION_RASA_PORT', '5005')}"
    parser.add_argument("--rasa", default=default, help="comma-separated Rasa server URLs")
    args = parser.parse_args()
    if args.customers < 1 or args.minutes <= 0:
        parser.error("--customers ≥ 1 and --minutes > 0")
    servers = [url.strip().rstrip("/") for url in args.rasa.split(",") if url.strip()]
    # signed in as the shop would: with the customer-token secret `make run` keeps (var/)
    secret = with_kept_secrets(os.environ)["FUSION_CUSTOMER_TOKEN_SECRET"]
    print(asyncio.run(run(args.customers, args.minutes, servers, secret)), flush=True)


if __name__ == "__main__":
    main()
