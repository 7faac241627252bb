"""The schema, as SQLAlchemy Core tables. Alembic migrations create it; keep both in step."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import sqlalchemy as sa


class Money(sa.types.TypeDecorator[Decimal]):
    """An amount kept as whole cents, so SQLite and PostgreSQL agree to the cent."""

    impl = sa.BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: sa.engine.Dialect) -> int | None:
        return None if value is None else int((Decimal(value) * 100).to_integral_value())

    def process_result_value(self, value: int | None, dialect: sa.engine.Dialect) -> Decimal | None:
        return None if value is None else Decimal(value).scaleb(-2)


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A moment stored in UTC and read back aware: SQLite keeps no offset, so without this
    10:00+01:00 and 10:00Z would be stored alike."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: datetime | None, dialect: sa.engine.Dialect
    ) -> datetime | None:
        if value is None:
            return None
        aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return aware.astimezone(timezone.utc)

    def process_result_value(
        self, value: datetime | None, dialect: sa.engine.Dialect
    ) -> datetime | None:
        if value is None:
            return None
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


metadata = sa.MetaData()

# A column that keeps a customer's id is named customer_id, a conversation's (Rasa's sender
# id) sender_id; under any other name it says so with info={"personal": "customer"} (or
# "conversation"): erasure and export find them all (engagement/storage/personal.py).
customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True, info={"personal": "customer"}),
    sa.Column("name", sa.String(200), nullable=True),
    sa.Column("language", sa.String(2), nullable=True),
    sa.Column("timezone", sa.String(64), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("privacy_notice_at", UtcDateTime(), nullable=True),
    sa.Column("stage", sa.String(16), nullable=False, server_default="need"),
    # set when the customer agreed to appear on the leaderboard, under this name
    sa.Column("leaderboard_name", sa.String(40), nullable=True),
    sa.Column("email", sa.String(254), nullable=True),  # as the shop sends it
)

# The funnel over time: every move of a customer on the ladder (README: rules).
stage_changes = sa.Table(
    "stage_changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("customer_id", sa.String(128), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("from_stage", sa.String(16), nullable=False),
    sa.Column("to_stage", sa.String(16), nullable=False),
    sa.Column("event_id", sa.String(128), nullable=True),
    sa.Column("changed_at", UtcDateTime(), nullable=False),
    sa.Index("ix_stage_changes_customer", "customer_id"),
    sa.Index("ix_stage_changes_at", "changed_at"),
)


# What the shop and the conversation tell us; one row per event id (replays change nothing).
events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("customer_id", sa.String(128), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("order_id", sa.String(128), nullable=True),
    sa.Column("payload", sa.JSON, nullable=False),
    # SHA-256 of the shop's body in canonical JSON: a known id with another body is refused
    sa.Column("body_sha256", sa.String(64), nullable=True),
    sa.Index("ix_events_customer_type", "customer_id", "type"),
    sa.Index("ix_events_occurred_at", "occurred_at"),
    sa.Index("ix_events_customer_occurred", "customer_id", "occurred_at"),  # latest activity
    # what after_event campaigns scan at every tick (the events received since the last)
    sa.Index("ix_events_type_received", "type", "received_at"),
)

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("customer_id", sa.String(128), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("total", Money(), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("placed_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_orders_customer", "customer_id"),
)

order_items = sa.Table(
    "order_items",
    metadata,
    sa.Column("order_id", sa.String(128), sa.ForeignKey("orders.id"), primary_key=True),
    sa.Column("line", sa.Integer, primary_key=True),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("price", Money(), nullable=False),
    sa.Index("ix_order_items_sku", "sku"),
)

# Append-only: reversals are new entries pointing at the one they compensate.
ledger_entries = sa.Table(
    "ledger_entries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("customer_id", sa.String(128), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("event_id", sa.String(128), nullable=False),
    sa.Column("rule_id", sa.String(64), nullable=False),
    sa.Column("reverses_entry_id", sa.Integer, sa.ForeignKey("ledger_entries.id"), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("event_id", "rule_id", "kind", name="uq_ledger_event_rule_kind"),
    sa.Index("ix_ledger_customer", "customer_id"),
)

customer_badges = sa.Table(
    "customer_badges",
    metadata,
    sa.Column("customer_id", sa.String(128), sa.ForeignKey("customers.id"), primary_key=True),
    sa.Column("badge_id", sa.String(64), primary_key=True),
    sa.Column("event_id", sa.String(128), nullable=False),
    sa.Column("rule_id", sa.String(64), nullable=False),
    sa.Column("earned_at", UtcDateTime(), nullable=False),
)

coupons = sa.Table(
    "coupons",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("customer_id", sa.String(128), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("template_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("value", Money(), nullable=False),
    sa.Column("min_basket", Money(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Column("redeemed_at", UtcDateTime(), nullable=True),
    sa.Column("redeemed_order_id", sa.String(128), nullable=True),
    sa.Column("event_id", sa.String(128), nullable=False),
    sa.Column("rule_id", sa.String(64), nullable=False),
    sa.UniqueConstraint("event_id", "rule_id", name="uq_coupon_event_rule"),
    sa.Index("ix_coupons_customer", "customer_id"),
)

# What moved a customer's fusion score, and when (the score itself is derived, §3).
fusion_entries = sa.Table(
    "fusion_entries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("customer_id", sa.String(128), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("event_id", sa.String(128), nullable=False),
    sa.Column("event_type", sa.String(32), nullable=False),
    sa.Column("rule_id", sa.String(64), nullable=False),
    sa.Column("delta", sa.Integer, nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("event_id", "rule_id", name="uq_fusion_event_rule"),
    sa.Index("ix_fusion_customer", "customer_id"),
)

# Why a balance is what it is: one row per (event, rule), awarded or the reason why not.
decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(128), nullable=False),
    sa.Column("rule_id", sa.String(64), nullable=False),
    sa.Column("customer_id", sa.String(128), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(300), nullable=False),
    sa.Column("rules_version", sa.Integer, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("event_id", "rule_id", name="uq_decision_event_rule"),
    sa.Index("ix_decisions_customer", "customer_id"),
)

# How many awards a rule gave a customer in a period (the `limit` of a rule).
rule_usage = sa.Table(
    "rule_usage",
    metadata,
    sa.Column("customer_id", sa.String(128), primary_key=True),
    sa.Column("rule_id", sa.String(64), primary_key=True),
    sa.Column("period_key", sa.String(16), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
)

# A rule's budget for a period, split in shards so concurrent awards do not all update
# one hot row; an award takes from one shard with a conditional update, never below zero.
budget_shards = sa.Table(
    "budget_shards",
    metadata,
    sa.Column("rule_id", sa.String(64), primary_key=True),
    sa.Column("period_key", sa.String(16), primary_key=True),
    sa.Column("shard", sa.Integer, primary_key=True),
    sa.Column("points_left", sa.Integer, nullable=True),
    sa.Column("coupons_left", sa.Integer, nullable=True),
)

rules_versions = sa.Table(
    "rules_versions",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("checksum", sa.String(64), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("published_at", UtcDateTime(), nullable=False),
    sa.Column("published_by", sa.String(64), nullable=False),
    # a rollback: the version whose content this one published again (None: a publish)
    sa.Column("restored_version", sa.Integer, sa.ForeignKey("rules_versions.version")),
)

# What customers give back (README: rules): reviews, ideas, shares, survey answers, with their
# moderation status; the rewards follow the status through events.
contributions = sa.Table(
    "contributions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("customer_id", sa.String(128), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("order_id", sa.String(128), nullable=True),
    sa.Column("sku", sa.String(128), nullable=True),
    sa.Column("rating", sa.SmallInteger, nullable=True),
    sa.Column("title", sa.String(200), nullable=True),
    sa.Column("body", sa.Text, nullable=True),
    sa.Column("language", sa.String(2), nullable=True),
    sa.Column("channel", sa.String(32), nullable=True),
    sa.Column("votes", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("moderated_at", UtcDateTime(), nullable=True),
    sa.Column("moderated_by", sa.String(64), nullable=True),
    sa.Column("moderation_note", sa.String(500), nullable=True),
    sa.Index("ix_contributions_status", "kind", "status"),
    sa.Index("ix_contributions_customer", "customer_id"),
)

idea_votes = sa.Table(
    "idea_votes",
    metadata,
    sa.Column("idea_id", sa.String(64), sa.ForeignKey("contributions.id"), primary_key=True),
    sa.Column("customer_id", sa.String(128), sa.ForeignKey("customers.id"), primary_key=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)


# Other channels' conversation ids that speak for a customer (README: assistant): one balance.
customer_aliases = sa.Table(
    "customer_aliases",
    metadata,
    sa.Column("sender_id", sa.String(128), primary_key=True),
    sa.Column("customer_id", sa.String(128), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("channel", sa.String(32), nullable=True),
    sa.Column("linked_at", UtcDateTime(), nullable=False),
    sa.Index("ix_customer_aliases_customer", "customer_id"),
)

# One-time codes shown on the web channel to link another channel's conversation.
link_codes = sa.Table(
    "link_codes",
    metadata,
    sa.Column("code", sa.String(16), primary_key=True),
    sa.Column("customer_id", sa.String(128), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Column("used_at", UtcDateTime(), nullable=True),
)

# Wrong link codes per conversation and window, so six digits cannot be guessed.
link_attempts = sa.Table(
    "link_attempts",
    metadata,
    sa.Column("sender_id", sa.String(128), primary_key=True),
    sa.Column("window_start", UtcDateTime(), nullable=False),
    sa.Column("failures", sa.Integer, nullable=False),
)

# A customer's referral code and share link token, and how often their link was opened.
personal_codes = sa.Table(
    "personal_codes",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("customer_id", sa.String(128), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("visits", sa.Integer, nullable=False, server_default="0"),
    sa.UniqueConstraint("customer_id", "kind", name="uq_personal_code_customer_kind"),
)

# A friend is referred once; refused referrals keep their reason (fraud checks, §4).
referrals = sa.Table(
    "referrals",
    metadata,
    sa.Column("friend_id", sa.String(128), primary_key=True, info={"personal": "customer"}),
    sa.Column("referrer_id", sa.String(128), nullable=False, info={"personal": "customer"}),
    sa.Column("code", sa.String(32), nullable=False),
    sa.Column("purchase_event_id", sa.String(128), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index("ix_referrals_referrer", "referrer_id"),
)

# Conversations handed to a person: the bot is paused until staff hand them back.
handoffs = sa.Table(
    "handoffs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sender_id", sa.String(128), nullable=False),
    sa.Column("customer_id", sa.String(128), nullable=False),
    sa.Column("channel", sa.String(32), nullable=True),
    sa.Column("language", sa.String(2), nullable=True),
    sa.Column("recent_messages", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("requested_at", UtcDateTime(), nullable=False),
    sa.Column("closed_at", UtcDateTime(), nullable=True),
    sa.Column("closed_by", sa.String(64), nullable=True),
    sa.Index("ix_handoffs_status", "status"),
)

# Conversations whose tracker is still to be erased (the turn that asked is saved first).
erasures = sa.Table(
    "erasures",
    metadata,
    sa.Column("sender_id", sa.String(128), primary_key=True),
    sa.Column("requested_at", UtcDateTime(), nullable=False),
)

# Nudge campaigns (README: campaigns): the marketer's spec, its runs, one delivery per (run,
# customer) whatever happens to it (sent, skipped with its reason, held out).
campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("spec", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("next_run_at", UtcDateTime(), nullable=True),
    sa.Column("status_reason", sa.String(200), nullable=True),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    # what the campaign handed out, counted under its budget with conditional updates
    sa.Column("coupons_issued", sa.Integer, nullable=False, server_default="0"),
    sa.Column("points_issued", sa.Integer, nullable=False, server_default="0"),
    sa.Index("ix_campaigns_due", "status", "next_run_at"),
)

campaign_runs = sa.Table(
    "campaign_runs",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("campaign_id", sa.String(64), sa.ForeignKey("campaigns.id"), nullable=False),
    sa.Column("planned_for", UtcDateTime(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("customers", sa.Integer, nullable=False, server_default="0"),
    sa.UniqueConstraint("campaign_id", "planned_for", name="uq_campaign_run"),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64), sa.ForeignKey("campaign_runs.id"), nullable=False),
    sa.Column("campaign_id", sa.String(64), nullable=False),
    sa.Column("customer_id", sa.String(128), nullable=False),
    sa.Column("sender_id", sa.String(128), nullable=True),
    sa.Column("channel", sa.String(32), nullable=True),
    sa.Column("language", sa.String(2), nullable=False),
    sa.Column("marketing", sa.Boolean, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(64), nullable=False),
    sa.Column("send_at", UtcDateTime(), nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("lease_until", UtcDateTime(), nullable=True),
    sa.Column("sent_at", UtcDateTime(), nullable=True),
    sa.Column("message", sa.Text, nullable=True),
    sa.Column("coupon_code", sa.String(32), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("answered_at", UtcDateTime(), nullable=True),  # the customer wrote back
    sa.Column("points", sa.Integer, nullable=False, server_default="0"),
    sa.Column("claim", sa.String(32), nullable=True),  # which dispatch holds the lease
    sa.UniqueConstraint("run_id", "customer_id", name="uq_delivery_run_customer"),
    sa.Index("ix_deliveries_due", "status", "send_at"),
    sa.Index("ix_deliveries_customer", "customer_id", "sent_at"),
    sa.Index("ix_deliveries_sender", "sender_id", "sent_at"),
)

# How many messages each customer wrote in each hour of the day (UTC): their usual
# active hour, once there are enough of them.
customer_activity = sa.Table(
    "customer_activity",
    metadata,
    sa.Column("customer_id", sa.String(128), primary_key=True),
    sa.Column("hour", sa.Integer, primary_key=True),
    sa.Column("messages", sa.Integer, nullable=False),
)

# Which channel each conversation last wrote from: nudges name it, never "latest".
conversation_channels = sa.Table(
    "conversation_channels",
    metadata,
    sa.Column("sender_id", sa.String(128), primary_key=True),
    sa.Column("customer_id", sa.String(128), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("last_seen_at", UtcDateTime(), nullable=False),
    sa.Index("ix_conversation_channels_customer", "customer_id"),
)

# Who did what in the console and the admin API (README: console): rules published or rolled
# back, campaigns created, scheduled or paused, contributions moderated, customers erased.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(200), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Index("ix_audit_log_at", "at"),
)

# The shop's signatures already accepted (``Fusion-Signature``'s v1), kept until their t is
# past the tolerance window: a captured request is refused by every engagement service.
shop_signatures = sa.Table(
    "shop_signatures",
    metadata,
    sa.Column("v1", sa.String(64), primary_key=True),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Index("ix_shop_signatures_expires_at", "expires_at"),
)
