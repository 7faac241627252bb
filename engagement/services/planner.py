"""Planning the campaign runs that are due: one delivery row per matching customer,
whatever its fate (pending with a time to send, held out, or skipped with the reason).

A once or cron campaign plans a run over every customer when its time comes. An
after_event campaign is planned at every tick: each event of its kind that the service
received since the last scan gives the customer a nudge ``delay`` after the event, in the
run of the day it falls due (``{campaign}:{day}``), so that one customer gets at most one
such nudge per campaign and day."""

from __future__ import annotations

import logging
import operator
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from engagement.commerce import InvalidField
from engagement.ladder import LadderCriteria
from engagement.nudges.audience import CustomerSnapshot, matches
from engagement.nudges.campaigns import (
    AFTER_EVENT,
    DONE,
    PAUSED,
    SCHEDULED,
    CampaignSpec,
    next_run,
    parse_campaign,
)
from engagement.nudges.messages import SAMPLE_COUPON_CODE, Messages, skip_reason
from engagement.nudges.planning import (
    HOLD_OUT,
    SEND,
    SKIP,
    Guards,
    Verdict,
    plan_customer,
    zone_of,
)
from engagement.nudges.templates import MissingData, RenderFailed
from engagement.ports import Clock
from engagement.services.rules_book import RulesBook
from engagement.services.snapshots import snapshots
from engagement.storage import tables as t
from engagement.storage.database import Database
from engagement.storage.rewards import insert_ignoring_duplicates

PLAN_BATCH = 1_000
# Events are scanned again this long after the watermark passed them, for those whose
# transaction had not committed yet when it did (each event is planned once all the same).
SCAN_OVERLAP = timedelta(minutes=5)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Planned:
    runs: int
    deliveries: int

    def __str__(self) -> str:
        return f"{self.runs} campaign runs planned, {self.deliveries} deliveries"


@dataclass(frozen=True)
class _Due:
    """A customer's nudge in a run, planned as of ``at`` (``now`` or later)."""

    run_id: str
    at: datetime


@dataclass
class _Batch:
    consecutive: bool  # customers in id order: their past nudges are read as a range
    due: list[tuple[CustomerSnapshot, _Due]] = field(default_factory=list)


