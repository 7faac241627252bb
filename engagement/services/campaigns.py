"""What a marketer does with campaigns: create, edit, size the audience, schedule, pause,
resume, archive (the preview and the test send: campaign_previews.py; the results:
campaign_results.py)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from engagement.commerce import InvalidField
from engagement.nudges.campaigns import (
    DRAFT,
    EDITABLE,
    ONCE,
    SCHEDULED,
    TRANSITIONS,
    CampaignSpec,
    next_run,
    parse_campaign,
)
from engagement.nudges.planning import Guards
from engagement.nudges.templates import (
    check_renders,
    new_environment,
)
from engagement.ports import Clock
from engagement.services.planner import CampaignPlanner
from engagement.services.rules_book import RulesBook
from engagement.storage import tables as t
from engagement.storage.database import Database
from engagement.wording import CONSOLE_LANGUAGE, format_count


class UnknownCampaign(LookupError):
    pass


class CampaignStateError(ValueError):
    """The campaign is not in a state that allows this."""


class CampaignService:
    def __init__(self, db: Database, clock: Clock, rules: RulesBook, guards: Guards) -> None:
        self._db = db
        self._clock = clock
        self._rules = rules
        self._guards = guards
        self._planner = CampaignPlanner(db, clock, rules, guards)

    async def create(self, body: Any, by: str) -> dict[str, Any]:
        spec = await self.parse(body, renders=True)
        now = self._clock.now()
        campaign_id = f"camp-{uuid.uuid4().hex[:12]}"
        spec = replace(spec, holdout_seed=spec.holdout_key(campaign_id))
        async with self._db.begin() as conn:
            await conn.execute(sa.insert(t.campaigns).values(
                id=campaign_id, name=spec.name, spec=spec.as_json(), status=DRAFT,
                created_by=by, created_at=now, updated_at=now,
            ))  # fmt: skip
        return await self.get(campaign_id)

    async def update(self, campaign_id: str, body: Any) -> dict[str, Any]:
        campaign = await self.get(campaign_id)
        if campaign["status"] not in EDITABLE:
            raise CampaignStateError(f"a {campaign['status']} campaign cannot be edited; pause it")
        spec = await self.parse(body, renders=True)
        seed = campaign["spec"].get("holdout_seed") or campaign_id
        if spec.holdout_seed not in (None, seed):
            raise InvalidField("holdout_seed", "kept from the campaign's creation, so that "
                               "its hold-out stays the same customers")  # fmt: skip
        spec = replace(spec, holdout_seed=seed)
        c = t.campaigns.c
        async with self._db.begin() as conn:  # still editable as it is written
            edited = await conn.execute(
                sa.update(t.campaigns).where((c.id == campaign_id) & c.status.in_(EDITABLE))
                .values(name=spec.name, spec=spec.as_json(), updated_at=self._clock.now())
            )  # fmt: skip
        if edited.rowcount != 1:
            raise CampaignStateError(_CHANGED_MEANWHILE)
        return await self.get(campaign_id)

    async def get(self, campaign_id: str) -> dict[str, Any]:
        return _as_json(await self._row(campaign_id))

    async def _row(self, campaign_id: str) -> Any:
        async with self._db.connect() as conn:
            row = (await conn.execute(
                sa.select(t.campaigns).where(t.campaigns.c.id == campaign_id)
            )).first()  # fmt: skip
        if row is None:
            raise UnknownCampaign(campaign_id)
        return row

    async def listing(self) -> dict[str, Any]:
        async with self._db.connect() as conn:
            rows = await conn.execute(sa.select(t.campaigns).order_by(t.campaigns.c.created_at))
            campaigns = [_as_json(row) for row in rows]
        count = format_count(len(campaigns), "campaign", CONSOLE_LANGUAGE)
        return {"campaigns": campaigns, "text": {"count": count}}

    async def change(self, campaign_id: str, action: str) -> dict[str, Any]:
        """schedule, pause, resume or archive: one conditional UPDATE from the status read,
        so of two changes at once (two marketers, the dispatcher pausing a campaign) one
        wins and the other is refused. Scheduling also needs the spec it checked to be the
        one stored (``updated_at`` unchanged)."""
        campaign = await self._row(campaign_id)
        sources, target = TRANSITIONS[action]
        if campaign.status not in sources:
            raise CampaignStateError(f"cannot {action} a {campaign.status} campaign")
        c = t.campaigns.c
        still = (c.id == campaign_id) & (c.status == campaign.status)
        values: dict[str, Any] = {"status": target, "status_reason": None,
                                  "updated_at": self._clock.now()}  # fmt: skip
        if target == SCHEDULED:  # a message paused for failing must be edited first
            spec = await self.parse(campaign.spec, renders=True)
            values["next_run_at"] = self._first_run(spec)
            still &= c.updated_at == campaign.updated_at
        async with self._db.begin() as conn:
            changed = await conn.execute(sa.update(t.campaigns).where(still).values(**values))
        if changed.rowcount != 1:
            raise CampaignStateError(_CHANGED_MEANWHILE)
        return await self.get(campaign_id)

    async def audience(self, campaign_id: str) -> dict[str, Any]:
        """How many customers match, and what a run would do with them now (the planner's
        own decision, hold-out included)."""
        spec = await self.parse((await self.get(campaign_id))["spec"])
        return _sized(await self._planner.predict(spec, spec.holdout_key(campaign_id)))

    async def audience_of(self, spec: CampaignSpec) -> dict[str, Any]:
        """The same for a campaign being written (nothing saved): the console's live size.
        Its hold-out is the run's when it comes with the ``holdout_seed`` it is saved with."""
        return _sized(await self._planner.predict(spec, spec.holdout_key("draft")))

    async def parse(self, body: Any, *, renders: bool = False) -> CampaignSpec:
        """The campaign, checked; with ``renders``, its messages are also rendered against
        sample values (``check_renders``): what is saved, scheduled or previewed must render,
        or the dispatcher would meet the failure customer after customer."""
        async with self._db.connect() as conn:
            coupons = tuple((await self._rules.in_force(conn)).rules.coupons)
        spec = parse_campaign(body, coupons)
        if renders:
            environment = new_environment()
            for lang, text in spec.messages.items():
                check_renders(environment, text, f"messages.{lang}")
        return spec

    def _first_run(self, spec: CampaignSpec) -> Any:
        now = self._clock.now()
        if spec.schedule.kind == ONCE:
            return spec.schedule.at  # in the past: at the next tick
        return next_run(spec.schedule, now - timedelta(microseconds=1), self._guards.brand_timezone)


def _sized(prediction: dict[str, Any]) -> dict[str, Any]:
    """The prediction, and its size as the console writes it ("1 customer matches")."""
    matching = format_count(prediction["matching"], "matching_customer", CONSOLE_LANGUAGE)
    return {**prediction, "text": {"matching": matching}}


_CHANGED_MEANWHILE = "the campaign changed meanwhile: read it again, then retry"


def _as_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id, "name": row.name, "spec": row.spec, "status": row.status,
        "status_reason": row.status_reason,
        "next_run_at": row.next_run_at.isoformat() if row.next_run_at else None,
        "created_by": row.created_by, "created_at": row.created_at.isoformat(),
        "issued": {"coupons": row.coupons_issued, "points": row.points_issued},
    }  # fmt: skip
