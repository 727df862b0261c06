"""The campaign's status as the operator reads it (``tonvinh status``, the units table): each
unit's counts are its own, summed by the database, and nothing of another unit or campaign
leaks in."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import update
from sqlmodel import select

from models.campaign import Campaign, CampaignUnit, ParticipationStatus
from models.db import session_scope
from models.nomination import Nomination, NominationStatus
from models.outbox import OutboxMessage, OutboxStatus
from models.rules.ladder import ProgressState
from models.unit import Unit
from services.intake import IntakeOutcome, receive_list
from services.nil_return import declare_nil_return
from services.status import campaign_status
from tests.documents.builders import individual
from tests.flows.conftest import CODE, at
from tests.service_layer.conftest import list_bytes, unit_codes


def _submit(tmp_path: Path, code: str, names: list[str], day: date) -> None:
    rows = [individual(name, "CSTDCS", 1) for name in names]
    with session_scope() as session:
        result = receive_list(
            session,
            CODE,
            list_bytes(tmp_path, code, rows, f"{code}.xlsx"),
            f"{code}.xlsx",
            now=at(day, 10),
            actor="test",
            unit_code=code,
        )
    assert result.outcome is IntakeOutcome.ACCEPTED


def test_each_unit_counts_its_live_and_returned_dossiers_and_its_sent_reminders(
    calling: Campaign, tmp_path: Path
) -> None:
    first, second, quiet, nil = unit_codes()
    day = calling.dispatch_on
    _submit(tmp_path, first, ["Nguyễn Thị Hương", "Trần Văn Minh", "Lê Thị Mai"], day)
    _submit(tmp_path, second, ["Đỗ Văn Nam"], day)
    with session_scope() as session:
        declare_nil_return(
            session, CODE, nil, name="Phạm Văn Bình", confirmed=True, now=at(day, 11), actor="test"
        )
    with session_scope() as session:
        ids = dict(session.exec(select(Unit.code, Unit.id)).all())
        dossiers = session.exec(
            select(Nomination).where(Nomination.unit_id == ids[first]).order_by(Nomination.id)
        ).all()
        # One returned, one withdrawn (no longer counted), one still submitted.
        dossiers[0].status = NominationStatus.RETURNED
        dossiers[1].status = NominationStatus.WITHDRAWN
        session.add_all(dossiers[:2])
        # The calls and receipts went out; two reminders reached the quiet unit, a third failed.
        earlier = len(session.exec(select(OutboxMessage.id)).all())
        session.execute(update(OutboxMessage).values(status=OutboxStatus.SENT))
        for tier, outcome in ((1, OutboxStatus.SENT), (2, OutboxStatus.SENT), (3, "failed")):
            session.add(
                OutboxMessage(
                    idempotency_key=f"reminder-{quiet}-{tier}",
                    campaign_id=calling.id,
                    unit_id=ids[quiet],
                    kind="reminder",
                    tier=tier,
                    to_addrs=["a@example.gov.vn"],
                    subject="Nhắc",
                    text_body="Nhắc",
                    html_body="<p>Nhắc</p>",
                    message_id=f"<reminder.{tier}@example.gov.vn>",
                    status=OutboxStatus(outcome),
                    next_attempt_at=at(day, 8),
                    created_at=at(day, 8),
                )
            )
    with session_scope() as session:
        status = campaign_status(session, CODE, at(day, 12))
        paused = session.exec(
            select(CampaignUnit.reminders_paused).where(CampaignUnit.unit_id == ids[quiet])
        ).one()
    rows = {row.unit_code: row for row in status.rows}
    assert [row.unit_code for row in status.rows] == sorted(rows)
    counts = {
        code: (row.nominations, row.returned, row.reminders_sent) for code, row in rows.items()
    }
    assert counts == {first: (2, 1, 0), second: (1, 0, 0), quiet: (0, 0, 2), nil: (0, 0, 0)}
    assert rows[first].status is ParticipationStatus.SUBMITTED
    assert rows[first].last_submitted_at == at(day, 10)
    assert rows[quiet].last_submitted_at is None and rows[quiet].paused is paused
    assert rows[nil].status is ParticipationStatus.NIL_RETURN
    assert {code: row.standing for code, row in rows.items()} == {
        first: ProgressState.SUBMITTED,
        second: ProgressState.SUBMITTED,
        quiet: ProgressState.ON_TRACK,
        nil: ProgressState.SUBMITTED,
    }
    assert (status.units, status.submitted, status.overdue, status.nil_returns) == (4, 3, 0, 1)
    assert status.nominations == 3
    assert status.nominations_by_status == {"submitted": 2, "returned": 1, "withdrawn": 1}
    assert (status.emails_sent, status.emails_failed) == (earlier + 2, 1)
    dumped = status.model_dump(mode="json")["rows"]
    assert dumped[0].keys() >= {"unit_code", "standing", "nominations", "last_submitted_at"}
