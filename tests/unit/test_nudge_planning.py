"""Campaign planning with a fixed clock: audiences, templates, consent classes, hold-out,
caps, quiet hours across time zones and daylight-saving changes."""

from __future__ import annotations

from datetime import datetime, time, timezone

import pytest

from engagement.commerce import InvalidField
from engagement.nudges.audience import CustomerSnapshot, matches, parse_audience
from engagement.nudges.campaigns import next_run, parse_campaign, parse_schedule
from engagement.nudges.planning import (
    HOLD_OUT,
    SEND,
    SKIP,
    QuietHours,
    held_out,
    next_send_time,
    plan_customer,
    zone_of,
)
from engagement.nudges.templates import (
    MissingData,
    RenderFailed,
    check_template,
    new_environment,
    render,
)

PARIS = zone_of("Europe/Paris", "UTC")
UTC = timezone.utc


def u(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def customer(**changes) -> CustomerSnapshot:  # type: ignore[no-untyped-def]
    base = {"id": "c-1", "opted_in": True, "timezone": "Europe/Paris", "channel": "socketio",
            "extra": {"sender_id": "c-1"}}  # fmt: skip
    return CustomerSnapshot(**{**base, **changes})


def plan(who: CustomerSnapshot, *, marketing=True, sent=0, percent=0.0, now=None):  # type: ignore[no-untyped-def]
    return plan_customer(
        holdout_key="camp-1", marketing=marketing, holdout_percent=percent, customer=who,
        marketing_sent_recently=sent, now=now or datetime(2026, 11, 25, 14, tzinfo=UTC),
    )  # fmt: skip


def test_an_audience_combines_conditions_with_all_and_any() -> None:
    audience = parse_audience({"all": [
        {"field": "stage", "op": "in", "value": ["choice", "relation"]},
        {"any": [{"field": "days_since_purchase", "op": "gte", "value": 30},
                 {"field": "badges", "op": "contains", "value": "first_review"}]},
    ]})  # fmt: skip
    assert matches(audience, customer(stage="choice", days_since_purchase=45))
    assert matches(audience, customer(stage="relation", days_since_purchase=2,
                                      badges=frozenset({"first_review"})))  # fmt: skip
    assert not matches(audience, customer(stage="relation", days_since_purchase=2))
    assert not matches(audience, customer(stage="flow", days_since_purchase=90))
    never_bought = customer(stage="choice", days_since_purchase=None)
    assert matches(audience, never_bought), "never bought counts as long ago"


def test_an_audience_may_be_a_cohort_of_ids_never_one_customer() -> None:
    demo = parse_audience({"field": "customer_id", "op": "starts_with", "value": "demo-"})
    assert matches(demo, CustomerSnapshot(id="demo-0001"))
    assert not matches(demo, CustomerSnapshot(id="lea"))
    for one in ("lea", "demo", ""):
        with pytest.raises(InvalidField) as raised:
            parse_audience({"field": "customer_id", "op": "starts_with", "value": one})
        assert raised.value.field == "audience.value"
    with pytest.raises(InvalidField):
        parse_audience({"field": "customer_id", "op": "eq", "value": "lea"})


@pytest.mark.parametrize(
    ("audience", "field"),
    [({"field": "age", "op": "eq", "value": 3}, "audience.field"),
     ({"all": [{"field": "stage", "op": "gte", "value": "need"}]}, "audience.all[0].op"),
     ({"all": [{"field": "stage", "op": "eq", "value": "vip"}]}, "audience.all[0].value"),
     ({"any": [{"field": "fusion", "op": "gt", "value": "high"}]}, "audience.any[0].value"),
     ({"all": {"field": "fusion"}}, "audience.all")],
)  # fmt: skip
def test_a_bad_audience_names_the_faulty_part(audience, field) -> None:
    with pytest.raises(InvalidField) as raised:
        parse_audience(audience)
    assert raised.value.field == field


def test_templates_are_sandboxed_strict_and_checked_when_saved() -> None:
    env = new_environment()
    text = check_template(env, "Bonjour {{ first_name }}, vous avez {{ points }} points", "m.fr")
    assert render(env, text, {"first_name": "Léa", "points": 120}) == (
        "Bonjour Léa, vous avez 120 points"
    )
    with pytest.raises(MissingData):
        render(env, text, {"first_name": None, "points": 3})
    with pytest.raises(InvalidField, match="line 1"):
        check_template(env, "Bonjour {{ first_name ", "m.fr")
    with pytest.raises(InvalidField, match="unknown variable 'password'"):
        check_template(env, "{{ password }}", "m.fr")
    with pytest.raises(InvalidField, match="an attribute"):
        check_template(env, "{{ first_name.__class__.__mro__ }}", "m.fr")
    with pytest.raises(Exception, match="unsafe|access"):  # render-time sandbox still there
        render(env, "{{ first_name.__class__.__mro__ }}", {"first_name": "x"})
    # saved before the check: the template's fault, which pauses its campaign at send time
    with pytest.raises(RenderFailed, match="line 1: the operator '\\*' is not allowed"):
        render(env, "{{ 'x' * 100000000 }}", {})


def test_a_message_has_if_else_comparisons_and_simple_filters() -> None:
    env = new_environment()
    text = check_template(
        env, "Bonjour {{ first_name|default('vous')|title }}{% if points >= 100 %}, bravo"
        "{% else %}, encore {{ 100 - points }} points{% endif %}", "m.fr",
    )  # fmt: skip
    assert render(env, text, {"first_name": "léa", "points": 30}) == (
        "Bonjour Léa, encore 70 points"
    )
    assert render(env, text, {"points": 120}) == "Bonjour Vous, bravo"


def test_marketing_needs_consent_and_spares_the_zapped_service_does_not() -> None:
    assert plan(customer(opted_in=False)).reason == "no_consent"
    assert plan(customer(opted_out=True)).reason == "opted_out"
    assert plan(customer(zapped=True)).reason == "zapped"
    assert plan(customer(opted_in=False, zapped=True), marketing=False).outcome == SEND


def test_the_frequency_cap_counts_marketing_only() -> None:
    assert plan(customer(), sent=2) == plan(customer(), sent=5)
    assert plan(customer(), sent=2).outcome == SKIP and plan(customer(), sent=2).reason == "capped"
    assert plan(customer(), sent=1).outcome == SEND
    assert plan(customer(), sent=9, marketing=False).outcome == SEND


def test_a_customer_no_nudge_can_reach_is_skipped_before_the_hold_out_is_drawn() -> None:
    """The hold-out compares customers a nudge could reach with customers it reached."""
    everyone_out = 50.0
    nowhere = customer(channel=None, extra={})
    assert plan(nowhere, percent=everyone_out).reason == "no_channel"
    messenger = customer(channel="facebook", last_message_at=u(2026, 11, 24, 13))
    assert plan(messenger).reason == "channel_window", "25 hours since they last wrote"
    assert plan(customer(channel="facebook", last_message_at=u(2026, 11, 25, 13))).outcome == SEND
    late = u(2026, 11, 25, 20, 30)  # 21:30 in Paris: it would go at 09:00 tomorrow, too late
    written = customer(channel="facebook", last_message_at=u(2026, 11, 25, 7))
    assert plan(written, now=late).reason == "channel_window"
    assert plan(nowhere, marketing=True, sent=0).reason == "no_channel"
    assert plan(customer(opted_in=False, channel=None)).reason == "no_consent"


def test_the_hold_out_is_stable_and_close_to_its_share() -> None:
    ids = [f"customer-{n}" for n in range(10_000)]
    out = [i for i in ids if held_out("camp-1", i, 10)]
    assert 900 <= len(out) <= 1100
    assert out == [i for i in ids if held_out("camp-1", i, 10)]
    assert set(out) != {i for i in ids if held_out("camp-2", i, 10)}
    assert plan(customer(id=out[0]), percent=10).outcome == HOLD_OUT


@pytest.mark.parametrize(
    ("now", "zone", "expected"),
    [  # 14:00 UTC is 15:00 in Paris: now
     (u(2026, 11, 25, 14), "Europe/Paris", u(2026, 11, 25, 14)),
     # 22:30 in Paris: wait for 09:00 Paris the next day (08:00 UTC in winter)
     (u(2026, 11, 25, 21, 30), "Europe/Paris", u(2026, 11, 26, 8)),
     # 05:00 in Paris: 09:00 the same day
     (u(2026, 11, 25, 4), "Europe/Paris", u(2026, 11, 25, 8)),
     # 14:00 UTC is 09:00 in New York: just allowed
     (u(2026, 11, 25, 14), "America/New_York", u(2026, 11, 25, 14)),
     # the night summer time starts in Paris (29 March 2026): 09:00 is 07:00 UTC
     (u(2026, 3, 28, 23), "Europe/Paris", u(2026, 3, 29, 7)),
     # the night it ends (25 October 2026): 09:00 is 08:00 UTC again
     (u(2026, 10, 24, 23), "Europe/Paris", u(2026, 10, 25, 8))],
)  # fmt: skip
def test_quiet_hours_follow_the_customer_time_zone(now, zone, expected) -> None:
    assert next_send_time(now, zone_of(zone, "UTC"), QuietHours()) == expected


def test_the_usual_active_hour_is_preferred_when_allowed() -> None:
    now = datetime(2026, 11, 25, 9, tzinfo=UTC)  # 10:00 in Paris
    assert next_send_time(now, PARIS, QuietHours(), active_hour=18) == datetime(
        2026, 11, 25, 17, tzinfo=UTC
    )
    # an active hour inside quiet hours is not used
    assert next_send_time(now, PARIS, QuietHours(), active_hour=23) == now


def test_a_quiet_window_that_does_not_span_midnight() -> None:
    lunch = QuietHours(start=time(12), end=time(14))
    now = datetime(2026, 6, 1, 10, 30, tzinfo=UTC)  # 12:30 in Paris (summer)
    assert next_send_time(now, PARIS, lunch) == datetime(2026, 6, 1, 12, tzinfo=UTC)
    assert plan(customer(), now=now).outcome == SEND


def campaign_body(**changes):  # type: ignore[no-untyped-def]
    body = {
        "name": "Come back", "class": "marketing",
        "messages": {"fr": "Bonjour {{ first_name }} !", "en": "Hello {{ first_name }}!"},
        "schedule": {"cron": "0 10 * * 1"},
        "audience": {"all": [{"field": "days_since_purchase", "op": "gte", "value": 30}]},
    }  # fmt: skip
    return {**body, **changes}


def test_a_campaign_is_checked_field_by_field() -> None:
    spec = parse_campaign(campaign_body(), ("welcome_back_5",))
    assert spec.marketing and spec.holdout_percent == 10 and spec.schedule.cron == "0 10 * * 1"
    assert parse_campaign(spec.as_json(), ("welcome_back_5",)) == spec
    for changes, field in [
        ({"class": "spam"}, "class"), ({"messages": {"fr": "x"}}, "messages"),
        ({"messages": {"fr": "{{ nope }}", "en": "x"}}, "messages.fr"),
        ({"schedule": {"cron": "every monday"}}, "schedule.cron"),
        ({"schedule": {"once": "2026-12-01T10:00"}}, "schedule.once"),
        ({"schedule": {"after_event": "birthday", "after_hours": 2}}, "schedule.after_event"),
        ({"holdout_percent": 80}, "holdout_percent"), ({"coupon": "free_car"}, "coupon"),
        ({"colour": "red"}, "colour"),
    ]:  # fmt: skip
        with pytest.raises(InvalidField) as raised:
            parse_campaign(campaign_body(**changes), ("welcome_back_5",))
        assert raised.value.field == field, changes


def test_a_cron_schedule_runs_in_the_brand_time_zone_across_daylight_saving() -> None:
    weekly = parse_schedule({"cron": "0 10 * * 1"})  # Mondays 10:00, Paris
    assert next_run(weekly, u(2026, 3, 25, 0), "Europe/Paris") == u(2026, 3, 30, 8)  # summer
    assert next_run(weekly, u(2026, 10, 21, 0), "Europe/Paris") == u(2026, 10, 26, 9)  # winter
    once = parse_schedule({"once": "2026-12-01T10:00:00+01:00"})
    assert next_run(once, u(2026, 11, 25, 0), "Europe/Paris") == u(2026, 12, 1, 9)
    assert next_run(once, u(2026, 12, 2, 0), "Europe/Paris") is None


def test_cron_weekdays_are_numbered_as_in_cron_sunday_zero() -> None:
    sundays = parse_schedule({"cron": "30 9 * * 0"})
    assert next_run(sundays, u(2026, 11, 25, 0), "UTC") == u(2026, 11, 29, 9, 30)
    weekdays = parse_schedule({"cron": "0 */4 * * 1-5"})
    assert next_run(weekdays, u(2026, 11, 28, 0), "UTC") == u(2026, 11, 30, 0)


def test_a_campaign_is_judged_only_once_enough_customers_were_nudged() -> None:
    from engagement.nudges.results import Group, Outcome

    assert Outcome(Group(49, 0), Group(49, 0), opted_out=10).pause_reason() is None
    assert Outcome(Group(100, 10), Group(60, 5), opted_out=6).pause_reason() == (
        "opt-out rate 6% is above 5%"
    )
    assert Outcome(Group(100, 5), Group(60, 12), opted_out=0).pause_reason() == (
        "uplift -15% is below -5%"
    )
    assert Outcome(Group(100, 5), Group(20, 12), opted_out=0).pause_reason() is None
