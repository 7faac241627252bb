"""A campaign as a marketer writes it (JSON through the API), checked field by field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from apscheduler.triggers.cron import CronTrigger

from engagement.commerce import InvalidField
from engagement.nudges.audience import EVERYONE, Node, as_json, parse_audience
from engagement.nudges.planning import zone_of
from engagement.nudges.templates import check_template, new_environment
from engagement.settings import LANGUAGES

# A campaign's life: each action moves it from one of these states to another, with one
# conditional UPDATE (engagement/services/campaigns.py), so two at once cannot both win.
DRAFT, SCHEDULED, PAUSED, DONE, ARCHIVED = "draft", "scheduled", "paused", "done", "archived"
EDITABLE = (DRAFT, PAUSED)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {  # action: (from, to)
    "schedule": ((DRAFT, PAUSED), SCHEDULED), "resume": ((PAUSED,), SCHEDULED),
    "pause": ((SCHEDULED, DONE), PAUSED), "archive": ((DRAFT, SCHEDULED, PAUSED, DONE), ARCHIVED),
}  # fmt: skip
# Why the dispatcher paused a campaign whose budget could not pay for one more nudge: the
# nudges it had paid for still go out (engagement/services/nudging.py)
BUDGET_SPENT = "budget spent"

ONCE, CRON, AFTER_EVENT = "once", "cron", "after_event"
# what "N hours after an event" can follow: the event types the shop (purchase, delivery)
# and moderation (review_approved, idea_approved) record, and a customer's first purchase
TRIGGER_EVENTS = ("purchase", "delivery", "review_approved", "idea_approved", "first_purchase")
CLASSES = ("marketing", "service")


@dataclass(frozen=True)
class Schedule:
    kind: str
    at: datetime | None = None
    cron: str | None = None
    event: str | None = None
    delay: timedelta | None = None

    def as_json(self) -> dict[str, Any]:
        if self.kind == ONCE:
            assert self.at is not None
            return {"once": self.at.isoformat()}
        if self.kind == CRON:
            return {"cron": self.cron}
        assert self.delay is not None
        return {"after_event": self.event, "after_hours": self.delay.total_seconds() / 3600}


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    kind: str  # marketing or service
    messages: dict[str, str]
    schedule: Schedule
    audience: Node = EVERYONE
    holdout_percent: float = 10.0
    coupon: str | None = None
    coupon_budget: int | None = None
    points: int = 0  # given with the nudge
    points_budget: int | None = None
    window_days: int = 7
    # which customers the hold-out takes: the same in the audience's prediction (the console
    # sends one with a campaign being written) and in every run; the campaign's id if unset
    holdout_seed: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def marketing(self) -> bool:
        return self.kind == "marketing"

    def holdout_key(self, campaign_id: str) -> str:
        return self.holdout_seed or campaign_id

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "class": self.kind, "messages": self.messages,
            "schedule": self.schedule.as_json(), "audience": as_json(self.audience),
            "holdout_percent": self.holdout_percent, "coupon": self.coupon,
            "coupon_budget": self.coupon_budget, "points": self.points,
            "points_budget": self.points_budget, "window_days": self.window_days,
            "holdout_seed": self.holdout_seed,
        }  # fmt: skip


KNOWN = {"name", "class", "messages", "schedule", "audience", "holdout_percent", "coupon",
         "coupon_budget", "points", "points_budget", "window_days", "holdout_seed"}  # fmt: skip


def parse_campaign(data: Any, coupon_templates: tuple[str, ...] = ()) -> CampaignSpec:
    if not isinstance(data, dict):
        raise InvalidField("", "the body must be a JSON object")
    for key in data:
        if key not in KNOWN:
            raise InvalidField(key, "unknown field")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 120:
        raise InvalidField("name", "a non-empty string of at most 120 characters")
    kind = data.get("class", "marketing")
    if kind not in CLASSES:
        raise InvalidField("class", "marketing or service")
    coupon = data.get("coupon")
    if coupon is not None and coupon not in coupon_templates:
        raise InvalidField("coupon", f"one of the coupon templates: {', '.join(coupon_templates)}")
    return CampaignSpec(
        name=name.strip(), kind=kind, messages=_messages(data.get("messages")),
        schedule=parse_schedule(data.get("schedule")),
        audience=parse_audience(data.get("audience")),
        holdout_percent=_number(data.get("holdout_percent", 10), "holdout_percent", 0, 50),
        coupon=coupon,
        coupon_budget=_optional_int(data.get("coupon_budget"), "coupon_budget"),
        points=_optional_int(data.get("points"), "points") or 0,
        points_budget=_optional_int(data.get("points_budget"), "points_budget"),
        window_days=int(_number(data.get("window_days", 7), "window_days", 1, 90)),
        holdout_seed=_seed(data.get("holdout_seed")),
    )  # fmt: skip


def _messages(data: Any) -> dict[str, str]:
    if not isinstance(data, dict) or set(data) != set(LANGUAGES):
        raise InvalidField("messages", f"one template per language: {', '.join(LANGUAGES)}")
    environment = new_environment()
    return {lang: check_template(environment, data[lang], f"messages.{lang}") for lang in LANGUAGES}


def parse_schedule(data: Any) -> Schedule:
    if not isinstance(data, dict) or len(set(data) & {"once", "cron", "after_event"}) != 1:
        raise InvalidField("schedule", "one of once, cron or after_event")
    if "once" in data:
        try:
            at = datetime.fromisoformat(str(data["once"]).replace("Z", "+00:00"))
        except ValueError:
            raise InvalidField("schedule.once", "an ISO-8601 date and time") from None
        if at.tzinfo is None:
            raise InvalidField("schedule.once", "needs a UTC offset")
        return Schedule(ONCE, at=at.astimezone(timezone.utc))
    if "cron" in data:
        expression = data["cron"]
        try:
            cron_trigger(str(expression), "UTC")
        except ValueError as exc:
            raise InvalidField("schedule.cron", f"not a cron expression: {exc}") from None
        return Schedule(CRON, cron=str(expression))
    event = data["after_event"]
    if event not in TRIGGER_EVENTS:
        raise InvalidField("schedule.after_event", f"one of {', '.join(TRIGGER_EVENTS)}")
    hours = _number(data.get("after_hours"), "schedule.after_hours", 0, 24 * 90)
    return Schedule(AFTER_EVENT, event=event, delay=timedelta(hours=hours))


def next_run(schedule: Schedule, after: datetime, brand_timezone: str) -> datetime | None:
    """The next planned run strictly after ``after`` (cron in the brand's time zone). An
    after_event campaign is planned at every tick from then on: its ``next_run_at`` is the
    watermark of the events already planned, so the events that happen after this moment
    (and none before) are nudged."""
    if schedule.kind == ONCE:
        assert schedule.at is not None
        return schedule.at if schedule.at > after else None
    if schedule.kind == CRON:
        trigger = cron_trigger(str(schedule.cron), brand_timezone)
        fire = trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
        return fire.astimezone(timezone.utc) if fire else None
    return after + timedelta(microseconds=1)


_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def cron_trigger(expression: str, brand_timezone: str) -> CronTrigger:
    """A standard five-field cron expression. APScheduler 3 numbers weekdays from Monday = 0
    where cron has Sunday = 0: day numbers are turned into names so "0 10 * * 1" means
    Mondays, as marketers expect."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"5 fields expected, got {len(fields)}")
    fields[4] = re.sub(r"(?<![/\d])(\d+)", lambda m: _day_name(str(m.group(1))), fields[4])
    return CronTrigger.from_crontab(" ".join(fields), timezone=zone_of(brand_timezone, "UTC"))


def _day_name(number: str) -> str:
    if int(number) > 7:
        raise ValueError(f"day of week {number} is not between 0 and 7")
    return _DAY_NAMES[int(number)]


def _number(value: Any, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise InvalidField(name, f"a number from {low:g} to {high:g}")
    return float(value)


def _seed(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= 64:
        raise InvalidField("holdout_seed", "a string of 1 to 64 characters")
    return value


def _optional_int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidField(name, "a whole number ≥ 0")
    return value
