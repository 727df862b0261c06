"""The approving leader's page: an invitation per paused approval run and its link tokens.

* ``leaderinvite``: the leader asked to decide one paused approval run (bound to the campaign
  and the flow run id, one per run); ``used_at`` makes the link single-use.
* ``leadertoken``: the invite's link tokens, only as SHA-256 hashes, minted at delivery.

Revision ID: 0012
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "leaderinvite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("flow_run_id", sa.String(length=64), nullable=False),
        sa.Column("approver_name", sa.String(length=255), nullable=False),
        sa.Column("approver_title", sa.String(length=255), nullable=False),
        sa.Column("approver_email", sa.String(length=254), nullable=False),
        sa.Column("created_at", models.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column("used_at", models.db.AwareDateTime(timezone=True), nullable=True),
        sa.Column("used_decision", sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("flow_run_id"),
    )
    op.create_index("ix_leaderinvite_campaign_id", "leaderinvite", ["campaign_id"])
    op.create_table(
        "leadertoken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invite_id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.db.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["invite_id"], ["leaderinvite.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_leadertoken_invite_id", "leadertoken", ["invite_id"])


def downgrade() -> None:
    op.drop_index("ix_leadertoken_invite_id", table_name="leadertoken")
    op.drop_table("leadertoken")
    op.drop_index("ix_leaderinvite_campaign_id", table_name="leaderinvite")
    op.drop_table("leaderinvite")
