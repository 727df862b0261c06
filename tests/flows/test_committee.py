"""The organising committee's flows end to end, as the demo runs them: the sample plan imported
and handed over by email, owners answering over HTTP at a real portal, the nudge flow reminding
and escalating, the plan's artifact on the Prefect server."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from sqlmodel import col, select

from cli.demo_committee import SILENT_TASK, run_committee_demo
from flows.plan import plan_campaign
from models.db import session_scope
from models.outbox import EmailKind, OutboxMessage
from models.settings import get_settings
from notifications.smtp_server import MailboxServer
from portal.embedded import running_portal
from services.committee import report_problem, request_extension
from services.units import parse_units_csv, upsert_units
from tests.committee_support import ASSIGNED_ON, DUE, PLAN, link_for
from tests.flows.conftest import CODE, CONFERENCE, SAMPLE, at


@pytest.mark.slow
def test_the_demo_committee_runs_the_sample_plan_through_the_portal(
    database: str,
    mail_server: MailboxServer,
    prefect_server: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with session_scope() as session:
        upsert_units(session, parse_units_csv(SAMPLE.read_bytes(), SAMPLE.name))
    plan_campaign(
        code=CODE,
        year=2018,
        name="Tôn vinh điển hình tiên tiến năm 2018",
        conference_date=CONFERENCE,
        rule_pack="nd91-2017",
        now=at(date(2019, 1, 21)),
    )
    with running_portal() as url:
        monkeypatch.setenv("TONVINH_SUBMISSION_BASE_URL", f"{url}/nop")
        get_settings.cache_clear()
        result = run_committee_demo(mail_server.mailbox_dir, CODE)
    assert result.tasks == 11 and result.tasks_done == 10 and result.tasks_overdue == 1
    assert result.problems == 1 and result.extensions == 1
    assert result.critical_path[0] == "kinh_phi"
    with session_scope() as session:
        nudges = session.exec(
            select(OutboxMessage.kind, OutboxMessage.to_addrs).where(
                col(OutboxMessage.kind).in_(
                    [EmailKind.COMMITTEE_REMINDER, EmailKind.COMMITTEE_ESCALATION]
                )
            )
        ).all()
    escalations = [to for kind, to in nudges if kind == EmailKind.COMMITTEE_ESCALATION]
    # Only the task nobody answered reached a unit head: Văn phòng's (an_ninh).
    assert len(escalations) == 1 and "<lanhdao@van-phong.example.gov.vn>" in escalations[0][0]
    assert SILENT_TASK == "an_ninh"

    async def artifact() -> str:
        async with get_client() as client:
            found = await client.read_latest_artifacts()
            return next(str(a.data) for a in found if a.key == f"{CODE}-committee-plan")

    markdown = asyncio.run(artifact())
    assert "đã xong **10/11** việc" in markdown and "QUÁ HẠN" in markdown
    assert "Đường găng" in markdown and "@" not in markdown  # no contact's address


def test_the_tasks_command(
    database: str, prefect_server: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from cli import app
    from tests.service_layer.conftest import plan_and_call

    monkeypatch.setenv("TONVINH_LANG", "vi")
    get_settings.cache_clear()
    plan_and_call()
    runner = CliRunner()
    bad = tmp_path / "plan.csv"
    bad.write_text(
        "key,title,owner,due_working_days_before,depends_on\n"
        "a,Việc A,vu_bc,5,\n"
        "b,Việc B,vu_bc,9,a\n",
        encoding="utf-8",
    )
    refused = runner.invoke(app, ["tasks", "import", CODE, str(bad), "--now", "2019-03-01T08:00"])
    assert refused.exit_code == 2
    assert "Việc dòng 3 (b), trường depends_on" in refused.output
    good = tmp_path / "plan.toml"
    good.write_text(PLAN, encoding="utf-8")
    imported = runner.invoke(
        app, ["tasks", "import", CODE, str(good), "--now", "2019-03-01T08:00", "--json"]
    )
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout)["imported"]["created"] == list(DUE)
    shown = runner.invoke(app, ["tasks", CODE, "--now", "2019-03-18T09:00", "--json"])
    status = json.loads(shown.stdout)
    assert status["late"] == ["kinh_phi"] and status["total"] == 4
    assert status["critical_path"] == ["kinh_phi", "hoi_truong", "bao_chi"]
    text = runner.invoke(app, ["tasks", CODE, "--now", "2019-03-18T09:00"], terminal_width=200)
    assert "Quá hạn: kinh_phi" in text.output and "kinh_phi → hoi_truong → bao_chi" in text.output
    with session_scope() as session:
        request_extension(
            session, link_for(session, "in_an"), date(2019, 3, 27), "Chờ giấy", now=at(ASSIGNED_ON)
        )
        report_problem(
            session, link_for(session, "bao_chi"), "Thiếu phóng viên", now=at(ASSIGNED_ON)
        )
    asked = runner.invoke(app, ["tasks", CODE, "--now", "2019-03-18T09:00"], terminal_width=200)
    assert "Vướng mắc bao_chi: Thiếu phóng viên" in asked.output
    assert "Xin gia hạn đến 2019-03-27: in_an" in asked.output
    extended = runner.invoke(
        app,
        ["tasks", "extend", CODE, "kinh_phi", "--until", "2019-03-19", "--reason", "Chờ KBNN"],
    )
    assert extended.exit_code == 0 and "2019-03-19" in extended.output
    saturday = runner.invoke(
        app, ["tasks", "extend", CODE, "in_an", "--until", "2019-03-23", "--reason", "x"]
    )
    assert saturday.exit_code == 2 and "(not_working_day)" in saturday.output
