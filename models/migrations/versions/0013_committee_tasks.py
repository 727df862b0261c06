"""The organising committee's plan: tasks, their owners' link tokens, and the outbox column.

* ``committeetask``: one row per task of a campaign's plan (unique per campaign and key): what,
  which unit owns it, its contact, due (as planned and as it stands after extensions), the keys
  it depends on (JSON), what its owner answered, the last nudge tier.
* ``tasktoken``: the owners' link tokens, by SHA-256 only (like ``accesstoken``).
* ``outboxmessage.link_task_id``: the task whose owner's link an email carries; delivery mints
  the token into the outgoing copy only, as for units' links.

Revision ID: 0013
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    moment = models.db.AwareDateTime(timezone=True)
    op.create_table(
        "committeetask",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("owner_unit_id", sa.Integer(), nullable=False),
        sa.Column("contact_name", sa.String(length=255), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("due_working_days_before", sa.Integer(), nullable=True),
        sa.Column("planned_due_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("depends_on", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("done_at", moment, nullable=True),
        sa.Column("problem", sa.String(), nullable=True),
        sa.Column("extension_until", sa.Date(), nullable=True),
        sa.Column("extension_reason", sa.String(), nullable=True),
        sa.Column("last_nudge_tier", sa.Integer(), nullable=False),
        sa.Column("assigned_at", moment, nullable=True),
        sa.Column("updated_at", moment, nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["owner_unit_id"], ["unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "key", name="uq_committeetask_key"),
    )
    op.create_index("ix_committeetask_campaign_id", "committeetask", ["campaign_id"])
    op.create_table(
        "tasktoken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("committee_task_id", sa.Integer(), nullable=False),
        sa.Column("created_at", moment, nullable=False),
        sa.Column("revoked_at", moment, nullable=True),
        sa.Column("last_used_at", moment, nullable=True),
        sa.ForeignKeyConstraint(["committee_task_id"], ["committeetask.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_tasktoken_committee_task_id", "tasktoken", ["committee_task_id"])
    with op.batch_alter_table("outboxmessage") as batch:
        batch.add_column(sa.Column("link_task_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_outboxmessage_link_task_id", "committeetask", ["link_task_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("outboxmessage") as batch:
        batch.drop_constraint("fk_outboxmessage_link_task_id", type_="foreignkey")
        batch.drop_column("link_task_id")
    op.drop_index("ix_tasktoken_committee_task_id", table_name="tasktoken")
    op.drop_table("tasktoken")
    op.drop_index("ix_committeetask_campaign_id", table_name="committeetask")
    op.drop_table("committeetask")
