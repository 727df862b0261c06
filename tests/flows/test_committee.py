"""The organising committee's flows end to end, as the demo runs them: the sample plan imported
and handed over by email, owners answering over HTTP at a real portal, the nudge flow reminding
and escalating, the plan's artifact on the Prefect server."""

from __future__ import annotations

import asyncio
from datetime import date

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
from services.units import parse_units_csv, upsert_units
from tests.flows.conftest import CODE, CONFERENCE, SAMPLE, at


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
