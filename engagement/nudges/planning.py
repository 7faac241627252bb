"""Whether, and when, one customer gets a campaign's nudge: the guards of README's campaigns as a
pure function of the customer's snapshot, what they were already sent, and ``now``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engagement.nudges.audience import CustomerSnapshot

SEND, SKIP, HOLD_OUT = "send", "skip", "hold_out"


@dataclass(frozen=True)
class QuietHours:
    """No nudge between ``start`` and ``end``, customer's local time (may span midnight)."""

    start: time = time(21, 0)
    end: time = time(9, 0)

    def covers(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


@dataclass(frozen=True)
class Guards:
    quiet_hours: QuietHours = QuietHours()
    cap_count: int = 2  # marketing nudges per customer, all campaigns together…
    cap_days: int = 7  # …over this many days
    brand_timezone: str = "Europe/Paris"
    # Messaging platforms let a business write only within a window after the customer's
    # last message (Messenger's standard window, WhatsApp's session through Twilio): hours.
    channel_windows: tuple[tuple[str, int], ...] = (("facebook", 24), ("twilio", 24))

    def outside_channel_window(
        self, channel: str | None, last_message: datetime | None, now: datetime
    ) -> bool:
        hours = dict(self.channel_windows).get(channel or "")
        if hours is None:
            return False
        return last_message is None or now - last_message > timedelta(hours=hours)


@dataclass(frozen=True)
class Verdict:
    outcome: str  # send, skip or hold_out
    reason: str
    send_at: datetime | None = None


def plan_customer(
    *,
    holdout_key: str,
    marketing: bool,
    holdout_percent: float,
    customer: CustomerSnapshot,
    marketing_sent_recently: int,
    now: datetime,
    guards: Guards = Guards(),
) -> Verdict:
    """What a campaign does with one customer: what the planner records and what the
    audience view predicts (the same function). Service nudges (order news, apologies)
    skip consent, zapping and the cap; every nudge respects quiet hours. A customer no nudge
    can reach (no conversation to post to, a messaging window closed by the time it would
    go) is skipped, so the hold-out, drawn next and before the cap, compares like with like
    and keeps the same customers out whatever else they were sent."""
    if marketing:
        if customer.opted_out:
            return Verdict(SKIP, "opted_out")
        if not customer.opted_in:
            return Verdict(SKIP, "no_consent")
        if customer.zapped:
            return Verdict(SKIP, "zapped")
    zone = zone_of(customer.timezone, guards.brand_timezone)
    at = next_send_time(now, zone, guards.quiet_hours, customer.active_hour)
    if not customer.extra.get("sender_id") or customer.channel is None:
        return Verdict(SKIP, "no_channel")
    if guards.outside_channel_window(customer.channel, customer.last_message_at, at):
        return Verdict(SKIP, "channel_window")
    if held_out(holdout_key, customer.id, holdout_percent):
        return Verdict(HOLD_OUT, "hold_out")
    if marketing and marketing_sent_recently >= guards.cap_count:
        return Verdict(SKIP, "capped")
    return Verdict(SEND, "quiet_hours" if at > now else "now", at)


def held_out(holdout_key: str, customer_id: str, percent: float) -> bool:
    """Stable: the same customer is in or out of a campaign's hold-out on every run, and in
    the prediction of it (``holdout_key``: the campaign's ``holdout_seed``, else its id)."""
    digest = hashlib.sha256(f"{holdout_key}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < percent / 100


def zone_of(name: str | None, fallback: str) -> ZoneInfo:
    for candidate in (name, fallback):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def next_send_time(
    now: datetime, zone: ZoneInfo, quiet: QuietHours, active_hour: int | None = None
) -> datetime:
    """The first moment at or after ``now`` outside quiet hours, in UTC; moved to the
    customer's usual active hour when that comes within the next 24 hours and is allowed."""
    local = now.astimezone(zone)
    if quiet.covers(local.time()):
        end_day = local.date() if local.time() < quiet.end else local.date() + timedelta(days=1)
        local = _local(end_day, quiet.end, zone)
    if active_hour is not None:
        candidate = _local(local.date(), time(active_hour), zone)
        if candidate < local:
            candidate = _local(local.date() + timedelta(days=1), time(active_hour), zone)
        if candidate - local < timedelta(hours=24) and not quiet.covers(candidate.time()):
            local = candidate
    return max(local.astimezone(timezone.utc), now.astimezone(timezone.utc))


def _local(day: object, at: time, zone: ZoneInfo) -> datetime:
    """``day`` at ``at`` on the wall clock of ``zone``; a time skipped by a daylight-saving
    change moves forward by the gap (02:30 on the spring-forward night is 03:30)."""
    naive = datetime.combine(day, at)  # type: ignore[arg-type]
    aware = naive.replace(tzinfo=zone)
    round_trip = aware.astimezone(timezone.utc).astimezone(zone)
    if round_trip.replace(tzinfo=None) != naive:  # the wall-clock time does not exist
        return round_trip
    return aware
