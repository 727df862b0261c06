"""The commendation conference: its hall, invitees and their answers, invitation tokens.

* ``ceremony``: one row per campaign — venue, opening time, the hall's capacity, RSVP cut-off.
* ``invitee``: one person invited once per campaign (unique ``person_key``): category, who they
  are, where they stand (invited, attending, deputy, declined, waiting), who comes.
* ``invitetoken``: the invitees' link tokens, by SHA-256 only (like ``tasktoken``).
* ``outboxmessage.link_invitee_id``: the invitee whose link an email carries; delivery mints the
  token into the outgoing copy only.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    moment = models.db.AwareDateTime(timezone=True)
    op.create_table(
        "ceremony",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("venue", sa.String(length=255), nullable=False),
        sa.Column("starts_at", moment, nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("rsvp_cutoff_on", sa.Date(), nullable=False),
        sa.Column("created_at", moment, nullable=False),
        sa.Column("updated_at", moment, nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id"),
    )
    op.create_table(
        "invitee",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("person_key", sa.String(length=320), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=255), nullable=False),
        sa.Column("position", sa.String(length=255), nullable=False),
        sa.Column("organisation", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("honours", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attendee_name", sa.String(length=255), nullable=True),
        sa.Column("attendee_position", sa.String(length=255), nullable=True),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.Column("answered_at", moment, nullable=True),
        sa.Column("invited_at", moment, nullable=True),
        sa.Column("last_nudge_tier", sa.Integer(), nullable=False),
        sa.Column("created_at", moment, nullable=False),
        sa.Column("updated_at", moment, nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "person_key", name="uq_invitee_person"),
    )
    op.create_index("ix_invitee_campaign_id", "invitee", ["campaign_id"])
    op.create_table(
        "invitetoken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invitee_id", sa.Integer(), nullable=False),
        sa.Column("created_at", moment, nullable=False),
        sa.Column("revoked_at", moment, nullable=True),
        sa.Column("last_used_at", moment, nullable=True),
        sa.ForeignKeyConstraint(["invitee_id"], ["invitee.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_invitetoken_invitee_id", "invitetoken", ["invitee_id"])
    with op.batch_alter_table("outboxmessage") as batch:
        batch.add_column(sa.Column("link_invitee_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_outboxmessage_link_invitee_id", "invitee", ["link_invitee_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("outboxmessage") as batch:
        batch.drop_constraint("fk_outboxmessage_link_invitee_id", type_="foreignkey")
        batch.drop_column("link_invitee_id")
    op.drop_index("ix_invitetoken_invitee_id", table_name="invitetoken")
    op.drop_table("invitetoken")
    op.drop_index("ix_invitee_campaign_id", table_name="invitee")
    op.drop_table("invitee")
    op.drop_table("ceremony")
