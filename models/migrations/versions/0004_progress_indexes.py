"""Index-only reads for the per-unit progress (tonvinh status, the units table artifact).

The two counts behind ``flows.status.campaign_status`` group one campaign's rows by unit:
nominations by (unit, status), the outbox by (unit, kind, status) — and the reminder ladder
reads the outbox's (unit, kind, tier). With the grouped columns inside the index, SQLite and
PostgreSQL answer them from the index alone instead of visiting 50,000 nomination rows and
every outbox row with its bodies (measured in BENCHMARKS.md, scenario "status").

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # (campaign_id, unit_id) becomes (campaign_id, unit_id, status): same prefix, so every
    # query the old index served is still served.
    op.drop_index("ix_nomination_campaign_unit", table_name="nomination")
    op.create_index(
        "ix_nomination_campaign_unit", "nomination", ["campaign_id", "unit_id", "status"]
    )
    op.create_index(
        "ix_outbox_campaign_unit_kind",
        "outboxmessage",
        ["campaign_id", "unit_id", "kind", "status", "tier"],
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_campaign_unit_kind", table_name="outboxmessage")
    op.drop_index("ix_nomination_campaign_unit", table_name="nomination")
    op.create_index("ix_nomination_campaign_unit", "nomination", ["campaign_id", "unit_id"])
