"""a rules version made by a rollback names the version it published again (the console's
history marks rollbacks); past rollbacks are read back from the audit log

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rules_versions") as batch:
        batch.add_column(sa.Column("restored_version", sa.Integer, nullable=True))
        batch.create_foreign_key(
            "fk_rules_versions_restored_version", "rules_versions",
            ["restored_version"], ["version"],
        )  # fmt: skip
    _past_rollbacks()


def _past_rollbacks() -> None:
    """The first audit entry that names a version is what made it: when that was a rollback
    by the one the version says published it, its detail names the version restored."""
    audit = sa.table("audit_log", sa.column("id", sa.Integer), sa.column("actor", sa.String),
                     sa.column("action", sa.String), sa.column("target", sa.String),
                     sa.column("detail", sa.JSON))  # fmt: skip
    versions = sa.table("rules_versions", sa.column("version", sa.Integer),
                        sa.column("published_by", sa.String),
                        sa.column("restored_version", sa.Integer))  # fmt: skip
    bind = op.get_bind()
    first = {}
    for entry in bind.execute(
        sa.select(audit)
        .where(audit.c.action.in_(("rules.publish", "rules.rollback")))
        .order_by(audit.c.id)
    ):
        first.setdefault(entry.target, entry)
    for target, entry in first.items():
        number, restored = target.removeprefix("version "), (entry.detail or {}).get("restored")
        if entry.action != "rules.rollback" or not number.isdigit() or type(restored) is not int:
            continue
        bind.execute(
            versions.update()
            .where(
                versions.c.version == int(number),
                versions.c.published_by == entry.actor,
                versions.c.version > restored,
            )
            .values(restored_version=restored)
        )


def downgrade() -> None:
    with op.batch_alter_table("rules_versions") as batch:
        batch.drop_constraint("fk_rules_versions_restored_version", type_="foreignkey")
        batch.drop_column("restored_version")
