"""The operator's command line, run as the operator runs it: a real process, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlmodel import col, func, select

from documents.nomination_list import ListHeader, write_filled_list
from flows.dispatch import dispatch_call
from flows.intake import intake_submissions
from models.audit import AuditEvent
from models.db import get_engine, session_scope
from models.nomination import Nomination, NominationCreate, NomineeKind, Submission
from models.unit import Unit
from notifications.smtp_server import MailboxServer, read_mailbox
from services.campaigns import award_choices, load_campaign
from tests.flows.cli_support import on_the_test_server, run
from tests.flows.conftest import CODE, at, campaign_row


def test_add_working_days_skips_tet_2027() -> None:
    result = run("calendar", "add-working-days", "2027-02-03", "3")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "2027-02-15\n"
    as_json = json.loads(run("calendar", "add-working-days", "2027-02-03", "3", "--json").stdout)
    assert as_json["result"] == "2027-02-15"


def test_a_bad_date_is_refused_in_vietnamese() -> None:
    result = run("calendar", "add-working-days", "03/02/2027", "3")
    assert result.returncode == 2
    assert "không phải ngày hợp lệ" in result.stderr


# Every command's and subcommand's help page in one process per language (the help texts are
# chosen when flows.cli is imported, so a language is a process; a `tonvinh … --help` process
# per page cost ~100 s for ~60 pages). Prints {"command words": page}; a new command is found.
_ALL_HELP_PAGES = """
import json, typer
from typer.testing import CliRunner
from cli import app

def walk(command, path):
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from walk(sub, [*path, name])

runner = CliRunner()
pages = {}
for path in walk(typer.main.get_command(app), []):
    result = runner.invoke(app, [*path, "--help"], terminal_width=240)
    assert result.exit_code == 0, (path, result.output)
    pages[" ".join(path)] = result.output
