"""customers' e-mail address (the shop sends it with its events; staff search by it) and an
index that finds each customer's latest event without reading the events themselves

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("email", sa.String(254), nullable=True))
    op.create_index("ix_events_customer_occurred", "events", ["customer_id", "occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_events_customer_occurred", "events")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("email")
