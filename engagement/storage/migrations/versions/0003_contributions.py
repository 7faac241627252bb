"""contributions and idea votes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contributions",
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
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moderated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("moderated_by", sa.String(64), nullable=True),
        sa.Column("moderation_note", sa.String(500), nullable=True),
    )
    op.create_index("ix_contributions_status", "contributions", ["kind", "status"])
    op.create_index("ix_contributions_customer", "contributions", ["customer_id"])
    op.create_table(
        "idea_votes",
        sa.Column("idea_id", sa.String(64), sa.ForeignKey("contributions.id"), primary_key=True),
        sa.Column("customer_id", sa.String(128), sa.ForeignKey("customers.id"), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("idea_votes")
    op.drop_index("ix_contributions_customer", "contributions")
    op.drop_index("ix_contributions_status", "contributions")
    op.drop_table("contributions")
