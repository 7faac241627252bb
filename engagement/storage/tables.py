"""The schema, as SQLAlchemy Core tables. Alembic migrations create it; keep both in step."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("name", sa.String(200), nullable=True),
    sa.Column("language", sa.String(2), nullable=True),
    sa.Column("timezone", sa.String(64), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("privacy_notice_at", sa.DateTime(timezone=True), nullable=True),
)
