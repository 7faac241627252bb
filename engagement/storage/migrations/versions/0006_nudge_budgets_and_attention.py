"""campaign budgets (coupons and points handed out), answered deliveries, the claim that
holds a delivery, the hours customers write at

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(
            sa.Column("coupons_issued", sa.Integer, nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("points_issued", sa.Integer, nullable=False, server_default="0"))
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("points", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("claim", sa.String(32), nullable=True))
    op.create_index("ix_deliveries_sender", "deliveries", ["sender_id", "sent_at"])
    op.create_table(
        "customer_activity",
        sa.Column("customer_id", sa.String(128), primary_key=True),
        sa.Column("hour", sa.Integer, primary_key=True),
        sa.Column("messages", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("customer_activity")
    op.drop_index("ix_deliveries_sender", "deliveries")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("claim")
        batch.drop_column("points")
        batch.drop_column("answered_at")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("points_issued")
        batch.drop_column("coupons_issued")