class CampaignPlanner:
    def __init__(self, db: Database, clock: Clock, rules: RulesBook, guards: Guards) -> None:
        self._db = db
        self._clock = clock
        self._rules = rules
        self._guards = guards

    async def plan_due(self) -> Planned:
        now = self._clock.now()
        async with self._db.connect() as conn:
            due = list(await conn.execute(
                sa.select(t.campaigns).where(
                    (t.campaigns.c.status == SCHEDULED) & (t.campaigns.c.next_run_at <= now)
                )
            ))  # fmt: skip
            if not due:
                return Planned(0, 0)
            rules = (await self._rules.in_force(conn)).rules
        ladder = replace(LadderCriteria(), **rules.ladder)
        runs = deliveries = 0
        for campaign in due:
            try:
                spec = parse_campaign(campaign.spec, tuple(rules.coupons))
            except InvalidField as exc:
                # e.g. its coupon template left the rules: it pauses, the others are planned
                reason = f"invalid campaign: {exc.field}: {exc.reason}"
                await self._pause(campaign.id, reason, now)
                continue
            plan = self._plan_events if spec.schedule.kind == AFTER_EVENT else self._plan_run
            planned = await plan(campaign, spec, ladder, now)
            runs += planned.runs
            deliveries += planned.deliveries
        return Planned(runs, deliveries)

    async def _pause(self, campaign_id: str, reason: str, now: datetime) -> None:
        log.warning("campaign %s paused: %s", campaign_id, reason)
        async with self._db.begin() as conn:
            await conn.execute(
                sa.update(t.campaigns).where(
                    (t.campaigns.c.id == campaign_id) & (t.campaigns.c.status == SCHEDULED)
                ).values(status=PAUSED, status_reason=reason[:200], updated_at=now)
            )  # fmt: skip

    async def _plan_run(
        self, campaign: Any, spec: CampaignSpec, ladder: LadderCriteria, now: datetime
    ) -> Planned:
        run_id = f"{campaign.id}:{campaign.next_run_at.isoformat()}"
        async with self._db.begin() as conn:
            await self._open_runs(conn, campaign.id, {run_id: campaign.next_run_at}, now)
        planned = await self._plan_all(
            self._audience(spec, run_id, ladder, now), campaign.id, spec, now
        )
        following = next_run(spec.schedule, campaign.next_run_at, self._guards.brand_timezone)
        async with self._db.begin() as conn:  # a pause or an archive meanwhile stands
            await conn.execute(
                sa.update(t.campaigns)
                .where((t.campaigns.c.id == campaign.id) & (t.campaigns.c.status == SCHEDULED))
                .values(next_run_at=following, status=SCHEDULED if following else DONE,
                        updated_at=now)
            )  # fmt: skip
        return Planned(1, sum(planned.values()))

    async def _audience(
        self, spec: CampaignSpec, run_id: str, ladder: LadderCriteria, now: datetime
    ) -> AsyncIterator[_Batch]:
        due, batch = _Due(run_id, now), _Batch(consecutive=True)
        async for customer in snapshots(self._db, now, brand_timezone=self._guards.brand_timezone,
                                        ladder=ladder):  # fmt: skip
            if matches(spec.audience, customer):
                batch.due.append((customer, due))
            if len(batch.due) >= PLAN_BATCH:
                yield batch
                batch = _Batch(consecutive=True)
        if batch.due:
            yield batch

    async def _plan_events(
        self, campaign: Any, spec: CampaignSpec, ladder: LadderCriteria, now: datetime
    ) -> Planned:
        """The events received since the watermark (``next_run_at``) that happened since
        the campaign was scheduled or resumed (``updated_at``, which scans leave alone);
        the watermark moves to ``now`` once they are all planned, so a crash only makes
        the next tick plan them again (the run's unique customers keep that harmless)."""
        planned = await self._plan_all(
            self._reached(campaign, spec, ladder, now), campaign.id, spec, now
        )
        async with self._db.begin() as conn:
            await conn.execute(sa.update(t.campaigns).where(
                (t.campaigns.c.id == campaign.id) & (t.campaigns.c.status == SCHEDULED)
            ).values(next_run_at=now))  # fmt: skip
        return Planned(sum(1 for count in planned.values() if count), sum(planned.values()))

    async def _reached(
        self, campaign: Any, spec: CampaignSpec, ladder: LadderCriteria, now: datetime
    ) -> AsyncIterator[_Batch]:
        """The customers the campaign's events reach, each in the run of the day their
        nudge falls due (the first event of a day counts), planned as of that moment."""
        assert spec.schedule.delay is not None and spec.schedule.event is not None
        delay, zone = spec.schedule.delay, zone_of(self._guards.brand_timezone, "UTC")
        async for events in _trigger_events(self._db, spec.schedule.event,
                                            campaign.next_run_at - SCAN_OVERLAP, now,
                                            campaign.updated_at):  # fmt: skip
            first: dict[tuple[str, date], datetime] = {}
            for customer_id, occurred_at in events:
                due_at = occurred_at + delay
                first.setdefault((customer_id, due_at.astimezone(zone).date()), due_at)
            runs = {f"{campaign.id}:{day.isoformat()}": _midnight(day, zone) for _, day in first}
            async with self._db.begin() as conn:
                await self._open_runs(conn, campaign.id, runs, now)
            people = {c.id: c async for c in snapshots(
                self._db, now, sorted({customer_id for customer_id, _ in first}),
                brand_timezone=self._guards.brand_timezone, ladder=ladder,
            )}  # fmt: skip
            batch = _Batch(consecutive=False)
            for (customer_id, day), due_at in first.items():
                customer = people.get(customer_id)
                if customer is not None and matches(spec.audience, customer):
                    run_id = f"{campaign.id}:{day.isoformat()}"
                    batch.due.append((customer, _Due(run_id, max(now, due_at))))
            yield batch

    async def _plan_all(
        self, batches: AsyncIterator[_Batch], campaign_id: str, spec: CampaignSpec,
        now: datetime,
    ) -> dict[str, int]:  # fmt: skip
        """The deliveries recorded per run."""
        planned: dict[str, int] = defaultdict(int)
        async for batch in batches:
            for run_id, count in (await self._plan_batch(batch, campaign_id, spec, now)).items():
                planned[run_id] += count
        return planned

    async def _open_runs(
        self, conn: Any, campaign_id: str, runs: dict[str, datetime], now: datetime
    ) -> None:
        if runs:
            await conn.execute(insert_ignoring_duplicates(conn, t.campaign_runs, ["id"]), [
                {"id": run_id, "campaign_id": campaign_id, "planned_for": planned_for,
                 "created_at": now}
                for run_id, planned_for in runs.items()
            ])  # fmt: skip

    async def predict(self, spec: CampaignSpec, holdout_key: str) -> dict[str, Any]:
        """What a run of ``spec`` would do now: how many customers match, and for each
        outcome (send, hold_out, or the reason of a skip) how many, decided as a run
        decides (``_verdicts``); a nudge that would go is also rendered, as the dispatcher
        renders it, and a customer it cannot be rendered for counted under the dispatcher's
        reason (``missing_data: …``). ``holdout_key``: the run's (``spec.holdout_key``)."""
        now = self._clock.now()
        async with self._db.connect() as conn:
            rules = (await self._rules.in_force(conn)).rules
        coupon = rules.coupons.get(spec.coupon) if spec.coupon else None
        code = SAMPLE_COUPON_CODE if coupon else None
        messages, would = Messages(), Counter[str]()
        ladder = replace(LadderCriteria(), **rules.ladder)
        async for batch in self._audience(spec, "prediction", ladder, now):
            for customer, _, verdict in await self._verdicts(batch, holdout_key, spec, now):
                outcome = verdict.reason if verdict.outcome == SKIP else verdict.outcome
                if verdict.outcome == SEND:
                    try:
                        messages.text(holdout_key, spec, customer, customer.language,
                                      coupon=coupon, code=code)  # fmt: skip
                    except (MissingData, RenderFailed) as exc:
                        outcome = skip_reason(exc)
                would[outcome] += 1
        return {"matching": sum(would.values()), "would": dict(would)}

    async def _verdicts(
        self, batch: _Batch, holdout_key: str, spec: CampaignSpec, now: datetime
    ) -> list[tuple[CustomerSnapshot, _Due, Verdict]]:
        """One verdict per customer, their recent marketing sends counted in one query."""
        recent = {}
        if spec.marketing and batch.due:
            ids = [customer.id for customer, _ in batch.due]
            recent = await self._marketing_sent_since(ids, now, batch.consecutive)
        return [(customer, due, plan_customer(
            holdout_key=holdout_key, marketing=spec.marketing,
            holdout_percent=spec.holdout_percent, customer=customer,
            marketing_sent_recently=recent.get(customer.id, 0), now=due.at, guards=self._guards,
        )) for customer, due in batch.due]  # fmt: skip

    async def _plan_batch(
        self, batch: _Batch, campaign_id: str, spec: CampaignSpec, now: datetime
    ) -> dict[str, int]:
        """The deliveries of a batch recorded per run (a customer already in a run keeps
        their row), each with its verdict."""
        if not batch.due:
            return {}
        statuses = {SKIP: "skipped", HOLD_OUT: "held_out", SEND: "pending"}
        rows: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        verdicts = await self._verdicts(batch, spec.holdout_key(campaign_id), spec, now)
        for customer, due, verdict in verdicts:
            rows[due.run_id].append((
                due.run_id, campaign_id, customer.id, customer.extra.get("sender_id"),
                customer.channel, customer.language, spec.marketing, statuses[verdict.outcome],
                verdict.reason, verdict.send_at, now,
            ))  # fmt: skip
        return await self._record(rows)

    async def _record(self, rows: dict[str, list[tuple[Any, ...]]]) -> dict[str, int]:
        inserted = {}
        async with self._db.begin() as conn:
            for run_id, run_rows in rows.items():
                inserted[run_id] = await _insert_deliveries(conn, run_rows)
                await conn.execute(
                    sa.update(t.campaign_runs).where(t.campaign_runs.c.id == run_id)
                    .values(customers=t.campaign_runs.c.customers + inserted[run_id])
                )  # fmt: skip
        return inserted

    async def _marketing_sent_since(
        self, ids: list[str], now: datetime, consecutive: bool
    ) -> dict[str, int]:
        """Marketing nudges sent to each of ``ids`` within the cap's window, all campaigns;
        ``consecutive`` ids (in id order) are looked up as a range."""
        since = now - timedelta(days=self._guards.cap_days)
        d = t.deliveries.c
        among = d.customer_id.between(ids[0], ids[-1]) if consecutive else d.customer_id.in_(ids)
        async with self._db.connect() as conn:
            rows = await conn.execute(
                sa.select(d.customer_id, sa.func.count())
                .where(among, d.marketing, d.status == "sent", d.sent_at >= since)
                .group_by(d.customer_id)
            )  # fmt: skip
            return {customer_id: int(count) for customer_id, count in rows.all()}


