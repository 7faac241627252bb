"""P4: the rules engine over a stream of realistic events, in process, then persisted.

- ``events_per_s``: pure evaluation (``evaluate_stream``) with the default catalogue;
  target ≥ 50,000/s (README: bench), printed as ``ratio_to_target``.
- ``persist_events_per_s``: evaluation plus the events, decisions and ledger entries
  written to a fresh SQLite file in batches; ``raw_insert_events_per_s`` is the baseline
  run side by side (the events alone, same batches), and ``persist_vs_raw`` their ratio.
- ``service_one_tx_per_event_per_s``: what the webhook path (``RewardsService.record_event``,
  one transaction per event, limits and budgets taken in the database) sustains on SQLite.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bot.composition import DEFAULT_RULES
from engagement.rewards import customer_counters
from engagement.rules import CustomerFacts, EventFacts, RuleSet, evaluate_stream, parse_rules
from engagement.storage import tables as t
from engagement.storage.database import Database
from engagement.storage.migrate import upgrade

EVENTS = 100_000
CUSTOMERS = 10_000
BATCH = 2_000
SERVICE_EVENTS = 2_000
TARGET = 50_000
MIX = {
    "purchase": 30, "shipment": 18, "delivery": 18, "review": 10, "share": 6, "idea": 3,
    "survey_answer": 4, "referral_converted": 2, "cancellation": 2, "refund": 1, "opt_in": 3,
    "club_join": 1, "vote": 2,
}  # fmt: skip
START = datetime(2026, 10, 1, tzinfo=timezone.utc)


def realistic_events(count: int, seed: int = 4) -> list[tuple[EventFacts, CustomerFacts]]:
    rng = random.Random(seed)
    kinds, weights = list(MIX), list(MIX.values())
    counts: dict[str, dict[str, int]] = {}
    pairs = []
    for number in range(count):
        customer = f"c-{int(rng.paretovariate(1.2) * 10) % CUSTOMERS}"
        kind = rng.choices(kinds, weights)[0]
        seen = counts.setdefault(customer, {})
        seen[kind] = seen.get(kind, 0) + 1
        total = round(rng.lognormvariate(4, 0.6), 2)
        facts: dict[str, Any] = {"order": {"total": total, "items_count": rng.randint(1, 4)}}
        at = START + timedelta(seconds=number * 20)
        pairs.append(
            (
                EventFacts(f"e-{number}", kind, at, facts),
                CustomerFacts(customer, customer_counters(dict(seen), 0, frozenset(), "fr")),
            )
        )
    return pairs


def evaluate_all(rules: RuleSet, pairs: list[tuple[EventFacts, CustomerFacts]]) -> list:
    return list(evaluate_stream(rules, pairs, START))


async def persist(url: str, pairs: list, decisions: list, *, with_awards: bool) -> float:
    database = Database.from_url(url)
    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    customer_ids = sorted({c.id for _, c in pairs})
    async with database.begin() as conn:
        rows = [{"id": c, "created_at": now, "updated_at": now} for c in customer_ids]
        await conn.execute(t.customers.insert(), rows)
    for start in range(0, len(pairs), BATCH):
        chunk = pairs[start : start + BATCH]
        ids = {e.id for e, _ in chunk}
        async with database.begin() as conn:
            await conn.execute(
                t.events.insert(),
                [
                    {"id": e.id, "type": e.type, "customer_id": c.id, "occurred_at": e.occurred_at,
                     "received_at": now, "source": "bench", "order_id": None, "payload": e.data}
                    for e, c in chunk
                ],
            )  # fmt: skip
            if with_awards:
                await _write_awards(conn, [d for d in decisions if d.event_id in ids], chunk, now)
    elapsed = time.perf_counter() - started
    await database.dispose()
    return elapsed


async def _write_awards(conn: Any, decisions: list, chunk: list, now: datetime) -> None:
    customer_of = {e.id: c.id for e, c in chunk}
    await conn.execute(
        t.decisions.insert(),
        [
            {"event_id": d.event_id, "rule_id": d.rule_id, "customer_id": customer_of[d.event_id],
             "outcome": d.outcome, "reason": d.reason[:300], "rules_version": 1, "created_at": now}
            for d in decisions
        ],
    )  # fmt: skip
    paid = [d for d in decisions if d.outcome == "awarded" and d.points]
    if paid:
        await conn.execute(
            t.ledger_entries.insert(),
            [
                {"customer_id": customer_of[d.event_id], "points": d.points, "kind": "award",
                 "event_id": d.event_id, "rule_id": d.rule_id, "created_at": now}
                for d in paid
            ],
        )  # fmt: skip


async def one_by_one(url: str, count: int) -> float:
    """The webhook's path: ``record_event`` per event, one transaction each (no batching)."""
    from engagement.ports import SystemClock
    from engagement.rewards import IncomingEvent
    from engagement.services.rewards import RewardsService
    from engagement.services.rules_book import RulesBook

    database = Database.from_url(url)
    clock = SystemClock()
    book = RulesBook(database, clock)
    await book.publish(DEFAULT_RULES.read_text(), "bench")
    service = RewardsService(database, clock, book)
    events = [
        IncomingEvent(e.id, e.type, c.id, e.occurred_at, "bench", facts=dict(e.data))
        for e, c in realistic_events(count, seed=5)
    ]
    started = time.perf_counter()
    for event in events:
        await service.record_event(event)
    elapsed = time.perf_counter() - started
    await database.dispose()
    return count / elapsed


async def run() -> str:
    rules = parse_rules(DEFAULT_RULES.read_text())
    pairs = realistic_events(EVENTS)
    evaluate_all(rules, pairs[:5_000])  # warm-up
    started = time.perf_counter()
    decisions = evaluate_all(rules, pairs)
    evaluation = time.perf_counter() - started
    events_per_s = EVENTS / evaluation
    with tempfile.TemporaryDirectory() as folder:
        raw_url = f"sqlite+aiosqlite:///{Path(folder) / 'raw.db'}"
        full_url = f"sqlite+aiosqlite:///{Path(folder) / 'full.db'}"
        for url in (raw_url, full_url):
            await asyncio.get_running_loop().run_in_executor(None, upgrade, url)
        raw = await persist(raw_url, pairs, decisions, with_awards=False)
        full = await persist(full_url, pairs, decisions, with_awards=True)
        service_url = f"sqlite+aiosqlite:///{Path(folder) / 'service.db'}"
        await asyncio.get_running_loop().run_in_executor(None, upgrade, service_url)
        service_per_s = await one_by_one(service_url, SERVICE_EVENTS)
    persist_per_s = EVENTS / (evaluation + full)
    raw_per_s = EVENTS / raw
    awarded = sum(1 for d in decisions if d.outcome == "awarded")
    print(
        f"P4: {EVENTS} events, {len(decisions)} decisions ({awarded} awarded), "
        f"{len(rules.rules)} rules; evaluation {evaluation:.2f} s, persistence {full:.2f} s"
    )
    return (
        f"BENCH P4 events_per_s={events_per_s:.0f} target={TARGET} "
        f"ratio_to_target={events_per_s / TARGET:.2f} persist_events_per_s={persist_per_s:.0f} "
        f"raw_insert_events_per_s={raw_per_s:.0f} persist_vs_raw={persist_per_s / raw_per_s:.2f} "
        f"service_one_tx_per_event_per_s={service_per_s:.0f}"
    )
