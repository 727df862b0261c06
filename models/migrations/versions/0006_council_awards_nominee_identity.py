"""A council result per (nomination, award); one live dossier per nominee and unit; each unit's
language.

* ``councilresult`` gains ``award_code``: a nomination proposing both a title and a form of
  commendation is tallied on both, each at its own threshold, so it has a result for each. The
  unique constraint moves from ``nomination_id`` to ``(nomination_id, award_code)``. The old
  constraint has no name to drop portably, so the table is rebuilt; existing rows take the
  award the old tally judged (the title, else the form).
* ``nomination`` gets a partial unique index on ``(campaign_id, unit_id, nominee_key)`` over the
  dossiers a unit still stands behind (not withdrawn): two uploads of one list at the same moment
  can never both insert the same nominee, whatever the application does.
* ``unit.lang``: the language every email to the unit is written in (Vietnamese unless set),
  whichever process sends it.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RESULT_COLUMNS = (
    "id, campaign_id, nomination_id, votes_in_favour, members_total, threshold, "
    "above_threshold, selected, rank, note"
)


def _result_table(name: str, *, with_award: bool) -> None:
    columns = [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("nomination_id", sa.Integer(), nullable=False),
        sa.Column("votes_in_favour", sa.Integer(), nullable=False),
        sa.Column("members_total", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("above_threshold", sa.Boolean(), nullable=False),
        sa.Column("selected", sa.Boolean(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["nomination_id"], ["nomination.id"]),
        sa.PrimaryKeyConstraint("id"),
    ]
    if with_award:
        columns.insert(3, sa.Column("award_code", sa.String(length=32), nullable=False))
        columns.append(sa.UniqueConstraint("nomination_id", "award_code"))
    else:
        columns.append(sa.UniqueConstraint("nomination_id"))
    op.create_table(name, *columns)


def _swap(new: str) -> None:
    op.drop_index("ix_councilresult_campaign_id", table_name="councilresult")
    op.drop_table("councilresult")
    op.rename_table(new, "councilresult")
    op.create_index("ix_councilresult_campaign_id", "councilresult", ["campaign_id"])


def upgrade() -> None:
    _result_table("councilresult_new", with_award=True)
    op.execute(
        f"INSERT INTO councilresult_new ({_RESULT_COLUMNS}, award_code) "
        f"SELECT r.{_RESULT_COLUMNS.replace(', ', ', r.')}, "
        "COALESCE(n.proposed_title, n.proposed_form, '') "
        "FROM councilresult r JOIN nomination n ON n.id = r.nomination_id"
    )
    _swap("councilresult_new")
    op.create_index(
        "ux_nomination_live_nominee",
        "nomination",
        ["campaign_id", "unit_id", "nominee_key"],
        unique=True,
        sqlite_where=sa.text("status != 'WITHDRAWN'"),
        postgresql_where=sa.text("status != 'WITHDRAWN'"),
    )
    language = sa.Enum("VI", "EN", name="language")
    language.create(op.get_bind(), checkfirst=True)  # PostgreSQL's type; a no-op on SQLite
    with op.batch_alter_table("unit") as batch:
        batch.add_column(
            sa.Column(
                "lang",
                language,
                nullable=False,
                server_default="VI",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("unit") as batch:
        batch.drop_column("lang")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TYPE language")
    op.drop_index("ux_nomination_live_nominee", table_name="nomination")
    _result_table("councilresult_old", with_award=False)
    # One row per nomination survives: the title's result, else the form's.
    op.execute(
        f"INSERT INTO councilresult_old ({_RESULT_COLUMNS}) "
        f"SELECT r.{_RESULT_COLUMNS.replace(', ', ', r.')} FROM councilresult r "
        "JOIN nomination n ON n.id = r.nomination_id "
        "WHERE r.award_code = COALESCE(n.proposed_title, n.proposed_form, '')"
    )
    _swap("councilresult_old")
