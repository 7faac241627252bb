"""events by type and arrival: what after_event campaigns scan at every tick

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_type_received", "events", ["type", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_events_type_received", "events")
