"""The campaign's documents in the database, and who signed the decision.

``campaigndocument`` holds every generated document's bytes (one row per campaign and file
name), so the portal's operator area can serve what a worker on another host wrote.
``campaign.decision_signer_name`` / ``decision_signer_title`` record the signature block of the
signed decision (the number and date already had columns; they are now written only at signing).

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaigndocument",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaign.id"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=128), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", models.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.db.AwareDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("campaign_id", "file_name"),
    )
    op.create_index(
        "ix_campaigndocument_campaign_id", "campaigndocument", ["campaign_id"], unique=False
    )
    with op.batch_alter_table("campaign") as batch_op:
        batch_op.add_column(sa.Column("decision_signer_name", sa.String(255), nullable=True))
        batch_op.add_column(sa.Column("decision_signer_title", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaign") as batch_op:
        batch_op.drop_column("decision_signer_title")
        batch_op.drop_column("decision_signer_name")
    op.drop_index("ix_campaigndocument_campaign_id", table_name="campaigndocument")
    op.drop_table("campaigndocument")
