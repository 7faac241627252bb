"""What campaigns achieved: deliveries by status and skip reason, conversion of the nudged
against the hold-out, uplift, opt-out rate; and the job that pauses a campaign past its
limits (README: campaigns)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from engagement.nudges.campaigns import DONE, PAUSED, SCHEDULED
from engagement.nudges.results import (
    CONVERTING_EVENTS,
    Outcome,
    is_stage_up,
    outcome,
    spent_of,
)
from engagement.ports import Clock
from engagement.services.campaigns import CampaignService
from engagement.storage import tables as t
from engagement.storage.database import Database
from engagement.wording import CONSOLE_LANGUAGE, Noun, format_count


class CampaignResults:
    """``sends_per_s``: what the Rasa servers take together (for the expected duration)."""

    def __init__(
        self, db: Database, clock: Clock, campaigns: CampaignService, sends_per_s: float = 60.0
    ) -> None:
        self._db = db
        self._clock = clock
        self._campaigns = campaigns
        self._sends_per_s = sends_per_s

    async def results(self, campaign_id: str) -> dict[str, Any]:
        campaign = await self._campaigns.get(campaign_id)
        spec = await self._campaigns.parse(campaign["spec"])
        d = t.deliveries
        async with self._db.connect() as conn:
            rows = await conn.execute(
                sa.select(d.c.status, d.c.reason, sa.func.count())
                .where(d.c.campaign_id == campaign_id).group_by(d.c.status, d.c.reason)
            )  # fmt: skip
            counts = [(status, reason, n) for status, reason, n in rows]
            answered = await conn.scalar(sa.select(sa.func.count()).where(
                (d.c.campaign_id == campaign_id) & d.c.answered_at.is_not(None)
            ))  # fmt: skip
            due = await conn.scalar(sa.select(sa.func.count()).where(
                (d.c.campaign_id == campaign_id) & (d.c.status == "pending")
                & (d.c.send_at <= self._clock.now())
            ))  # fmt: skip
        by_status: Counter[str] = Counter()
        skipped: Counter[str] = Counter()
        waiting: Counter[str] = Counter()
        for status, reason, n in counts:
            by_status[status] += n
            if status == "skipped":
                skipped[reason] += n
            elif status == "pending":
                waiting[reason] += n
        achieved = await self._outcome(campaign_id, timedelta(days=spec.window_days))
        budget = {
            "coupons": spent_of(spec.coupon_budget, campaign["issued"]["coupons"]),
            "points": spent_of(spec.points_budget, campaign["issued"]["points"]),
        }
        return {
            "by_status": dict(by_status), "skipped_by_reason": dict(skipped),
            "pending_by_reason": dict(waiting), "answered": int(answered or 0),
            # the nudges due now, at the rate the Rasa servers take them
            "expected_duration_s": round(int(due or 0) / self._sends_per_s, 1),
            "budget": budget,
            "conversion": {
                "window_days": spec.window_days,
                "sent": _group(achieved.sent), "held_out": _group(achieved.held_out),
                "uplift": _rounded(achieved.uplift),
                "opt_out_rate": _rounded(achieved.opt_out_rate),
            },
            "text": _counted(sum(skipped.values()), sum(waiting.values()), spec.window_days,
                             budget),
        }  # fmt: skip

    async def review(self) -> str:
        """The scheduler's job: pauses, and says why, any running campaign whose opt-out
        rate or uplift has crossed its limit."""
        paused = []
        async with self._db.connect() as conn:
            running = list(await conn.execute(
                sa.select(t.campaigns.c.id, t.campaigns.c.spec)
                .where(t.campaigns.c.status.in_((SCHEDULED, DONE)))
            ))  # fmt: skip
        for campaign_id, spec_json in running:
            spec = await self._campaigns.parse(spec_json)
            reason = (
                await self._outcome(campaign_id, timedelta(days=spec.window_days))
            ).pause_reason()
            if reason is not None:
                c = t.campaigns.c
                async with self._db.begin() as conn:  # unless it changed since it was read
                    changed = await conn.execute(
                        sa.update(t.campaigns)
                        .where((c.id == campaign_id) & c.status.in_((SCHEDULED, DONE)))
                        .values(status=PAUSED, status_reason=reason, updated_at=self._clock.now())
                    )  # fmt: skip
                if changed.rowcount == 1:
                    paused.append(f"{campaign_id} ({reason})")
        return f"{len(running)} campaigns reviewed; paused: {', '.join(paused) or 'none'}"

    async def _outcome(self, campaign_id: str, window: timedelta) -> Outcome:
        d, e, sc = t.deliveries, t.events, t.stage_changes
        async with self._db.connect() as conn:
            nudged = [
                (row.customer_id, row.status, row.sent_at or row.send_at or row.created_at)
                for row in await conn.execute(
                    sa.select(d.c.customer_id, d.c.status, d.c.sent_at, d.c.send_at,
                              d.c.created_at)
                    .where(d.c.campaign_id == campaign_id, d.c.status.in_(("sent", "held_out")))
                )
            ]  # fmt: skip
            ids = [customer for customer, _, _ in nudged]
            activity: dict[str, list[tuple[str, Any]]] = {}
            if ids:
                since = min(start for _, _, start in nudged)
                for customer, kind, at in await conn.execute(
                    sa.select(e.c.customer_id, e.c.type, e.c.occurred_at).where(
                        e.c.customer_id.in_(ids), e.c.occurred_at >= since,
                        e.c.type.in_((*CONVERTING_EVENTS, "opt_out")),
                    )
                ):  # fmt: skip
                    activity.setdefault(customer, []).append((kind, at))
                for customer, before, after, at in await conn.execute(
                    sa.select(sc.c.customer_id, sc.c.from_stage, sc.c.to_stage, sc.c.changed_at)
                    .where(sc.c.customer_id.in_(ids), sc.c.changed_at >= since)
                ):  # fmt: skip
                    if is_stage_up(before, after):
                        activity.setdefault(customer, []).append(("stage_up", at))
        groups = [(c, "sent" if status == "sent" else "held_out", at) for c, status, at in nudged]
        return outcome(groups, activity, window)


def _counted(
    skipped: int, waiting: int, window_days: int, budget: dict[str, dict[str, int | None]]
) -> dict[str, str | None]:
    """The counts the console writes with their noun, in the form CLDR's plural rule gives
    ("1 nudge waiting", "3 coupons")."""
    language = CONSOLE_LANGUAGE
    text: dict[str, str | None] = {
        "skipped": format_count(skipped, "unsent_nudge", language),
        "waiting": format_count(waiting, "waiting_nudge", language),
        "window": format_count(window_days, "day", language),
    }
    nouns: tuple[tuple[str, Noun], ...] = (("coupons", "coupon"), ("points", "point"))
    for kind, noun in nouns:
        used, left = budget[kind]["used"], budget[kind]["left"]
        text[f"{kind}_used"] = format_count(used or 0, noun, language)
        text[f"{kind}_left"] = None if left is None else format_count(left, noun, language)
    return text


def _group(group: Any) -> dict[str, Any]:
    return {"customers": group.customers, "converted": group.converted,
            "rate": _rounded(group.rate)}  # fmt: skip


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
