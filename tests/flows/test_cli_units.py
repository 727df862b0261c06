"""The operator's unit administration on the command line (extend, pause, calendar override,
intake's clock), run as the operator runs it: a real process, real files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from documents.nomination_list import ListHeader, write_filled_list
from flows.dispatch import dispatch_call
from models.audit import AuditEvent
from models.db import session_scope
from models.unit import Unit
from services.campaigns import award_choices, load_campaign
from tests.flows.cli_support import run
from tests.flows.conftest import CODE, at


def _deadline(unit_code: str) -> date:
    from models.campaign import CampaignUnit

    with session_scope() as session:
        campaign = load_campaign(session, CODE)
        [deadline] = session.exec(
            select(CampaignUnit.deadline)
            .join(Unit, Unit.id == CampaignUnit.unit_id)  # type: ignore[arg-type]
            .where(CampaignUnit.campaign_id == campaign.id, Unit.code == unit_code)
        ).all()
    return deadline


def _audit(action: str) -> list[AuditEvent]:
    with session_scope() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


@pytest.mark.slow
def test_unit_extend_refuses_a_past_date_or_a_day_off_and_records_who(planned: dict) -> None:
    unit = planned["codes"][0]
    before = _deadline(unit)
    extend = ("unit", "extend", CODE, unit)

    past = run(*extend, "2019-02-01", "--reason", "Sau Tết", "--now", "2019-02-27T09:00")
    assert past.returncode == 2
    said = " ".join(past.stderr.split())
    assert "Hạn mới Thứ Sáu, ngày 01/02/2019 đã qua (hôm nay là Thứ Tư, ngày 27/02/2019)" in said
    assert "(deadline_in_past)" in said  # one line, in the operator's language, with its code

    tet = run(*extend, "2019-02-06", "--reason", "Sau Tết", "--now", "2019-01-25T09:00")
    assert tet.returncode == 2
    said = " ".join(tet.stderr.split())
    assert "là ngày nghỉ Mùng hai Tết Nguyên Đán, không phải ngày làm việc" in said
    assert "ngày làm việc tiếp theo là Thứ Hai, ngày 11/02/2019 (2019-02-11)" in said
    assert "(deadline_on_day_off)" in said

    saturday = run(*extend, "2019-03-02", "--reason", "Sau Tết", "--now", "2019-02-27T09:00")
    assert saturday.returncode == 2
    said = " ".join(saturday.stderr.split())
    assert "là ngày nghỉ cuối tuần" in said and "Thứ Hai, ngày 04/03/2019 (2019-03-04)" in said

    no_reason = run(*extend, "2019-03-05", "--reason", "  ", "--now", "2019-02-27T09:00")
    assert no_reason.returncode == 2 and "Cần ghi lý do gia hạn" in no_reason.stderr
    assert run(*extend, "2019-03-05").returncode == 2  # --reason is required
    assert _deadline(unit) == before and _audit("deadline_extended") == []

    done = run(
        *extend,
        "2019-03-05",
        "--reason",
        "Đơn vị sáp nhập",
        "--actor",
        "Nguyễn Văn A",
        "--now",
        "2019-02-27T09:00",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["deadline"] == "2019-03-05"
    assert _deadline(unit) == date(2019, 3, 5)
    [event] = _audit("deadline_extended")
    assert (event.actor, event.reason, event.at) == (
        "Nguyễn Văn A",
        "Đơn vị sáp nhập",
        at(date(2019, 2, 27)),
    )
    assert (event.from_state, event.to_state) == (before.isoformat(), "2019-03-05")


def test_unit_pause_and_calendar_override_record_who(planned: dict) -> None:
    unit = planned["codes"][1]
    paused = run("unit", "pause", CODE, unit, "--reason", "Sáp nhập", "--actor", "Trần Thị B")
    assert paused.returncode == 0, paused.stderr
    [event] = _audit("reminders_paused")
    assert (event.actor, event.reason) == ("Trần Thị B", "Sáp nhập")
    override = run(
        "calendar",
        "override",
        "2019-04-29",
        "--name",
        "Nghỉ bù",
        "--actor",
        "Lê Văn C",
        "--now",
        "2019-04-01T08:00",
    )
    assert override.returncode == 0, override.stderr
    [event] = [e for e in _audit("set") if e.entity == "holiday_override"]
    assert (event.actor, event.at) == ("Lê Văn C", at(date(2019, 4, 1), 8))
    blank = run("unit", "pause", CODE, unit, "--resume", "--actor", "")
    assert blank.returncode == 2 and "Cần ghi tên người thực hiện" in blank.stderr


def test_intake_now_moves_the_birth_date_checks(planned: dict, tmp_path: Path) -> None:
    """`tonvinh intake --now …` judges ages on that day: born 01/06/2005 is 13 on 01/02/2019
    (refused: under the working age) and 15 on 01/07/2020 (accepted)."""
    from typer.testing import CliRunner

    from cli import app
    from tests.documents.builders import person

    with session_scope() as session:
        campaign = load_campaign(session, CODE)
        choices = award_choices(campaign)
    dispatch_call(CODE, now=at(campaign.dispatch_on, 8))
    unit = planned["codes"][0]
    header = ListHeader(CODE, campaign.name, unit, unit, campaign.submission_due)
    young = [person("Phạm Thu Trang", date(2005, 6, 1), row_number=4)]
    path = write_filled_list(tmp_path / "young.xlsx", header, choices, young)

    def intake(now: str) -> tuple[int, dict]:
        result = CliRunner().invoke(app, ["intake", CODE, str(path), "--now", now, "--json"])
        return result.exit_code, json.loads(result.stdout.strip().splitlines()[-1])[0]

    code, refused = intake("2019-02-01T10:00")
    assert code == 1 and refused["outcome"] == "rejected"
    assert any("15 tuổi" in e["reason_vi"] for e in refused["errors"])
    code, accepted = intake("2020-07-01T10:00")
    assert code == 0 and accepted["outcome"] == "accepted"
