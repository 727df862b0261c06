"""The unit portal: nil returns and dossiers' attachments.

* ``campaignunit.nil_return_at`` / ``nil_return_by``: a unit's answer "no nominations this year"
  and the name of who confirmed it; ``participationstatus`` gains ``NIL_RETURN``.
* ``dossierfile``: a dossier's supporting documents, stored under ``var/attachments/`` by their
  SHA-256; one row per (dossier, kind, content).

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # PostgreSQL 12+ allows this inside the migration's transaction (the value is not used
        # in it); SQLite stores the enum as plain text.
        op.execute("ALTER TYPE participationstatus ADD VALUE IF NOT EXISTS 'NIL_RETURN'")
    with op.batch_alter_table("campaignunit") as batch:
        batch.add_column(
            sa.Column("nil_return_at", models.db.AwareDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("nil_return_by", sa.String(length=255), nullable=True))
    op.create_table(
        "dossierfile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("nomination_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=128), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", models.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.ForeignKeyConstraint(["nomination_id"], ["nomination.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("nomination_id", "kind", "sha256"),
    )
    op.create_index("ix_dossierfile_campaign_id", "dossierfile", ["campaign_id"])
    op.create_index("ix_dossierfile_nomination_id", "dossierfile", ["nomination_id"])


def downgrade() -> None:
    op.drop_index("ix_dossierfile_nomination_id", table_name="dossierfile")
    op.drop_index("ix_dossierfile_campaign_id", table_name="dossierfile")
    op.drop_table("dossierfile")
    # A nil return becomes "called" again (the value stays in PostgreSQL's type: harmless).
    op.execute("UPDATE campaignunit SET status = 'CALLED' WHERE status = 'NIL_RETURN'")
    with op.batch_alter_table("campaignunit") as batch:
        batch.drop_column("nil_return_by")
        batch.drop_column("nil_return_at")