DELIVERY_COLUMNS = ("run_id", "campaign_id", "customer_id", "sender_id", "channel", "language",
                    "marketing", "status", "reason", "send_at", "created_at")  # fmt: skip


async def _insert_deliveries(conn: AsyncConnection, rows: list[tuple[Any, ...]]) -> int:
    """Inserts ``rows`` (values in ``DELIVERY_COLUMNS`` order) but those already in their
    run; how many were new. SQLAlchemy 1.4 spends more on each row's parameters than the
    database on the insert, and a run's rows repeat a few values (the run, the moment,
    the send times): each value goes through its column type's conversion once, and the
    rows go to the driver as they are."""
    if conn.dialect.name == "postgresql":
        return await _insert_deliveries_returning(conn, rows)
    insert = insert_ignoring_duplicates(conn, t.deliveries, ["run_id", "customer_id"]).values(
        {name: sa.bindparam(name) for name in DELIVERY_COLUMNS}
    )
    compiled = insert.compile(dialect=conn.dialect)
    # positional parameters (qmark on SQLite, format on asyncpg), in the statement's order
    assert compiled.positiontup is not None
    pick = operator.itemgetter(*(DELIVERY_COLUMNS.index(name) for name in compiled.positiontup))
    typed = [(i, _Converter(t.deliveries.c[name].type, conn.dialect))
             for i, name in enumerate(compiled.positiontup)]  # fmt: skip
    typed = [(i, convert) for i, convert in typed if convert.needed]
    params = []
    for row in rows:
        values = list(pick(row))
        for i, convert in typed:
            values[i] = convert(values[i])
        params.append(tuple(values))
    result = await conn.exec_driver_sql(compiled.string, params)
    return int(result.rowcount or 0)


