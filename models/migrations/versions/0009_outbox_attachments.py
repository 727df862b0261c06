"""Files an email carries: ``outboxmessage.attachments``.

A JSON list of ``{"path": …, "name": …}`` (the path relative to ``Settings.output_dir``, the
name the recipient sees), NULL for a message without files (every existing row, and every
message but the call). The mailer reads the files when it builds the message.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outboxmessage") as batch_op:
        batch_op.add_column(
            sa.Column("attachments", sa.JSON(none_as_null=True), nullable=True),
        )


def downgrade() -> None:
    with op.batch_alter_table("outboxmessage") as batch_op:
        batch_op.drop_column("attachments")
