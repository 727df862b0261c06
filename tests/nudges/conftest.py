"""Fixtures for the nudge tests: a campaign planned and called through the real flows, a real
database (SQLite, and PostgreSQL when configured) and real SMTP servers on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from models.db import session_scope
from models.settings import get_settings
from notifications.smtp_server import MailboxServer
from tests.nudges.support import (
    CODE,
    CONFERENCE,
    DEADLINE,
    Called,
    Inbox,
    UnitSpec,
    at,
    kind_of,
    load,
    point_smtp_at,
)


@pytest.fixture
def smtp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., MailboxServer]]:
    """Factory: start a MailboxServer with the given options and send to it from now on."""
    started: list[MailboxServer] = []

    def start(**options: Any) -> MailboxServer:
        folder = options.pop("mailbox_dir", tmp_path / f"smtp{len(started)}")
        server = MailboxServer(folder, **options).start()
        started.append(server)
        point_smtp_at(monkeypatch, server.port)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def call_campaign(
    database: str,
    mail_server: MailboxServer,
    prefect_server: None,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., Called]:
    """Factory: enrol ``units``, plan the Tết campaign and dispatch the call (real flows)."""
    from flows.dispatch import dispatch_call
    from flows.plan import plan_campaign
    from services.units import upsert_units

    monkeypatch.setenv("TONVINH_MAX_REMINDERS_PER_UNIT", "6")
    monkeypatch.setenv("TONVINH_SMTP_TIMEOUT_SECONDS", "5")
    get_settings.cache_clear()

    def make(*units: UnitSpec) -> Called:
        with session_scope() as session:
            upsert_units(session, [u.create() for u in units])
        plan_campaign(
            code=CODE,
            year=2026,
            name="Hội nghị biểu dương điển hình tiên tiến năm 2026",
            conference_date=CONFERENCE,
            now=at(date(2027, 1, 11), 9),
        )
        campaign = load()
        assert (campaign.submission_due, campaign.dispatch_on) == (DEADLINE, date(2027, 1, 13))
        result = dispatch_call(CODE, now=at(campaign.dispatch_on, 9))
        assert result.sent == len(units)
        inbox = Inbox(Path(mail_server.mailbox_dir))
        calls = inbox.new()
        assert sorted(kind_of(m) for m in calls) == ["call"] * len(units)
        return Called(load(), tuple(units), inbox, mail_server)

    return make
