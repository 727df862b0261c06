"""Helpers for the leader's page tests: a campaign brought to the approval stage through the
services, a real approval flow run paused in process (against the session's Prefect test
server), and the leader's link read back from the real email in the Maildir."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from prefect.client.orchestration import get_client
from prefect.flow_runs import resume_flow_run
from sqlmodel import col, select

from documents.nomination_list import ListHeader, write_filled_list
from flows.approve import ApprovalForm, approve_campaign, paused_approval_run
from models.audit import AuditEvent
from models.campaign import CampaignStage
from models.council import Approval, CouncilMemberCreate, CouncilRole
from models.db import session_scope
from models.leader_access import LeaderInvite
from models.nomination import Nomination, NominationStatus
from models.settings import get_settings
from notifications.smtp_server import MailboxServer
from services.campaigns import award_choices, calendar_for, load_campaign
from services.council import BallotInput, hold_council
from services.dispatch import enqueue_calls, write_unit_templates
from services.intake import receive_list
from services.plan import plan
from services.review import review_round
from services.units import import_units
from tests.documents.builders import individual
from tests.flows.conftest import CONFERENCE, SAMPLE, at
from tests.portal.support import CSRF_FIELD, Portal

LEADER = "Nguyễn Văn Hùng"
TITLE = "Thứ trưởng"
UNITS = 3
NAMES = ("Nguyễn Thị Hương", "Lê Thị Mai", "Phạm Thu Trang")
MEMBERS = [CouncilMemberCreate(name="Phan Tâm", role=CouncilRole.CHAIR)] + [
    CouncilMemberCreate(name=f"Ủy viên {i}") for i in range(2, 11)
]


def to_approval(tmp_path: Path, code: str, units: list[str], names: tuple[str, ...]) -> None:
    """Plan ``code`` for the sample units already imported, take one list from the first unit
    with ``names``, review it and let a council of ten pass every dossier unanimously."""
    with session_scope() as session:
        planned = plan(
            session,
            code=code,
            year=2018,
            name=f"Tôn vinh điển hình tiên tiến ({code})",
            conference_date=CONFERENCE,
            rule_pack="nd91-2017",
            now=at(date(2019, 1, 21)),
            actor="test",
        )
    dispatch_on = planned.deadlines["dispatch_on"]
    with session_scope() as session:
        write_unit_templates(session, code, at(dispatch_on, 7))
        enqueue_calls(session, code, at(dispatch_on, 8), "test")
        campaign = load_campaign(session, code)
        calendar = calendar_for(session, campaign)
        choices = award_choices(campaign)
    header = ListHeader(code, campaign.name, units[0], units[0], campaign.submission_due)
    rows = [individual(name, "CSTDCS", 1) for name in names]
    for number, row in enumerate(rows, start=4):
        row.row_number = number
    data = write_filled_list(tmp_path / f"{code}.xlsx", header, choices, rows).read_bytes()
    day = calendar.add_working_days(campaign.submission_due, -3)
    with session_scope() as session:
        receive_list(
            session, code, data, "ds.xlsx", now=at(day, 9), actor="test", unit_code=units[0]
        )
    with session_scope() as session:
        review_round(
            session, code, [], at(campaign.review_due, 10), "test", force_reason="kiểm thử"
        )
    ids = nomination_ids(code)
    ballots = [
        BallotInput(nomination_id=i, member_name=m.name, in_favour=True)
        for i in ids.values()
        for m in MEMBERS
    ]
    with session_scope() as session:
        hold_council(
            session,
            code,
            MEMBERS,
            ballots,
            at(campaign.council_on, 14),
            "test",
            force_reason="kiểm thử",
        )
        assert load_campaign(session, code).stage is CampaignStage.APPROVAL


def nomination_ids(code: str) -> dict[str, int]:
    with session_scope() as session:
        campaign = load_campaign(session, code)
        rows = session.exec(select(Nomination).where(Nomination.campaign_id == campaign.id)).all()
        return {n.full_name: n.id for n in rows if n.id is not None}


def statuses(code: str) -> set[NominationStatus]:
    with session_scope() as session:
        campaign = load_campaign(session, code)
        rows = session.exec(
            select(Nomination.status).where(col(Nomination.campaign_id) == campaign.id)
        ).all()
        return set(rows)


@dataclass
class PausedApproval:
    """An approval flow run of ``code`` running in a thread, paused for the leader."""

    code: str
    thread: threading.Thread
    outcome: dict[str, Any] = field(default_factory=dict)
    run_id: UUID | None = None

    def wait(self, timeout: float = 60) -> Any:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the approval run did not finish"
        if "error" in self.outcome:
            raise self.outcome["error"]
        return self.outcome["result"]


def pause_approval(code: str, day: date, timeout_seconds: int = 600) -> PausedApproval:
    """Start the approval flow in process and wait until its run is paused (the leader's email
    has then been delivered: the flow sends it before it pauses)."""
    paused = PausedApproval(code, threading.Thread(target=lambda: None))

    def run() -> None:
        try:
            paused.outcome["result"] = approve_campaign(
                code, now=at(day, 9), timeout_seconds=timeout_seconds
            )
        except BaseException as exc:
            paused.outcome["error"] = exc

    paused.thread = threading.Thread(target=run, name=f"approval-{code}", daemon=True)
    paused.thread.start()
    deadline = time.monotonic() + 90
    while paused.run_id is None:
        assert paused.thread.is_alive(), paused.outcome
        assert time.monotonic() < deadline, "the approval run did not pause"
        paused.run_id = paused_approval_run(code)
        time.sleep(0.2)
    return paused


class Leader:
    """The approving leader with a browser: one cookie jar, following the emailed link."""

    def __init__(self, link: str) -> None:
        self.client = httpx.Client(timeout=30, follow_redirects=False)
        self.link = link
        self.page_url = link + "/"

    def open(self, path: str = "") -> httpx.Response:
        return self.client.get(self.page_url + path)

    def csrf(self) -> str:
        page = self.open()
        assert page.status_code == 200, page.text
        match = CSRF_FIELD.search(page.text)
        assert match, "no form on the page"
        return match.group(1)

    def answer(self, fields: dict[str, Any], csrf: str | None = None) -> httpx.Response:
        token = self.csrf() if csrf is None else csrf
        return self.client.post(self.page_url, data={"csrf": token, **fields})


@pytest.fixture
def approvals(
    database: str,
    mail_server: MailboxServer,
    portal: Portal,
    prefect_server: None,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[list[PausedApproval]]:
    """The leader configured, links pointing at the portal under test; every approval run a
    test pauses is answered (rejected) at the end if the test left it waiting."""
    monkeypatch.setenv("TONVINH_APPROVAL_BASE_URL", f"{portal.url}/duyet")
    monkeypatch.setenv("TONVINH_SUBMISSION_BASE_URL", f"{portal.url}/nop")
    monkeypatch.setenv("TONVINH_APPROVER_NAME", LEADER)
    monkeypatch.setenv("TONVINH_APPROVER_TITLE", TITLE)
    monkeypatch.setenv("TONVINH_APPROVER_EMAIL", "thutruong.hung@example.gov.vn")
    get_settings.cache_clear()
    portal.reset_throttle()
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()[: UNITS + 1]
    with session_scope() as session:
        data = ("\n".join(lines) + "\n").encode()
        import_units(session, data, "u.csv", now=at(date(2019, 1, 18)), actor="test")
    started: list[PausedApproval] = []
    yield started
    for paused in started:
        if paused.thread.is_alive() and paused.run_id is not None:
            form = ApprovalForm(decision="reject", approver="Kết thúc kiểm thử", comment="-")
            # Already answered or timed out: the thread ends by itself.
            with contextlib.suppress(Exception):
                resume_flow_run(paused.run_id, run_input=form.model_dump(mode="json"))
        paused.thread.join(60)


def sample_unit_codes() -> list[str]:
    return [line.split(",")[0] for line in SAMPLE.read_text("utf-8").splitlines()[1 : UNITS + 1]]


def paused_for_leader(approvals: list[PausedApproval], tmp_path: Path, code: str) -> PausedApproval:
    to_approval(tmp_path, code, sample_unit_codes(), NAMES)
    with session_scope() as session:
        day = load_campaign(session, code).approval_due
    paused = pause_approval(code, day)
    approvals.append(paused)
    return paused


def run_state(paused: PausedApproval) -> str:
    assert paused.run_id is not None
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(paused.run_id)
    assert run.state is not None
    return str(run.state.type.value)


def invite_of(code: str) -> LeaderInvite:
    with session_scope() as session:
        campaign = load_campaign(session, code)
        return session.exec(
            select(LeaderInvite).where(LeaderInvite.campaign_id == campaign.id)
        ).one()


def recorded_approval() -> tuple[Approval, AuditEvent]:
    """The one approval recorded and its audit entry."""
    with session_scope() as session:
        [approval] = session.exec(select(Approval)).all()
        [decision] = session.exec(
            select(AuditEvent).where(AuditEvent.action == "decision:approve")
        ).all()
    return approval, decision
