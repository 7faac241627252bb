"""``python -m bot demo``: a small brand's last weeks, written into the configured database
through the engagement services, so the console has something to show before the shop
sends its first event (and so the README's screenshot shows a living brand).

Everything is generated from a fixed seed: customers join over the weeks with a first
purchase, some come back, talk to the assistant, agree to receive news, leave reviews and
ideas (some approved, a few left waiting in the moderation queue); three finished
campaigns show sent, answered and held-out customers, and who bought afterwards. Events
carry the time they happened, so the weekly charts spread them out. Ids start with
``demo-``; running it again adds nothing.

It may run on a database that holds real customers: it only ever writes for the ids it
made (``demo-0001``…). Its campaigns' deliveries and the purchases after them are drawn
among those ids only, and their audience says so (``customer_id`` starts with ``demo-``),
so a campaign paused and resumed from the console would not reach anyone else either.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from engagement.commerce import parse_commerce_event
from engagement.contributions import Submission
from engagement.rewards import IncomingEvent
from engagement.services.contributions import ContributionService
from engagement.services.rewards import RewardsService
from engagement.services.rules_book import RulesBook
from engagement.storage import tables as t
from engagement.storage.database import Database

FIRST_NAMES = ("Léa", "Tom", "Zoé", "Hugo", "Inès", "Lucas", "Chloé", "Nathan", "Emma", "Jules",
               "Sarah", "Louis", "Camille", "Adam", "Manon", "Paul", "Alice", "Noah", "Jade",
               "Gabriel")  # fmt: skip
PRODUCTS = (("PULL-01", "Pull en laine", 59.0), ("BONNET-02", "Bonnet", 19.0),
            ("ECHARPE-03", "Écharpe", 29.0), ("GANTS-04", "Gants", 24.0),
            ("CHAUSS-05", "Chaussettes", 9.5))  # fmt: skip
REVIEWS = ("Très belle qualité, je recommande.", "Taille un peu grand mais très doux.",
           "Livraison rapide, produit conforme.", "Lovely wool, warm and soft.")  # fmt: skip
DEMO_PREFIX = "demo-"
DEMO_CUSTOMER = re.compile(r"demo-(\d+)")  # the demo's own customers: demo-0001…
CONSENTING = {"field": "consent", "op": "eq", "value": True}
DEMO_ONLY = {"field": "customer_id", "op": "starts_with", "value": DEMO_PREFIX}
IDEAS = ("Un rayon de laine en vrac", "Des ateliers tricot en boutique",
         "A repair service for old jumpers")  # fmt: skip


class SteppedClock:
    """The clock the services read while the demo replays the past."""

    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


@dataclass
class DemoSummary:
    customers: int = 0
    events: int = 0
    contributions: int = 0
    deliveries: int = 0

    def __str__(self) -> str:
        return (f"demo data: {self.customers} customers, {self.events} events, "
                f"{self.contributions} contributions, {self.deliveries} deliveries")  # fmt: skip


async def seed(
    db: Database, *, customers: int = 240, weeks: int = 12, now: datetime | None = None,
    seed_value: int = 7,
) -> DemoSummary:  # fmt: skip
    end = now or datetime.now(timezone.utc)
    start = end - timedelta(weeks=weeks)
    clock = SteppedClock(start)
    rules = RulesBook(db, clock)
    rewards = RewardsService(db, clock, rules)
    contributions = ContributionService(db, clock, rewards)
    chance = random.Random(seed_value)
    summary = DemoSummary()
    plans: list[tuple[datetime, str, dict]] = []
    for number in range(customers):
        who = f"{DEMO_PREFIX}{number:04d}"
        # more customers join as the weeks go by (the brand grows)
        joined = start + (end - start) * (chance.random() ** 0.7)
        plans.append((joined, "purchase", {"customer": who, "n": 0}))
        purchases = 1 + int(chance.expovariate(1.2))
        at = joined
        for n in range(1, purchases):
            at = at + timedelta(days=chance.uniform(6, 30))
            plans.append((at, "purchase", {"customer": who, "n": n}))
        if chance.random() < 0.7:
            plans.append((joined + timedelta(hours=chance.uniform(2, 72)), "conversation",
                          {"customer": who}))  # fmt: skip
        if chance.random() < 0.45:
            plans.append((joined + timedelta(days=chance.uniform(1, 10)), "opt_in",
                          {"customer": who}))  # fmt: skip
        if chance.random() < 0.35:
            plans.append((joined + timedelta(days=chance.uniform(3, 20)), "nudge_answer",
                          {"customer": who}))  # fmt: skip
        if chance.random() < 0.3:
            plans.append((joined + timedelta(days=chance.uniform(4, 25)), "review",
                          {"customer": who, "moderate": chance.random()}))  # fmt: skip
        if chance.random() < 0.12:
            plans.append((joined + timedelta(days=chance.uniform(5, 30)), "idea",
                          {"customer": who, "moderate": chance.random()}))  # fmt: skip
    plans.sort(key=lambda plan: plan[0])
    for at, kind, data in plans:
        if at >= end:
            continue
        clock.current = at
        who = data["customer"]
        if kind == "purchase":
            await _purchase(rewards, who, str(data["n"]), at)
            summary.customers += data["n"] == 0
        elif kind in ("conversation", "opt_in", "nudge_answer"):
            await rewards.record_event(IncomingEvent(
                id=f"demo-{kind}-{who}", type=kind, customer_id=who, occurred_at=at,
                source="conversation", facts={"channel": "socketio"}, customer_name=_name(who),
            ))  # fmt: skip
        else:
            await _contribute(contributions, clock, chance, who, kind, at, data["moderate"], end)
            summary.contributions += 1
        summary.events += 1
    clock.current = end
    summary.deliveries = await _campaigns(db, rewards, clock, chance, end)
    return summary


async def _contribute(
    contributions: ContributionService, clock: SteppedClock, chance: random.Random, who: str,
    kind: str, at: datetime, moderate: float, end: datetime,
) -> None:  # fmt: skip
    text = chance.choice(REVIEWS if kind == "review" else IDEAS)
    contribution_id = f"demo-{kind}-{who}"
    status, _ = await contributions.submit(Submission(
        id=contribution_id, customer_id=who, kind=kind, occurred_at=at, title=text[:40],
        body=text, rating=chance.choice((4, 5, 5, 3)) if kind == "review" else None,
        order_id=f"demo-{_number_of(who)}-0" if kind == "review" else None,
        language="fr", channel="socketio",
    ))  # fmt: skip
    decided = at + timedelta(days=1 + moderate * 3)
    if status == "pending" and moderate < 0.85 and decided < end:  # the rest waits
        clock.current = decided
        decision = "approve" if moderate < 0.78 else "reject"
        await contributions.moderate(contribution_id, decision, "community_manager")


async def _campaigns(
    db: Database, rewards: RewardsService, clock: SteppedClock, chance: random.Random,
    end: datetime,
) -> int:  # fmt: skip
    """Three finished campaigns: who was nudged or held out, answered, bought afterwards."""
    c = t.campaigns.c
    async with db.connect() as conn:
        if await conn.scalar(sa.select(sa.func.count()).where(c.id.like("demo-%"))):
            return 0
        # the demo's customers, never the others the database may hold
        ids = sa.select(t.customers.c.id).where(t.customers.c.id.startswith(DEMO_PREFIX))
        known = [i for i in await conn.scalars(ids.order_by(t.customers.c.id))
                 if DEMO_CUSTOMER.fullmatch(i)]  # fmt: skip
    shapes = (("demo-come-back", "Come back for winter", 5, 0.22, 0.09),
              ("demo-review", "Tell us what you think", 3, 0.30, 0.05),
              ("demo-club", "Join the knitting club", 1, 0.12, 0.08))  # fmt: skip
    deliveries = 0
    bought: list[tuple[datetime, str, str]] = []
    async with db.begin() as conn:
        for campaign_id, name, weeks_ago, answered, drift in shapes:
            sent_at = end - timedelta(weeks=weeks_ago, hours=6)
            spec = {"name": name, "class": "marketing", "holdout_percent": 20,
                    "messages": {"fr": f"{name} !", "en": f"{name}!"},
                    "schedule": {"once": sent_at.isoformat()},
                    "audience": {"all": [DEMO_ONLY, CONSENTING]}}  # fmt: skip
            await conn.execute(sa.insert(t.campaigns).values(
                id=campaign_id, name=name, spec=spec, status="done", created_by="marketer",
                created_at=sent_at - timedelta(days=2), updated_at=sent_at,
            ))  # fmt: skip
            run_id = f"{campaign_id}:run"
            await conn.execute(sa.insert(t.campaign_runs).values(
                id=run_id, campaign_id=campaign_id, planned_for=sent_at, created_at=sent_at,
                customers=len(known),
            ))  # fmt: skip
            rows = []
            for who in chance.sample(known, min(len(known), chance.randint(60, 140))):
                held = chance.random() < 0.2
                skipped = not held and chance.random() < 0.12
                status = "held_out" if held else "skipped" if skipped else "sent"
                reason = chance.choice(("quiet_hours", "cap", "zapped")) if skipped else status
                rows.append({
                    "run_id": run_id, "campaign_id": campaign_id, "customer_id": who,
                    "language": "fr", "marketing": True, "status": status, "reason": reason,
                    "send_at": sent_at, "sent_at": sent_at if status == "sent" else None,
                    "created_at": sent_at, "channel": "socketio", "sender_id": who,
                    "answered_at": sent_at + timedelta(hours=2)
                    if status == "sent" and chance.random() < answered else None,
                })  # fmt: skip
            await conn.execute(sa.insert(t.deliveries), rows)
            deliveries += len(rows)
            # who bought within the window: a little more often after a nudge
            for row in rows:
                rate = 0.08 + (drift if row["status"] == "sent" else 0)
                if row["status"] != "skipped" and chance.random() < rate:
                    later = sent_at + timedelta(days=chance.uniform(0.5, 6))
                    bought.append((later, row["customer_id"], campaign_id))
    for later, who, campaign_id in sorted(bought):
        if later < end:
            clock.current = later
            await _purchase(rewards, who, f"after-{campaign_id}", later)
    clock.current = end
    return deliveries


def _number_of(who: str) -> str:
    """``0001`` of ``demo-0001``; any other id is not the demo's to write for."""
    found = DEMO_CUSTOMER.fullmatch(who)
    if found is None:
        raise ValueError(f"not a demo customer: {who!r}")
    return found.group(1)


def _name(who: str) -> str:
    return FIRST_NAMES[int(_number_of(who)) % len(FIRST_NAMES)]


async def _purchase(rewards: RewardsService, who: str, suffix: str, at: datetime) -> None:
    number = _number_of(who)
    sku, label, price = PRODUCTS[(int(number) + len(suffix)) % len(PRODUCTS)]
    order = {"id": f"demo-{number}-{suffix}", "total": price, "currency": "EUR",
             "items": [{"sku": sku, "name": label, "quantity": 1, "price": price}]}
    buyer = {"id": who, "name": _name(who), "language": "fr"}
    body = {"id": f"demo-buy-{order['id']}", "type": "purchase", "occurred_at": at.isoformat(),
            "order": order, "customer": buyer}  # fmt: skip
    event = parse_commerce_event(json.dumps(body).encode())
    await rewards.record_event(IncomingEvent.from_commerce(event, body))
