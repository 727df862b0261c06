"""Helpers for the nudge tests: constants, the units, and reading back what the server received.

The campaign's conference is on Saturday 13/03/2027, which puts every unit's deadline on
Wednesday 03/02/2027, the last working day before Tết Đinh Mùi (days off 04/02..10/02/2027).
"""

from __future__ import annotations

import json
import os
import subprocess
import time as timer
from dataclasses import dataclass, field
from datetime import date, datetime, time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from models.campaign import Campaign
from models.clock import VN_TZ
from models.db import session_scope
from models.outbox import REMINDER_KINDS, OutboxMessage
from models.settings import get_settings
from models.unit import UnitCreate
from notifications.smtp_server import MailboxServer, read_mailbox
from tests import launcher
from tests.documents.builders import ACHIEVEMENT, person

CODE = "tdkt-2026"
CONFERENCE = date(2027, 3, 13)  # a Saturday ceremony
DEADLINE = date(2027, 2, 3)  # Thứ Tư, the last working day before Tết 2027
DEADLINE_VI = "Thứ Tư, ngày 03/02/2027"
DEPARTMENT_HEAD = "vutruong.tdkt@example.gov.vn"  # the Settings default


def at(day: date, hour: int = 8, minute: int = 0) -> datetime:
    """A moment in Hà Nội."""
    return datetime.combine(day, time(hour, minute), tzinfo=VN_TZ)


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    focal_name: str
    focal_email: str
    head_name: str
    head_email: str

    def create(self) -> UnitCreate:
        return UnitCreate(
            code=self.code,
            name=self.name,
            kind="cuc",
            focal_name=self.focal_name,
            focal_email=self.focal_email,
            head_name=self.head_name,
            head_email=self.head_email,
        )


VT = UnitSpec(
    "cuc_vt",
    "Cục Viễn thông",
    "Nguyễn Thị Hoa",
    "thidua@cuc-vt.example.gov.vn",
    "Trần Văn Bình",
    "lanhdao@cuc-vt.example.gov.vn",
)
KT = UnitSpec(
    "vu_ktcn",
    "Vụ Kinh tế số và Chuyển đổi số",
    "Đặng Minh Khoa",
    "thidua@vu-ktcn.example.gov.vn",
    "Bùi Thị Ngọc Ánh",
    "lanhdao@vu-ktcn.example.gov.vn",
)
PC = UnitSpec(
    "vu_pc",
    "Vụ Pháp chế",
    "Hoàng Thu Thủy",
    "thidua@vu-pc.example.gov.vn",
    "Ngô Văn Phong",
    "lanhdao@vu-pc.example.gov.vn",
)

# What each kind's Vietnamese subject says (the templates' own wording).
SUBJECT_KINDS = {
    "Công văn đề nghị lựa chọn": "call",
    "Nhắc hạn gửi hồ sơ": "reminder",
    "Quá hạn gửi hồ sơ": "overdue",
    "Đề nghị Thủ trưởng đơn vị chỉ đạo": "escalation_unit_head",
    "Báo cáo đơn vị chưa gửi hồ sơ": "escalation_department",
}


def kind_of(message: EmailMessage) -> str:
    subject = str(message["Subject"])
    kinds = [kind for phrase, kind in SUBJECT_KINDS.items() if phrase in subject]
    assert len(kinds) == 1, subject
    return kinds[0]


def plain(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def html(message: EmailMessage) -> str:
    body = message.get_body(("html",))
    assert body is not None
    return str(body.get_content())


def addresses(message: EmailMessage, header: str) -> list[str]:
    """Bare addresses of a parsed address header (To, Cc), in order; [] when absent."""
    value = message[header]
    if value is None:
        return []
    return [a.addr_spec for a in value.addresses]


def envelope_to(message: EmailMessage) -> list[str]:
    """The RCPT TO addresses the server accepted (the server writes them in its own header)."""
    return [a.strip() for a in str(message["X-Tonvinh-Envelope-To"]).split(",") if a.strip()]


@dataclass
class Inbox:
    """The server's Maildir, read back and parsed; ``new()`` gives what arrived since last call."""

    folder: Path
    seen: set[str] = field(default_factory=set)

    def all(self) -> list[EmailMessage]:
        return read_mailbox(self.folder)

    def new(self) -> list[EmailMessage]:
        fresh = [m for m in self.all() if str(m["Message-ID"]) not in self.seen]
        self.seen.update(str(m["Message-ID"]) for m in fresh)
        return fresh

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.all()]


def unit_of(message: EmailMessage, units: tuple[UnitSpec, ...]) -> UnitSpec:
    """The unit a nudge is about, read from its subject."""
    named = [u for u in units if u.name in str(message["Subject"])]
    assert len(named) == 1, message["Subject"]
    return named[0]


def days_left_text(n: int) -> str:
    """How the letters say the working days left (the templates' wording, written by hand)."""
    if n > 0:
        return f"còn {n} ngày làm việc"
    if n == 0:
        return "hôm nay là ngày cuối cùng của thời hạn"
    return f"đã quá hạn {-n} ngày làm việc"


