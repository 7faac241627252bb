"""channel identities, personal codes, referrals, leaderboard names, handoffs, erasures

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_aliases",
        sa.Column("sender_id", sa.String(128), primary_key=True),
        sa.Column("customer_id", sa.String(128), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("channel", sa.String(32), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_customer_aliases_customer", "customer_aliases", ["customer_id"])
    op.create_table(
        "link_codes",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("customer_id", sa.String(128), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "link_attempts",
        sa.Column("sender_id", sa.String(128), primary_key=True),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
    )
    op.create_table(
        "personal_codes",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("customer_id", sa.String(128), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("visits", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("customer_id", "kind", name="uq_personal_code_customer_kind"),
    )
    op.create_table(
        "referrals",
        sa.Column("friend_id", sa.String(128), primary_key=True),
        sa.Column("referrer_id", sa.String(128), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("purchase_event_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_referrals_referrer", "referrals", ["referrer_id"])
    op.add_column("customers", sa.Column("leaderboard_name", sa.String(40), nullable=True))
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(32), nullable=True),
        sa.Column("language", sa.String(2), nullable=True),
        sa.Column("recent_messages", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(64), nullable=True),
    )
    op.create_index("ix_handoffs_status", "handoffs", ["status"])
    op.create_table(
        "erasures",
        sa.Column("sender_id", sa.String(128), primary_key=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("erasures")
    op.drop_index("ix_handoffs_status", "handoffs")
    op.drop_table("handoffs")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("leaderboard_name")
    op.drop_index("ix_referrals_referrer", "referrals")
    op.drop_table("referrals")
    op.drop_table("personal_codes")
    op.drop_table("link_attempts")
    op.drop_table("link_codes")
    op.drop_index("ix_customer_aliases_customer", "customer_aliases")
    op.drop_table("customer_aliases")
