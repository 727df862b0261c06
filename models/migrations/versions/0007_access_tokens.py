"""Link tokens stored only as hashes.

* ``accesstoken``: one row per link token, by its SHA-256 (``token_hash``, unique), what it opens
  (``purpose`` "unit", ``campaign_unit_id``), when it was made, revoked and last used.
* Every plain ``campaignunit.submission_token`` becomes a hashed row, so the links already
  emailed keep working, and the plain column is dropped.
* ``outboxmessage.link_part_id``: the campaign unit whose link an email carries; its bodies hold
  a placeholder and delivery mints the token into the outgoing copy only. Emails already in the
  outbox (sent or pending) have their plain token replaced by that placeholder: a pending one
  gets a fresh link when it goes, a sent one keeps a redacted copy.

Downgrade cannot bring the old tokens back (only their hashes exist): it gives every unit a new
plain token, so links emailed before the downgrade stop working.

Revision ID: 0007
Revises: 0006
"""

import hashlib
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import models.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# models.access.LINK_PLACEHOLDER as of this revision (a migration must not follow later edits).
PLACEHOLDER = "LIEN-KET-RIENG-DUOC-TAO-KHI-GUI"

_REDACT = sa.text(
    "UPDATE outboxmessage SET "
    "link_part_id = CASE WHEN REPLACE(text_body, :token, :placeholder) <> text_body "
    "OR REPLACE(html_body, :token, :placeholder) <> html_body "
    "THEN :part ELSE link_part_id END, "
    "text_body = REPLACE(text_body, :token, :placeholder), "
    "html_body = REPLACE(html_body, :token, :placeholder) "
    "WHERE campaign_id = :campaign AND unit_id = :unit"
)


def upgrade() -> None:
    bind = op.get_bind()
    old_parts = sa.table(
        "campaignunit",
        sa.column("id", sa.Integer),
        sa.column("campaign_id", sa.Integer),
        sa.column("unit_id", sa.Integer),
        sa.column("submission_token", sa.String),
        sa.column("called_at", models.db.AwareDateTime(timezone=True)),
    )
    parts = bind.execute(sa.select(*old_parts.c)).all()
    # The column goes first: on SQLite dropping it rebuilds campaignunit, which must not yet be
    # referenced by the new tables (the rebuild drops the old table).
    with op.batch_alter_table("campaignunit") as batch:
        batch.drop_column("submission_token")
    op.create_table(
        "accesstoken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("campaign_unit_id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", models.db.AwareDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", models.db.AwareDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["campaign_unit_id"], ["campaignunit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_accesstoken_campaign_unit_id", "accesstoken", ["campaign_unit_id"])
    with op.batch_alter_table("outboxmessage") as batch:
        batch.add_column(sa.Column("link_part_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_outboxmessage_link_part_id", "campaignunit", ["link_part_id"], ["id"]
        )
    if not parts:
        return
    table = sa.table(
        "accesstoken",
        sa.column("token_hash", sa.String),
        sa.column("purpose", sa.String),
        sa.column("campaign_unit_id", sa.Integer),
        sa.column("created_at", models.db.AwareDateTime(timezone=True)),
    )
    migrated = datetime.now(UTC)
    bind.execute(
        sa.insert(table),
        [
            {
                "token_hash": hashlib.sha256(token.encode()).hexdigest(),
                "purpose": "unit",
                "campaign_unit_id": part_id,
                # The link dates from the call when there was one.
                "created_at": called_at or migrated,
            }
            for part_id, _campaign, _unit, token, called_at in parts
        ],
    )
    bind.execute(
        _REDACT,
        [
            {
                "token": token,
                "placeholder": PLACEHOLDER,
                "part": part_id,
                "campaign": campaign_id,
                "unit": unit_id,
            }
            for part_id, campaign_id, unit_id, token, _called in parts
        ],
    )


def downgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("outboxmessage") as batch:
        batch.drop_constraint("fk_outboxmessage_link_part_id", type_="foreignkey")
    parts = bind.execute(sa.text("SELECT id FROM campaignunit")).scalars().all()
    tokens = {part_id: secrets.token_urlsafe(16) for part_id in parts}
    # Queued emails carry the placeholder: the old code would send it as it stands.
    bind.execute(
        sa.text(
            "UPDATE outboxmessage SET text_body = REPLACE(text_body, :placeholder, :token), "
            "html_body = REPLACE(html_body, :placeholder, :token) WHERE link_part_id = :part"
        ),
        [{"placeholder": PLACEHOLDER, "token": t, "part": p} for p, t in tokens.items()]
        or [{"placeholder": PLACEHOLDER, "token": PLACEHOLDER, "part": -1}],
    )
    with op.batch_alter_table("outboxmessage") as batch:
        batch.drop_column("link_part_id")
    op.drop_index("ix_accesstoken_campaign_unit_id", table_name="accesstoken")
    op.drop_table("accesstoken")
    with op.batch_alter_table("campaignunit") as batch:
        batch.add_column(sa.Column("submission_token", sa.String(length=64), nullable=True))
    if tokens:
        bind.execute(
            sa.text("UPDATE campaignunit SET submission_token = :token WHERE id = :part"),
            [{"token": t, "part": p} for p, t in tokens.items()],
        )
    with op.batch_alter_table("campaignunit") as batch:
        batch.alter_column("submission_token", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint("uq_campaignunit_submission_token", ["submission_token"])
