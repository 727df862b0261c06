"""The audit log is append-only: refuse UPDATE and DELETE at the database.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "auditevent is append-only"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER auditevent_no_{verb.lower()} BEFORE {verb} ON auditevent "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION auditevent_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$"
    )
    op.execute(
        "CREATE TRIGGER auditevent_no_change BEFORE UPDATE OR DELETE ON auditevent "
        "FOR EACH ROW EXECUTE FUNCTION auditevent_append_only()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER auditevent_no_update")
        op.execute("DROP TRIGGER auditevent_no_delete")
        return
    op.execute("DROP TRIGGER auditevent_no_change ON auditevent")
    op.execute("DROP FUNCTION auditevent_append_only()")
