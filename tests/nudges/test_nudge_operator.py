"""What the operator sees of a failed email, and what they can do about it: `tonvinh status`,
`tonvinh mail failed`, `tonvinh mail requeue`, and the scheduler's background delivery reporting
a failure in the Prefect UI as a flow does. Real processes, real SMTP servers, a real database."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from prefect.artifacts import Artifact
from sqlmodel import col, func, select

from flows.common import artifact_key
from flows.remind import send_reminders
from flows.scheduler import deliver_outbox_job
from models import clock
from models.audit import AuditEvent
from models.db import session_scope
from models.outbox import OutboxStatus
from notifications.smtp_server import MailboxServer
from tests.nudges.support import (
    CODE,
    PC,
    VT,
    Called,
    Inbox,
    at,
    envelope_to,
    failed_email_events,
    outbox_rows,
    tonvinh,
)

ESCALATION_DAY = date(2027, 2, 15)  # the step due is the unit head's letter, focal in copy
MAILBOX_GONE = "550 5.1.1 Mailbox unavailable"


def _audit_count() -> int:
    with session_scope() as session:
        return int(session.exec(select(func.count()).select_from(AuditEvent)).one())


def _summary() -> str:
    summary: Any = Artifact.get(artifact_key(CODE, "summary"))
    assert summary is not None
    return str(summary.data)


@pytest.mark.slow
def test_a_5xx_and_a_refused_recipient_are_shown_and_the_failed_one_is_sent_again(
    call_campaign: Callable[..., Called], smtp: Callable[..., MailboxServer]
) -> None:
    call_campaign(VT, PC)
    # Cục Viễn thông's focal contact has left (its head still gets the letter); every address
    # of Vụ Pháp chế is refused, so its letter fails for good.
    smtp(
        fail_rcpt={
            VT.focal_email: MAILBOX_GONE,
            PC.head_email: MAILBOX_GONE,
            PC.focal_email: MAILBOX_GONE,
        }
    )
    result = send_reminders(CODE, now=at(ESCALATION_DAY, 8))
    assert (result.escalations, result.sent, result.failed) == (2, 1, 1)
    rows = {r.unit_id: r for r in outbox_rows() if r.kind == "escalation_unit_head"}
    failed = next(r for r in rows.values() if PC.head_email in r.to_addrs[0])
    partial = next(r for r in rows.values() if VT.head_email in r.to_addrs[0])

    # `tonvinh status`: the counts in the plain view, as in --json; the rest as before.
    plain = tonvinh("status", CODE, "--now", "2027-02-15T09:00")
    assert plain.returncode == 0, plain.stderr
    assert "Đã nộp 0/2, quá hạn 2, 0 hồ sơ." in plain.stdout
    assert "Email đã gửi 3, gửi lỗi 1, có người nhận bị từ chối 1." in plain.stdout
    assert f"Xem chi tiết: tonvinh mail failed {CODE}" in plain.stdout
    status = json.loads(tonvinh("status", CODE, "--json", "--now", "2027-02-15T09:00").stdout)
    assert (status["emails_failed"], status["emails_partially_refused"]) == (1, 1)

    # `tonvinh mail failed`: which one failed, to whom, why; which recipient was refused.
    listing = tonvinh("mail", "failed", CODE)
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert "Email gửi lỗi hẳn: 1" in lines
    assert f"  #{failed.id} escalation_unit_head — {PC.code} — đã thử 1 lần" in lines
    assert f"      Gửi tới: {failed.to_addrs[0]}" in lines
    assert f"      Cc: {failed.cc_addrs[0]}" in lines
    assert any(line.startswith("      Lỗi: ") and "550 5.1.1" in line for line in lines)
    assert "Email có người nhận bị từ chối: 1" in lines
    assert f"  #{partial.id} escalation_unit_head — {VT.code} — đã gửi tới người nhận khác" in lines
    assert f"      Bị từ chối: {VT.focal_email} — refused: {MAILBOX_GONE}" in lines
    assert f"tonvinh mail requeue {CODE} {failed.id}" in listing.stdout
    as_json = json.loads(tonvinh("mail", "failed", CODE, "--json").stdout)
    [listed] = as_json["failed"]
    assert (listed["id"], listed["kind"], listed["unit_code"], listed["attempts"]) == (
        failed.id,
        "escalation_unit_head",
        PC.code,
        1,
    )
    assert listed["to"] == failed.to_addrs and "550 5.1.1" in listed["error"]
    [refused] = as_json["partially_refused"]
    assert (refused["id"], refused["unit_code"]) == (partial.id, VT.code)
    assert refused["refused"] == {VT.focal_email: f"refused: {MAILBOX_GONE}"}

    # Unknown and not-failed ids: named, refused, nothing changed.
    before = _audit_count()
    wrong = tonvinh("mail", "requeue", CODE, str(failed.id), "9999", str(partial.id))
    assert wrong.returncode == 2
    message = " ".join(wrong.stderr.split())
    assert "Thư số 9999 không có trong đợt này." in message and "(requeue_refused)" in message
    assert f"Thư số {partial.id} không ở trạng thái gửi lỗi (đang: sent)" in message
    assert "Không gửi lại thư nào." in message
    assert _audit_count() == before
    assert {r.id: r.status for r in outbox_rows()}[failed.id] == OutboxStatus.FAILED
    blank = tonvinh("mail", "requeue", CODE, str(failed.id), "--actor", " ")
    assert blank.returncode == 2 and "Cần ghi tên người thực hiện" in blank.stderr

    # The unit's addresses are fixed on the server's side; the operator sends it again.
    fixed = smtp()
    again = tonvinh(
        "mail",
        "requeue",
        CODE,
        str(failed.id),
        "--actor",
        "Lê Thị Thu",
        "--now",
        "2027-02-15T10:00",
    )
    assert again.returncode == 0, again.stderr
    assert "Warning" not in again.stderr, again.stderr
    assert f"#{failed.id} escalation_unit_head: đã gửi" in again.stdout
    [received] = Inbox(fixed.mailbox_dir).all()
    assert sorted(envelope_to(received)) == sorted([PC.head_email, PC.focal_email])
    row = {r.id: r for r in outbox_rows()}[failed.id]
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 1, None)
    with session_scope() as session:
        [requeued] = session.exec(
            select(AuditEvent).where(
                AuditEvent.entity == "outbox",
                AuditEvent.entity_id == failed.id,
                AuditEvent.action == "requeued",
            )
        ).all()
    assert requeued.actor == "Lê Thị Thu"
    assert requeued.at == at(ESCALATION_DAY, 10)
    assert json.loads(tonvinh("mail", "failed", CODE, "--json").stdout)["failed"] == []
    assert "gửi lỗi: **0**" in _summary()  # the Prefect UI's summary no longer lists it


def test_the_scheduler_s_delivery_reports_a_failure_as_a_flow_does(
    call_campaign: Callable[..., Called], smtp: Callable[..., MailboxServer]
) -> None:
    called = call_campaign(VT, PC)
    called.server.stop()  # down when the reminders are queued: both wait for a retry
    reminder_day = date(2027, 1, 27)
    result = send_reminders(CODE, now=at(reminder_day, 8))
    assert (result.reminders, result.retry_later) == (2, 2)
    assert "gửi lỗi: **0**" in _summary()
    published = Artifact.get(artifact_key(CODE, "summary"))
    assert published is not None

    # Back up, but Vụ Pháp chế's focal address is gone: the scheduler's retry fails it.
    started = datetime.now(UTC)
    smtp(fail_rcpt={PC.focal_email: MAILBOX_GONE})
    clock.set_now(at(reminder_day, 8, 5))
    try:
        deliver_outbox_job()
    finally:
        clock.set_now(None)
    by_status = {r.to_addrs[0]: r.status for r in outbox_rows() if r.kind == "reminder"}
    assert sorted(by_status.values()) == [OutboxStatus.FAILED, OutboxStatus.SENT]
    [failed] = [r for r in outbox_rows() if r.status == OutboxStatus.FAILED]

    # The same event as a flow's delivery, naming the campaign.
    [event] = failed_email_events(started, wanted=1)
    assert event["resource"]["prefect.resource.id"] == "tonvinh.outbox"
    assert event["resource"]["tonvinh.campaign"] == CODE
    assert f"tonvinh.campaign.{CODE}" in {r["prefect.resource.id"] for r in event["related"]}
    payload = event["payload"]
    assert (payload["campaign"], payload["failed"], payload["failed_total"]) == (CODE, 1, 1)
    [example] = payload["latest"]
    assert example["id"] == failed.id and PC.focal_email in example["to"][0]
    assert "550 5.1.1" in example["error"]
    # ... and the campaign's summary in the UI lists it.
    text = _summary()
    assert "gửi lỗi: **1**" in text and "Email gửi lỗi (cần xử lý)" in text
    assert PC.focal_email in text and "550 5.1.1" in text
    refreshed = Artifact.get(artifact_key(CODE, "summary"))
    assert refreshed is not None and refreshed.id != published.id

    # A run that fails nothing refreshes nothing (it runs every few minutes).
    clock.set_now(at(reminder_day, 9))
    try:
        deliver_outbox_job()
    finally:
        clock.set_now(None)
    latest = Artifact.get(artifact_key(CODE, "summary"))
    assert latest is not None and latest.id == refreshed.id
    assert len(failed_email_events(started, wanted=2, timeout=3)) == 1


def test_a_repeated_id_is_requeued_once(
    call_campaign: Callable[..., Called], smtp: Callable[..., MailboxServer]
) -> None:
    call_campaign(VT)
    smtp(fail_rcpt={VT.focal_email: MAILBOX_GONE})
    send_reminders(CODE, now=at(date(2027, 1, 27), 8))
    [failed] = [r for r in outbox_rows() if r.status == OutboxStatus.FAILED]
    smtp()
    again = tonvinh(
        "mail",
        "requeue",
        CODE,
        str(failed.id),
        str(failed.id),
        "--json",
        "--now",
        "2027-01-27T09:00",
    )
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["requeued"] == [failed.id]
    assert report["delivery"]["sent"] == 1
    assert [m["status"] for m in report["messages"]] == ["sent"]
    with session_scope() as session:
        requeues = session.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "requeued", col(AuditEvent.entity_id) == failed.id)
        ).one()
    assert requeues == 1
