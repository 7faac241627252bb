"""shop signatures already accepted (a captured request cannot be sent again) and the hash
of each event's body (a known event id with another body is a conflict, not a replay)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shop_signatures",
        sa.Column("v1", sa.String(64), primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_shop_signatures_expires_at", "shop_signatures", ["expires_at"])
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("body_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("body_sha256")
    op.drop_index("ix_shop_signatures_expires_at", "shop_signatures")
    op.drop_table("shop_signatures")
