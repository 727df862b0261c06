"""The council's secret e-ballot.

* ``councilmember``: ``position`` and ``unit_code`` (a member is recused on their unit's
  dossiers); ``councilrole`` gains ``SECRETARY``.
* ``councilvoting``: when voting opened, closes and was closed, per campaign.
* ``ballottoken``: a member's ballot link, by the SHA-256 of its token.
* ``councilparticipation``: the participation roll (member, time, in writing).
* ``ballotsheet`` / ``ballotchoice``: the choices, with no member, no time, random keys and, on
  SQLite, no rowid (which would keep arrival order).
* ``councilrecusal``: who does not vote on which dossier, and why.
* ``outboxmessage.link_member_id``: the member whose ballot link an email carries.

Revision ID: 0011
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, models.db.AwareDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # As 0008 did for participationstatus: allowed in the migration's transaction (PostgreSQL
        # 12+) since the value is not used in it; SQLite stores the enum as plain text.
        op.execute("ALTER TYPE councilrole ADD VALUE IF NOT EXISTS 'SECRETARY'")
    with op.batch_alter_table("councilmember") as batch:
        if op.get_bind().dialect.name == "sqlite":  # the enum's text column, as long as its names
            batch.alter_column(
                "role",
                existing_type=sa.Enum("CHAIR", "MEMBER", name="councilrole"),
                type_=sa.Enum("CHAIR", "SECRETARY", "MEMBER", name="councilrole"),
            )
        batch.add_column(sa.Column("position", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("unit_code", sa.String(length=64), nullable=True))
    op.create_table(
        "councilvoting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        _time("opened_at"),
        _time("closes_at"),
        _time("closed_at", nullable=True),
        sa.Column("closed_by", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id"),
    )
    op.create_table(
        "ballottoken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        _time("created_at"),
        _time("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["councilmember.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_ballottoken_member_id", "ballottoken", ["member_id"])
    op.create_table(
        "councilparticipation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        _time("voted_at"),
        sa.Column("in_writing", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["councilmember.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "member_id"),
    )
    op.create_index(
        "ix_councilparticipation_campaign_id", "councilparticipation", ["campaign_id"]
    )
    op.create_table(
        "ballotsheet",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("receipt", sa.String(length=16), nullable=False),
        sa.Column("in_writing", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "receipt"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_ballotsheet_campaign_id", "ballotsheet", ["campaign_id"])
    op.create_table(
        "ballotchoice",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("sheet_id", sa.String(length=32), nullable=False),
        sa.Column("nomination_id", sa.Integer(), nullable=False),
        sa.Column("in_favour", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["sheet_id"], ["ballotsheet.id"]),
        sa.ForeignKeyConstraint(["nomination_id"], ["nomination.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sheet_id", "nomination_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_ballotchoice_sheet_id", "ballotchoice", ["sheet_id"])
    op.create_index("ix_ballotchoice_nomination_id", "ballotchoice", ["nomination_id"])
    op.create_table(
        "councilrecusal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("nomination_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        _time("recorded_at"),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["councilmember.id"]),
        sa.ForeignKeyConstraint(["nomination_id"], ["nomination.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("member_id", "nomination_id"),
    )
    op.create_index("ix_councilrecusal_campaign_id", "councilrecusal", ["campaign_id"])
    with op.batch_alter_table("outboxmessage") as batch:
        batch.add_column(sa.Column("link_member_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_outboxmessage_link_member_id", "councilmember", ["link_member_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("outboxmessage") as batch:
        batch.drop_constraint("fk_outboxmessage_link_member_id", type_="foreignkey")
        batch.drop_column("link_member_id")
    for table in (
        "councilrecusal",
        "ballotchoice",
        "ballotsheet",
        "councilparticipation",
        "ballottoken",
        "councilvoting",
    ):
        op.drop_table(table)
    # PostgreSQL cannot drop an enum value: secretaries become members, the value stays unused.
    op.execute("UPDATE councilmember SET role = 'MEMBER' WHERE role = 'SECRETARY'")
    with op.batch_alter_table("councilmember") as batch:
        batch.drop_column("unit_code")
        batch.drop_column("position")