def expected_recipients(kind: str, unit: UnitSpec) -> tuple[list[str], list[str]]:
    """(To, Cc) by hand: escalations go up the line and keep the people below in copy."""
    if kind == "escalation_unit_head":
        return [unit.head_email], [unit.focal_email]
    if kind == "escalation_department":
        return [DEPARTMENT_HEAD], [unit.head_email, unit.focal_email]
    return [unit.focal_email], []


def check_nudge(
    message: EmailMessage,
    unit: UnitSpec,
    kind: str,
    days_left: int,
    deadline_vi: str = DEADLINE_VI,
) -> None:
    """A nudge as received: its kind, who it went to, and that it names the unit, the deadline
    with its weekday and the working days left, in both the text and the HTML part."""
    assert kind_of(message) == kind
    to, cc = expected_recipients(kind, unit)
    assert addresses(message, "To") == to
    assert addresses(message, "Cc") == cc
    assert message["Bcc"] is None
    assert sorted(envelope_to(message)) == sorted(to + cc)
    assert unit.name in str(message["Subject"])
    if kind == "reminder":
        assert deadline_vi in str(message["Subject"])
    for body in (plain(message), html(message)):
        assert unit.name in body
        assert deadline_vi in body
        assert days_left_text(days_left) in body


def filled_list(folder: Path, unit: UnitSpec) -> str:
    """A valid list for ``unit``, filled in as a careful focal contact would fill it."""
    from documents.nomination_list import ListHeader, write_filled_list
    from models.nomination import InitiativeLevel
    from services.campaigns import award_choices

    campaign = load()
    header = ListHeader(CODE, campaign.name, unit.code, unit.name, campaign.submission_due)
    nominee = person(
        "Phạm Thu Hà",
        date(1986, 9, 2),
        row_number=4,
        workplace=unit.name,
        achievement_summary=ACHIEVEMENT,
        initiative_level=InitiativeLevel.MINISTRY,
    )
    path = folder / f"{unit.code}.xlsx"
    return str(write_filled_list(path, header, award_choices(campaign), [nominee]))


def outbox_rows() -> list[OutboxMessage]:
    with session_scope() as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all())


def nudges_queued(unit: UnitSpec) -> list[tuple[int, str]]:
    """(tier, kind) of every nudge of the reminder ladder in the outbox for ``unit`` (the call,
    receipts and other letters left out), by tier."""
    from models.unit import Unit

    with session_scope() as session:
        rows = session.exec(
            select(OutboxMessage.tier, OutboxMessage.kind)
            .join(Unit, col(Unit.id) == OutboxMessage.unit_id)
            .where(Unit.code == unit.code, col(OutboxMessage.kind).in_(REMINDER_KINDS))
        ).all()
    return sorted((int(tier), str(kind)) for tier, kind in rows)


def load(code: str = CODE) -> Campaign:
    with session_scope() as session:
        campaign = session.exec(select(Campaign).where(Campaign.code == code)).one()
        return campaign


def cli(*args: str) -> Any:
    """Run ``tonvinh <args> --json`` in process (the operator's own command) and parse it."""
    from typer.testing import CliRunner

    from cli import app

    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout.strip().splitlines()[-1])


def tonvinh(*args: str) -> subprocess.CompletedProcess[str]:
    """The real ``tonvinh`` command, as the operator runs it, on this test's database and SMTP
    server, in Vietnamese, reporting to the session's Prefect server (artifacts, events)."""
    from prefect.settings import PREFECT_API_URL

    env = {
        **os.environ,
        "TONVINH_LANG": "vi",
        "COLUMNS": "200",
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
    }
    return launcher.run(*args, env=env, timeout=180)


def failed_email_events(since: datetime, wanted: int, timeout: float = 30) -> list[dict[str, Any]]:
    """The ``tonvinh.email.failed`` events the Prefect server holds since ``since`` (the server
    stores events in batches: wait until ``wanted`` are there, then give them all)."""
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter

    deadline = timer.monotonic() + timeout
    while True:
        with get_client(sync_client=True) as client:
            page = client.read_events(
                EventFilter(
                    occurred=EventOccurredFilter(since=since),
                    event=EventNameFilter(name=["tonvinh.email.failed"]),
                ),
                limit=50,
            )
        events = [e.model_dump(mode="json") for e in page.events]
        if len(events) >= wanted or timer.monotonic() > deadline:
            return events
        timer.sleep(0.5)


def point_smtp_at(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    """Send from now on to 127.0.0.1:``port`` (the settings are read afresh by each flow)."""
    monkeypatch.setenv("TONVINH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TONVINH_SMTP_PORT", str(port))
    monkeypatch.setenv("TONVINH_SMTP_TLS", "none")
    get_settings.cache_clear()


@dataclass(frozen=True)
class Called:
    """A campaign planned and called: the units' lists and calls went out on dispatch day."""

    campaign: Campaign
    units: tuple[UnitSpec, ...]
    inbox: Inbox  # the default server's Maildir, calls already read (``seen``)
    server: MailboxServer
