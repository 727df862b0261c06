"""Unit administration, review and one unit's status through the services: refusals carry a code
and change nothing; every change is audited; the unit's view shows why a dossier came back."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from documents.nomination_list import SubmissionRejected
from models.audit import AuditEntity, AuditEvent
from models.campaign import Campaign
from models.db import session_scope
from models.nomination import NominationStatus
from models.unit import Unit
from services.errors import OperatorError
from services.intake import receive_list
from services.mail import requeue_emails
from services.review import ReviewAction, ReviewDecision, review_round
from services.status import unit_status
from services.units import extend_deadline, import_units, override_calendar_day, pause_reminders
from tests.documents.builders import individual
from tests.flows.conftest import CODE, at
from tests.service_layer.conftest import list_bytes, unit_codes


def _audit(action: str) -> list[AuditEvent]:
    with session_scope() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_a_units_csv_with_one_bad_row_saves_nothing(database: str) -> None:
    csv = (
        "code,name_vi,focal_name,focal_email,head_name,head_email\n"
        "vu_a,Vụ A,Nguyễn Văn A,a@example.gov.vn,Trần B,b@example.gov.vn\n"
        "vu_b,Vụ B,Lê C,not-an-address,Phạm D,d@example.gov.vn\n"
    )
    with pytest.raises(SubmissionRejected) as refused, session_scope() as session:
        import_units(session, csv.encode(), "units.csv", now=at(date(2027, 1, 4)), actor="op")
    [error] = refused.value.errors
    assert (error.row, error.column) == (3, "focal_email")
    with session_scope() as session:
        assert session.exec(select(Unit)).all() == []


def test_extend_refuses_a_day_off_with_a_code_and_records_who(calling: Campaign) -> None:
    unit = unit_codes()[0]
    with pytest.raises(OperatorError) as refused, session_scope() as session:
        extend_deadline(
            session,
            CODE,
            unit,
            date(2019, 2, 6),
            reason="Sau Tết",
            now=at(date(2019, 1, 25)),
            actor="Chuyên viên Hà",
        )
    assert refused.value.code == "deadline_on_day_off"
    assert refused.value.params["next_working_day"] == "2019-02-11"
    assert "Tết" in refused.value.vi and "working day" in refused.value.en
    with session_scope() as session:
        moved = extend_deadline(
            session,
            CODE,
            unit,
            date(2019, 2, 11),
            reason="Sau Tết",
            now=at(date(2019, 1, 25)),
            actor="Chuyên viên Hà",
        )
    assert moved.deadline == date(2019, 2, 11)
    [event] = _audit("deadline_extended")
    assert (event.actor, event.to_state, event.reason) == (
        "Chuyên viên Hà",
        "2019-02-11",
        "Sau Tết",
    )


def test_pause_and_a_calendar_override_are_audited(calling: Campaign) -> None:
    with session_scope() as session:
        part = pause_reminders(
            session,
            CODE,
            unit_codes()[1],
            paused=True,
            reason="Sáp nhập",
            now=at(date(2019, 1, 25)),
            actor="op",
        )
        override_calendar_day(
            session,
            date(2019, 2, 15),
            working_day=False,
            name="Nghỉ bù",
            source="CV 123",
            now=at(date(2019, 1, 25)),
            actor="op",
        )
    assert part.reminders_paused
    assert [e.entity for e in _audit("reminders_paused")] == [AuditEntity.CAMPAIGN_UNIT]
    assert [e.to_state for e in _audit("set")] == ["day_off"]
    with pytest.raises(OperatorError) as refused, session_scope() as session:
        pause_reminders(
            session,
            CODE,
            "khong_co",
            paused=True,
            reason="",
            now=at(date(2019, 1, 25)),
            actor="op",
        )
    assert refused.value.code == "unit_not_in_campaign"


def test_the_units_status_shows_each_dossier_and_why_it_came_back(
    calling: Campaign, tmp_path: Path
) -> None:
    unit = unit_codes()[0]
    rows = [
        individual("Nguyễn Thị Hương", "CSTDCS", 1),
        individual("Trần Văn Minh", "CSTD_BO", 1, gender="Nam"),  # 1 year: not enough
    ]
    day = calling.submission_due
    with session_scope() as session:
        receive_list(
            session,
            CODE,
            list_bytes(tmp_path, unit, rows, "l.xlsx"),
            "l.xlsx",
            now=at(day, 9),
            actor="unit",
        )
    with session_scope() as session:
        report = review_round(session, CODE, [], at(day + timedelta(days=1), 15), "Chuyên viên Hà")
    assert report.checked == 2 and report.returned == 1
    with session_scope() as session:
        mine = unit_status(session, CODE, unit, at(day + timedelta(days=1), 16))
    assert [s.file_name for s in mine.submissions] == ["l.xlsx"]
    by_name = {d.full_name: d for d in mine.dossiers}
    assert by_name["Nguyễn Thị Hương"].status is NominationStatus.ELIGIBLE
    returned = by_name["Trần Văn Minh"]
    assert returned.status is NominationStatus.RETURNED and returned.status_vi == "Bị trả lại"
    assert returned.return_reason and any(f.citation for f in returned.findings)
    assert mine.resubmission_due is not None


def test_an_officers_decision_without_a_reason_refuses_the_whole_round(
    calling: Campaign, tmp_path: Path
) -> None:
    unit = unit_codes()[0]
    day = calling.submission_due
    with session_scope() as session:
        receive_list(
            session,
            CODE,
            list_bytes(tmp_path, unit, [individual("Nguyễn Thị Hương", "CSTDCS", 1)], "l.xlsx"),
            "l.xlsx",
            now=at(day, 9),
            actor="unit",
        )
    for decisions, code in (
        ([ReviewDecision(nomination_id=999, action=ReviewAction.ACCEPT)], "nomination_not_found"),
        ([ReviewDecision(nomination_id=1, action=ReviewAction.RETURN)], "reason_required"),
    ):
        with pytest.raises(OperatorError) as refused, session_scope() as session:
            review_round(session, CODE, decisions, at(day + timedelta(days=1), 15), "op")
        assert refused.value.code == code
    assert _audit("reviewed") == []  # the automatic checks were rolled back with the refusal


def test_requeue_of_an_unknown_or_unfailed_email_changes_nothing(calling: Campaign) -> None:
    with pytest.raises(OperatorError) as refused, session_scope() as session:
        requeue_emails(session, CODE, [1, 99999], at(date(2019, 2, 1)), "op")
    assert refused.value.code == "requeue_refused"
    assert refused.value.params["ids"] == [1, 99999]
    assert "99999" in refused.value.vi and "Nothing was requeued" in refused.value.en


def test_each_unit_is_written_to_in_its_own_language_whatever_the_sender_runs_in(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI's TONVINH_LANG=en is for the CLI's own text: a unit's letters follow the unit."""
    from models.outbox import OutboxMessage
    from models.settings import get_settings
    from services.dispatch import enqueue_calls
    from services.plan import plan
    from tests.flows.conftest import CONFERENCE

    monkeypatch.setenv("TONVINH_LANG", "en")
    get_settings.cache_clear()
    csv = (
        "code,name_vi,focal_name,focal_email,head_name,head_email,lang\n"
        "vu_a,Vụ A,Nguyễn Văn A,a@example.gov.vn,Trần B,b@example.gov.vn,\n"
        "vu_b,Vụ B,Lê C,c@example.gov.vn,Phạm D,d@example.gov.vn,en\n"
    )
    with session_scope() as session:
        import_units(session, csv.encode(), "units.csv", now=at(date(2019, 1, 18)), actor="op")
        planned = plan(
            session, code=CODE, year=2018, name="Tôn vinh 2018", conference_date=CONFERENCE,
            rule_pack="nd91-2017", now=at(date(2019, 1, 21)), actor="op",
        )  # fmt: skip
    with session_scope() as session:
        enqueue_calls(session, CODE, at(planned.deadlines["dispatch_on"], 8), "op")
    with session_scope() as session:
        letters = {
            m.to_addrs[0]: m for m in session.exec(select(OutboxMessage)).all() if m.to_addrs
        }
    vietnamese = next(m for to, m in letters.items() if "a@example.gov.vn" in to)
    english = next(m for to, m in letters.items() if "c@example.gov.vn" in to)
    assert "Kính gửi" in vietnamese.text_body and "Dear" not in vietnamese.text_body
    assert "Dear" in english.text_body


def test_a_failed_statement_never_shows_the_values_it_carried(calling: Campaign) -> None:
    """A refused insert of a person's data names the statement, not the person."""
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError) as failed, session_scope() as session:
        session.add(
            Unit(
                code=unit_codes()[0],  # already taken: the unique code refuses it
                name="Vụ Bí Mật",
                focal_name="Nguyễn Thị Riêng Tư",
                focal_email="rieng.tu@example.gov.vn",
                head_name="Trần Văn Kín",
                head_email="kin@example.gov.vn",
            )
        )
    text = str(failed.value)
    assert "Nguyễn Thị Riêng Tư" not in text and "rieng.tu@example.gov.vn" not in text
    assert "hidden due to hide_parameters" in text