async def _insert_deliveries_returning(conn: AsyncConnection, rows: list[tuple[Any, ...]]) -> int:
    """PostgreSQL: asyncpg's executemany counts no rows, so a multi-row insert (under the
    protocol's 32767 parameters) returns the rows that were new."""
    new = 0
    per_statement = 32767 // len(DELIVERY_COLUMNS)
    for start in range(0, len(rows), per_statement):
        part = rows[start : start + per_statement]
        chunk = [dict(zip(DELIVERY_COLUMNS, row, strict=True)) for row in part]
        insert = insert_ignoring_duplicates(conn, t.deliveries, ["run_id", "customer_id"])
        result = await conn.execute(insert.values(chunk).returning(t.deliveries.c.id))
        new += len(result.all())
    return new


class _Converter:
    """A column type's conversion of Python values for the driver, once per value."""

    def __init__(self, type_: Any, dialect: Any) -> None:
        self._process = type_.dialect_impl(dialect).bind_processor(dialect)
        self._done: dict[Any, Any] = {}
        self.needed = self._process is not None

    def __call__(self, value: Any) -> Any:
        if value is None:
            return value
        try:
            return self._done[value]
        except KeyError:
            converted = self._done[value] = self._process(value)
            return converted


TRIGGER_TYPES = {"first_purchase": "purchase"}  # the others are stored under their name


async def _trigger_events(
    db: Database, trigger: str, received_after: datetime, now: datetime, since: datetime
) -> AsyncIterator[list[tuple[str, datetime]]]:
    """(customer, occurred_at) of the ``trigger`` events received after ``received_after``
    and that happened at or after ``since``, oldest first, ``PLAN_BATCH`` at a time. A
    first purchase is a purchase with no earlier one by the same customer."""
    e = t.events.c
    query = sa.select(e.id, e.customer_id, e.occurred_at).where(
        e.type == TRIGGER_TYPES.get(trigger, trigger),
        e.received_at > received_after, e.received_at <= now, e.occurred_at >= since,
    )  # fmt: skip
    if trigger == "first_purchase":
        earlier = t.events.alias("earlier")
        query = query.where(~sa.exists().where(
            (earlier.c.customer_id == e.customer_id) & (earlier.c.type == "purchase")
            & ((earlier.c.occurred_at < e.occurred_at)
               | ((earlier.c.occurred_at == e.occurred_at) & (earlier.c.id < e.id)))
        ))  # fmt: skip
    after: tuple[datetime, str] | None = None
    while True:
        page = query if after is None else query.where(
            (e.occurred_at > after[0]) | ((e.occurred_at == after[0]) & (e.id > after[1]))
        )  # fmt: skip
        async with db.connect() as conn:
            rows = (await conn.execute(
                page.order_by(e.occurred_at, e.id).limit(PLAN_BATCH)
            )).all()  # fmt: skip
        if not rows:
            return
        yield [(customer_id, occurred_at) for _, customer_id, occurred_at in rows]
        after = (rows[-1].occurred_at, rows[-1].id)


def _midnight(day: date, zone: Any) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(timezone.utc)