print(json.dumps(pages))
"""


def _help_pages(lang: str) -> dict[str, str]:
    result = subprocess.run(
        [sys.executable, "-c", _ALL_HELP_PAGES],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TONVINH_LANG": lang, "COLUMNS": "240"},
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


# Words an English help page may keep: a proper name, and the signer's default.
NOT_TRANSLATED = ("Tết", "Phan Tâm")


def _vietnamese_letters(text: str) -> str:
    for word in NOT_TRANSLATED:
        text = text.replace(word, "")
    return "".join(c for c in text if ord(c) > 127 and unicodedata.category(c).startswith("L"))


@pytest.mark.slow
def test_help_is_vietnamese_with_english_fallback() -> None:
    assert "Tiếp nhận danh sách Excel" in run("--help").stdout
    english = run("--help", env={"TONVINH_LANG": "en"}).stdout
    assert "run the emulation and commendation campaign" in english
    assert (
        "Run the one reminder scheduler"
        in run("scheduler", "--help", env={"TONVINH_LANG": "en"}).stdout
    )

    vietnamese, english_pages = _help_pages("vi"), _help_pages("en")
    assert {"mail requeue", "scheduler"} <= set(vietnamese)
    assert set(vietnamese) == set(english_pages)
    for command, page in english_pages.items():
        assert _vietnamese_letters(page) == "", (command, page)
        assert _vietnamese_letters(vietnamese[command]), (command, vietnamese[command])
        assert vietnamese[command] != page, command


def test_units_import_rejects_the_whole_file(database: str, tmp_path: Path) -> None:
    csv_file = tmp_path / "units.csv"
    csv_file.write_text(
        "code,name_vi,focal_name,focal_email,head_name,head_email\n"
        "vu_a,Vụ A,Nguyễn Văn A,a@vu-a.example.gov.vn,Trần Thị B,b@vu-a.example.gov.vn\n"
        "vu_b,Vụ B,,c@vu-b.example.gov.vn,Lê Văn C,khong-phai-email\n",
        encoding="utf-8",
    )
    result = run("units", "import", str(csv_file))
    assert result.returncode == 2
    assert "dòng 3" in result.stderr and "focal_name" in result.stderr
    assert "head_email" in result.stderr
    with session_scope() as session:
        assert session.exec(select(func.count()).select_from(Unit)).one() == 0


def test_status_reports_every_unit(planned: dict) -> None:
    result = run("status", CODE, "--json", "--now", "2019-02-27T09:00")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["units"] == len(planned["codes"])
    assert {row["unit_code"] for row in status["rows"]} == set(planned["codes"])
    human = run("status", CODE, "--now", "2019-02-27T09:00")
    assert "Đã nộp 0/6" in human.stdout


@pytest.mark.slow
def test_plan_reads_as_text_not_python(database: str, prefect_server: None, tmp_path: Path) -> None:
    """What an operator reads after planning: each deadline on its own line, each unconfirmed
    rule as a bullet, and no Python dict or list syntax."""
    sample = Path(__file__).parents[2] / "cli" / "sample" / "units.csv"
    imported = run("units", "import", str(sample))
    assert imported.returncode == 0, imported.stderr
    result = run(
        "plan",
        "tdkt-2028",
        "--year",
        "2028",
        "--name",
        "Thi đua năm 2028",
        "--conference-date",
        "2028-03-25",
        "--now",
        "2026-11-25T09:00",
        env=on_the_test_server(),
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "deadlines:" in lines
    assert "  submission_due: 2028-02-23" in lines
    assert any(line.startswith("  • ") and "chưa xác nhận" in line for line in lines)
    assert "{'" not in result.stdout and "['" not in result.stdout


def _malformed_list(tmp_path: Path, unit_code: str) -> Path:
    import openpyxl

    with session_scope() as session:
        campaign = load_campaign(session, CODE)
        choices = award_choices(campaign)
    names = ["Phạm Thị Lan", "Đỗ Thị Hà", "Nguyễn Thị Mai", "Vũ Thị Yến", "Vũ Thị Yến"]
    rows = [
        NominationCreate(
            row_number=4 + i,
            kind=NomineeKind.INDIVIDUAL,
            full_name=name,
            gender="Nữ",
            birth_date=date(1980, 5, 12),
            proposed_title="CSTDCS",
            achievement_summary="Hoàn thành xuất sắc nhiệm vụ.",
        )
        for i, name in enumerate(names)
    ]
    header = ListHeader(CODE, campaign.name, unit_code, unit_code, campaign.submission_due)
    path = write_filled_list(tmp_path / "sai.xlsx", header, choices, rows)
    book = openpyxl.load_workbook(path)
    sheet = book["Cá nhân"]
    sheet["D4"] = "12/05/1980"  # a date typed as text
    sheet["D5"] = "=DATE(1980,5,12)"  # a formula
    sheet["K6"] = "Chiến sĩ thi đua xuất sắc"  # not a title on offer
    # rows 7 and 8: the same person twice
    book.save(path)
    return path


@pytest.mark.slow
def test_a_malformed_list_is_rejected_whole_and_nothing_is_saved(
    planned: dict, tmp_path: Path, mail_server: MailboxServer
) -> None:
    """Nothing of the list is stored; its unit is told where the errors are, once."""
    path = _malformed_list(tmp_path, planned["codes"][0])
    with session_scope() as session:
        campaign = load_campaign(session, CODE)
    dispatch_call(CODE, now=at(campaign.dispatch_on, 8))
    calls = len(read_mailbox(mail_server.mailbox_dir))
    with session_scope() as session:
        audit_before = session.exec(select(func.count()).select_from(AuditEvent)).one()
    [result] = intake_submissions(CODE, [str(path)], now=at(campaign.dispatch_on, 10))
    assert result.outcome == "rejected"
    assert result.unit == planned["codes"][0]  # the hidden sheet names it, refused or not
    # The runs list says a file was refused: a Completed state under its own name.
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        [latest] = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["intake-submissions"])),
            sort=FlowRunSort.START_TIME_DESC,
            limit=1,
        )
    assert latest.state is not None and latest.state.is_completed()
    assert latest.state.name == "Có tệp bị từ chối"
    text = "\n".join(str(error) for error in result.errors)
    assert 'dòng 4, cột "Ngày sinh"' in text
    assert 'dòng 5, cột "Ngày sinh"' in text  # the formula
    assert 'dòng 6, cột "Danh hiệu thi đua' in text
    assert "dòng 8" in text and "trùng" in text.lower()  # the duplicate nominee
    with session_scope() as session:
        assert session.exec(select(func.count()).select_from(Nomination)).one() == 0
        assert session.exec(select(func.count()).select_from(Submission)).one() == 0
        events = session.exec(select(AuditEvent).where(col(AuditEvent.id) > audit_before)).all()
    # Only the letter to the unit, and its delivery, are recorded.
    assert [(e.entity, e.action) for e in events] == [
        ("campaign_unit", "list_rejected"),
        ("outbox", "sent"),
    ]
    [letter] = read_mailbox(mail_server.mailbox_dir)[calls:]
    assert planned["codes"][0].replace("_", "-") in str(letter["To"])
    body = letter.get_body(("plain",))
    assert body is not None and "chưa được tiếp nhận" in str(letter["Subject"])
    assert 'Sheet "Cá nhân", dòng 4, cột "Ngày sinh"' in body.get_content()
    # The operator's command says the same and fails; the unit already has its letter.
    cli = run("intake", CODE, str(path), "--now", "2019-01-30T10:00", env=on_the_test_server())
    assert cli.returncode == 1
    assert "Ngày sinh" in cli.stdout
    assert len(read_mailbox(mail_server.mailbox_dir)) == calls + 1


def test_the_audit_log_refuses_changes(planned: dict) -> None:
    for statement in ("UPDATE auditevent SET actor = 'someone else'", "DELETE FROM auditevent"):
        with pytest.raises(DatabaseError, match="append-only"), get_engine().begin() as db:
            db.execute(text(statement))
    with session_scope() as session:
        assert session.exec(select(func.count()).select_from(AuditEvent)).one() > 0


def test_a_refused_stage_is_one_line_with_its_code_and_no_traceback(planned: dict) -> None:
    """Reviewing before the deadline with units missing: the operator reads one line in
    Vietnamese with the refusal's code, exit status 2 — not Prefect's traceback of the task."""
    campaign = campaign_row()
    dispatch_call(CODE, now=at(campaign.dispatch_on, 8))
    env = {**on_the_test_server(), "COLUMNS": "200"}
    early = at(campaign.dispatch_on, 15).isoformat()
    refused = run("review", CODE, "--now", early, env=env)
    assert refused.returncode == 2, refused.stderr
    assert "(review_before_deadline)" in refused.stderr and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr + refused.stdout
    debug = run("--debug", "review", CODE, "--now", early, env=env)
    assert debug.returncode != 0 and "Traceback" in debug.stderr + debug.stdout


def test_a_wrong_setting_is_named_in_one_line_not_a_traceback(tmp_path: Path) -> None:
    """A wrong ``TONVINH_`` variable used to end every command, even ``--help``, in a traceback
    from the import (the help texts read the settings for their language). Now the help shows
    and a command names the variable, without its value. A process started from nothing, as
    the fault was in the import that the tests' launcher makes once."""
    from tests.launcher import TONVINH

    env = {**os.environ, "TONVINH_VAR_DIR": str(tmp_path / "var"), "TONVINH_SMTP_PORT": "hai5"}

    def command(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [TONVINH, *args], capture_output=True, text=True, timeout=120, env=env
        )

    assert command("--help").returncode == 0
    refused = command("status", CODE)
    assert refused.returncode == 2, refused.stderr
    assert "Cấu hình sai" in refused.stderr and "TONVINH_SMTP_PORT" in refused.stderr
    assert "hai5" not in refused.stderr and "Traceback" not in refused.stderr
