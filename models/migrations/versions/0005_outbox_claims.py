"""Checked outbox claims and recorded configuration faults.

* ``outboxmessage.claim_token``/``claimed_at``/``claim_expires_at``: who is sending a row and
  until when (wall clock). Delivery writes an outcome only ``WHERE id = … AND claim_token = …``,
  so a runner that lost its claim cannot overwrite the outcome of the one that took over; a
  runner renews and releases its rows by token (hence the index).
* ``mailfault``: a configuration fault (login refused, TLS failure, relay refused) that stops
  all delivery, open until ``resolved_at``; the campaign status, artifacts and
  ``tonvinh mail failed`` show the open one.

Rows claimed by the old code (``next_attempt_at`` moved a lease ahead) need nothing: they have no
token and become due when that time comes, as before.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outboxmessage") as batch_op:
        batch_op.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("claimed_at", models.db.AwareDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("claim_expires_at", models.db.AwareDateTime(timezone=True), nullable=True)
        )
    op.create_index("ix_outbox_claim_token", "outboxmessage", ["claim_token"])
    op.create_table(
        "mailfault",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(), nullable=False),
        sa.Column("server", sa.String(length=255), nullable=False),
        sa.Column("first_seen_at", models.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", models.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("probe_after", models.db.AwareDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", models.db.AwareDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mailfault_resolved_at", "mailfault", ["resolved_at"])


def downgrade() -> None:
    op.drop_index("ix_mailfault_resolved_at", table_name="mailfault")
    op.drop_table("mailfault")
    op.drop_index("ix_outbox_claim_token", table_name="outboxmessage")
    with op.batch_alter_table("outboxmessage") as batch_op:
        batch_op.drop_column("claim_expires_at")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claim_token")
