"""Receiving a unit's list through the service: the same path the CLI, the flows and (next) the
portal take. Each refusal is structured; a double upload stores once."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import func, select

from models.audit import AuditEvent
from models.campaign import Campaign
from models.db import session_scope
from models.nomination import Nomination, Submission
from services.intake import IntakeOutcome, IntakeResult, receive_list
from tests.documents.builders import individual, person
from tests.flows.conftest import CODE, at
from tests.service_layer.conftest import list_bytes, unit_codes


def _rows() -> list:
    return [
        individual("Nguyễn Thị Hương", "CSTDCS", 1),
        individual("Trần Văn Minh", "CSTDCS", 1, gender="Nam"),
    ]


def _count(model: type) -> int:
    with session_scope() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def _receive(data: bytes, day: date, unit_code: str | None = None) -> IntakeResult:
    with session_scope() as session:
        return receive_list(
            session,
            CODE,
            data,
            "danh-sach.xlsx",
            now=at(day, 10),
            actor="test",
            unit_code=unit_code,
        )


def test_the_same_file_twice_is_unchanged_and_stores_once(
    calling: Campaign, tmp_path: Path
) -> None:
    data = list_bytes(tmp_path, unit_codes()[0], _rows(), "a.xlsx")
    first = _receive(data, calling.dispatch_on)
    again = _receive(data, calling.dispatch_on)
    assert (first.outcome, first.created) == (IntakeOutcome.ACCEPTED, 2)
    assert (again.outcome, again.created) == (IntakeOutcome.UNCHANGED, 0)
    assert (_count(Submission), _count(Nomination)) == (1, 2)


def test_a_unit_link_refuses_another_units_list_and_stores_nothing(
    calling: Campaign, tmp_path: Path
) -> None:
    mine, theirs = unit_codes()[:2]
    data = list_bytes(tmp_path, theirs, _rows(), "theirs.xlsx")
    events_before = _count(AuditEvent)
    result = _receive(data, calling.dispatch_on, unit_code=mine)
    assert result.outcome is IntakeOutcome.REJECTED
    [error] = result.errors
    assert error.row == 0 and error.reason_vi and error.reason_en and error.code
    assert theirs in error.reason_vi
    assert (_count(Submission), _count(Nomination), _count(AuditEvent)) == (0, 0, events_before)


def test_a_rejected_list_is_a_table_of_located_errors(calling: Campaign, tmp_path: Path) -> None:
    rows = [
        *_rows(),
        person("Lê Thị Mai", date(2031, 5, 12), row_number=6),
        person("Đỗ Văn Nam", date(1890, 1, 1), row_number=7, gender="Nam"),
    ]
    result = _receive(list_bytes(tmp_path, unit_codes()[0], rows, "bad.xlsx"), calling.dispatch_on)
    assert result.outcome is IntakeOutcome.REJECTED
    assert [(e.sheet, e.row, e.column) for e in result.errors] == [
        ("Cá nhân", 6, "Ngày sinh"),
        ("Cá nhân", 7, "Ngày sinh"),
    ]
    for error in result.errors:
        assert error.reason_vi and error.reason_en and error.code
    assert "ở tương lai" in result.errors[0].reason_vi
    assert _count(Nomination) == 0 and _count(Submission) == 0


def test_birth_dates_are_judged_on_the_callers_day_not_the_wall_clock(
    calling: Campaign, tmp_path: Path
) -> None:
    """Born 01/06/2005: 13 on 01/02/2019 (under the working age of 15, refused), 15 on
    01/07/2020. The list is judged as of the ``now`` the caller gives."""
    rows = [person("Phạm Thu Trang", date(2005, 6, 1), row_number=4)]
    data = list_bytes(tmp_path, unit_codes()[0], rows, "young.xlsx")
    refused = _receive(data, date(2019, 2, 1))
    assert refused.outcome is IntakeOutcome.REJECTED
    assert any(e.column == "Ngày sinh" and "15 tuổi" in e.reason_vi for e in refused.errors)
    assert _receive(data, date(2020, 7, 1)).outcome is IntakeOutcome.ACCEPTED


def test_two_uploads_of_one_list_at_the_same_moment_store_once(
    calling: Campaign, tmp_path: Path, database: str
) -> None:
    """A double click on PostgreSQL: both requests parse at once, then take turns on the unit's
    participation row; the second finds the first's fingerprint."""
    if not database.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time; the row lock is PostgreSQL's")
    data = list_bytes(tmp_path, unit_codes()[0], _rows(), "double.xlsx")
    start = threading.Barrier(2)
    results: list[IntakeResult] = []
    failures: list[BaseException] = []

    def upload() -> None:
        try:
            start.wait(timeout=10)
            results.append(_receive(data, calling.dispatch_on))
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert sorted(r.outcome for r in results) == [IntakeOutcome.ACCEPTED, IntakeOutcome.UNCHANGED]
    assert (_count(Submission), _count(Nomination)) == (1, 2)


def test_the_database_refuses_a_second_live_dossier_for_one_nominee(
    calling: Campaign, tmp_path: Path
) -> None:
    """Whatever the application does, the partial unique index keeps one live dossier per
    nominee and unit."""
    from sqlalchemy.exc import IntegrityError

    _receive(list_bytes(tmp_path, unit_codes()[0], _rows(), "a.xlsx"), calling.dispatch_on)
    with session_scope() as session:
        existing = session.exec(select(Nomination)).first()
        assert existing is not None
        twin = Nomination.model_validate(existing.model_dump(exclude={"id"}))
        session.add(twin)
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()
