"""The conference's flows end to end, as the demo runs them: the sample guest list imported,
everyone invited after signing, invitees answering over HTTP at a real portal from the links in
the Maildir, the reminder flow, the conference's artifact on the Prefect server; and
``tonvinh ceremony`` (guest list errors located, exit 2; the status in text and JSON)."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from sqlmodel import select
from typer.testing import CliRunner

from cli import app
from cli.demo_ceremony import DECLINING, SILENT, run_ceremony_demo
from flows.ceremony import AnsweredInvitations
from models.ceremony import Invitee, SeatState
from models.db import session_scope
from models.settings import get_settings
from notifications.smtp_server import MailboxServer
from portal.embedded import running_portal
from tests.ceremony_support import signed_campaign
from tests.flows.conftest import CODE


def test_the_demo_conference_invites_answers_reminds_and_publishes(
    database: str,
    mail_server: MailboxServer,
    prefect_server: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    signed = signed_campaign(tmp_path)
    with running_portal() as url:
        monkeypatch.setenv("TONVINH_SUBMISSION_BASE_URL", f"{url}/nop")
        get_settings.cache_clear()
        held = run_ceremony_demo(mail_server.mailbox_dir, CODE, signed, random.Random(7))
    # Three from the decision (one person honoured twice, another, a collective's head) and the
    # sample's eleven guests, vu_bc's head once.
    assert held.invitations == 13 and held.certificates == 3
    assert held.declined == DECLINING and held.no_answer == SILENT and held.deputies == 1
    assert held.rsvp_attending == 13 - DECLINING - SILENT
    with session_scope() as session:
        silent = session.exec(select(Invitee).where(Invitee.state == SeatState.INVITED)).all()
    # On the cut-off day the silent ones of a unit are escalated to it, the others reminded.
    with_unit = sum(1 for i in silent if i.unit_id is not None)
    assert held.escalations == with_unit and held.reminders >= 2 * SILENT - with_unit
    assert Path(held.attendees_xlsx).is_file()

    async def artifact() -> str:
        async with get_client() as client:
            found = await client.read_latest_artifacts()
            return next(str(a.data) for a in found if a.key == f"{CODE}-ceremony")

    job = AnsweredInvitations()  # the scheduler's: the lists follow the portal's answers
    assert job() == [CODE] and job() == []  # caught up once after a start, then nothing new
    markdown = asyncio.run(artifact())
    assert f"không tham dự **{DECLINING}**" in markdown and "còn trống **" in markdown
    assert "| Lãnh đạo Bộ | 3 |" in markdown and "@" not in markdown  # no one's address

    monkeypatch.setenv("TONVINH_LANG", "vi")
    get_settings.cache_clear()
    runner = CliRunner()
    shown = runner.invoke(app, ["ceremony", "status", CODE, "--json", "--now", "2019-03-29T07:00"])
    assert shown.exit_code == 0, shown.output
    status = json.loads(shown.stdout)
    assert status["attending"] == held.rsvp_attending and not status["rsvp_open"]
    text = runner.invoke(app, ["ceremony", "status", CODE], terminal_width=200)
    assert "Vụ Bưu chính:" in text.output and "còn trống" in text.output
    bad = tmp_path / "khach.csv"
    bad.write_text("category,full_name,position,organisation,email\nbao_chi,A,,B,khong\n", "utf-8")
    refused = runner.invoke(app, ["ceremony", "guests", "import", CODE, str(bad)])
    assert refused.exit_code == 2 and "Dòng 2, cột email" in refused.output
