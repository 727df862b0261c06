"""A wrong SMTP password, as the operator meets it (issue 16): the reminders of the day do not
leave, and the operator is told where they look — `tonvinh status`, `tonvinh mail failed`, the
campaign's summary in the Prefect UI, a `tonvinh.email.blocked` event — instead of a log line
nobody reads. Nothing is marked sent or failed; once the password is fixed, `tonvinh mail
requeue` sends every reminder, once. Real flows, real processes, a real SMTP server with login.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from prefect.artifacts import Artifact

from flows.common import artifact_key
from flows.remind import send_reminders
from flows.scheduler import deliver_outbox_job
from models import clock
from models.outbox import OutboxStatus
from models.settings import get_settings
from notifications.smtp_server import MailboxServer
from tests.nudges.support import CODE, PC, VT, Called, Inbox, at, kind_of, outbox_rows, tonvinh

REMINDER_DAY = date(2027, 1, 27)  # the first step of the ladder: a reminder to each focal
RIGHT = "mat-khau-dung"
RED_LINE = "Email không gửi được: máy chủ thư từ chối đăng nhập"


def _summary() -> str:
    summary: Any = Artifact.get(artifact_key(CODE, "summary"))
    assert summary is not None
    return str(summary.data)


def _events(name: str, since: datetime, timeout: float = 30) -> list[dict[str, Any]]:
    """The events called ``name`` the Prefect server holds since ``since`` (it stores events
    in batches: wait for the first, then give them all)."""
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter

    deadline = time.monotonic() + timeout
    while True:
        with get_client(sync_client=True) as client:
            page = client.read_events(
                EventFilter(
                    occurred=EventOccurredFilter(since=since),
                    event=EventNameFilter(name=[name]),
                ),
                limit=50,
            )
        events = [e.model_dump(mode="json") for e in page.events]
        if events or time.monotonic() > deadline:
            return events
        time.sleep(0.5)


def _reminders() -> list[tuple[OutboxStatus, int]]:
    return [(r.status, r.attempts) for r in outbox_rows() if r.kind == "reminder"]


@pytest.mark.slow
def test_a_wrong_smtp_password_is_shown_and_after_the_fix_every_reminder_goes_once(
    call_campaign: Callable[..., Called],
    smtp: Callable[..., MailboxServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    call_campaign(VT, PC)
    started = datetime.now(UTC)
    server = smtp(auth=("thidua", RIGHT))  # the ministry's relay, which wants a login
    monkeypatch.setenv("TONVINH_SMTP_USER", "thidua")
    monkeypatch.setenv("TONVINH_SMTP_PASSWORD", "mat-khau-cu")  # rotated, not updated here
    get_settings.cache_clear()

    result = send_reminders(CODE, now=at(REMINDER_DAY, 8))

    assert (result.reminders, result.sent, result.failed) == (2, 0, 0)
    assert result.fault["kind"] == "auth"
    assert _reminders() == [(OutboxStatus.PENDING, 0)] * 2  # waiting, not failed
    assert server.received == 0

    # `tonvinh status`: the red line, with the cause and what to do.
    plain = tonvinh("status", CODE, "--now", "2027-01-27T09:00")
    assert plain.returncode == 0, plain.stderr
    text = " ".join(plain.stdout.split())
    assert RED_LINE in text and "535 5.7.8" in text
    assert "2 email đang chờ" in text and f"tonvinh mail requeue {CODE}" in text
    assert "mat-khau-cu" not in plain.stdout + plain.stderr
    status = json.loads(tonvinh("status", CODE, "--json", "--now", "2027-01-27T09:00").stdout)
    blocked = status["mail_blocked"]
    assert (blocked["kind"], blocked["waiting"]) == ("auth", 2)
    assert status["emails_sent"] == 2  # the calls of dispatch day, before the password changed

    # `tonvinh mail failed` says it first; the summary in the Prefect UI says it in red.
    listing = tonvinh("mail", "failed", CODE)
    assert listing.returncode == 0, listing.stderr
    assert RED_LINE in " ".join(listing.stdout.split())
    assert f"🔴 **{RED_LINE}" in _summary()

    # An Automation can react: the event names the fault and the campaign.
    [event] = _events("tonvinh.email.blocked", started)
    assert event["resource"]["prefect.resource.id"] == "tonvinh.outbox"
    assert f"tonvinh.campaign.{CODE}" in {r["prefect.resource.id"] for r in event["related"]}
    assert event["payload"]["kind"] == "auth" and event["payload"]["new"] is True
    assert "535" in event["payload"]["detail"] and CODE in event["payload"]["campaigns"]

    # The password is fixed; the operator sends the waiting mail now.
    monkeypatch.setenv("TONVINH_SMTP_PASSWORD", RIGHT)
    again = tonvinh("mail", "requeue", CODE, "--actor", "Lê Thị Thu", "--now", "2027-01-27T10:00")
    assert again.returncode == 0, again.stdout + again.stderr
    assert RED_LINE not in again.stdout

    received = Inbox(server.mailbox_dir).all()
    assert sorted(kind_of(m) for m in received) == ["reminder", "reminder"]
    assert len({str(m["Message-ID"]) for m in received}) == 2  # each once
    assert _reminders() == [(OutboxStatus.SENT, 1)] * 2
    status = json.loads(tonvinh("status", CODE, "--json", "--now", "2027-01-27T10:05").stdout)
    assert status["mail_blocked"] is None and status["emails_sent"] == 4
    assert RED_LINE not in _summary()
    [fixed] = _events("tonvinh.email.unblocked", started)
    assert fixed["payload"]["kind"] == "auth"


def test_the_scheduler_s_delivery_shows_a_blocked_outbox_in_the_summary(
    call_campaign: Callable[..., Called],
    smtp: Callable[..., MailboxServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The scheduler's background delivery (no stage run to refresh the artifacts) meets the
    fault: it refreshes the campaign's summary once, and again when the fault is fixed."""
    called = call_campaign(VT, PC)
    called.server.stop()  # down when the reminders are queued: they wait for a retry
    send_reminders(CODE, now=at(REMINDER_DAY, 8))
    assert RED_LINE not in _summary()

    server = smtp(auth=("thidua", RIGHT))  # back up, but the password was changed there
    monkeypatch.setenv("TONVINH_SMTP_USER", "thidua")
    monkeypatch.setenv("TONVINH_SMTP_PASSWORD", "mat-khau-cu")
    get_settings.cache_clear()
    clock.set_now(at(REMINDER_DAY, 8, 5))
    try:
        deliver_outbox_job()
    finally:
        clock.set_now(None)
    assert f"🔴 **{RED_LINE}" in _summary()
    assert [s for s, _ in _reminders()] == [OutboxStatus.PENDING] * 2

    # Fixed in the settings (another login name here, so no requeue is needed): the next
    # background delivery sends both and the summary no longer says it.
    monkeypatch.setenv("TONVINH_SMTP_USER", "thidua2")
    server.stop()
    smtp(auth=("thidua2", RIGHT))
    monkeypatch.setenv("TONVINH_SMTP_PASSWORD", RIGHT)
    get_settings.cache_clear()
    clock.set_now(at(REMINDER_DAY, 8, 10))
    try:
        deliver_outbox_job()
    finally:
        clock.set_now(None)
    assert [s for s, _ in _reminders()] == [OutboxStatus.SENT] * 2
    assert RED_LINE not in _summary()
