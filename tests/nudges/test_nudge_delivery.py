"""Nudges against a difficult SMTP server: down, then up; 4xx; 5xx; one recipient refused.

Every server here is a real one on loopback (aiosmtpd) answering with real SMTP replies.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from prefect.artifacts import Artifact
from sqlmodel import Session

from flows.common import artifact_key
from flows.remind import send_reminders
from models.db import get_engine
from models.outbox import OutboxStatus
from models.settings import get_settings
from notifications.outbox import failed_messages
from notifications.smtp_server import MailboxServer
from services.errors import OperatorError
from tests.nudges.support import (
    CODE,
    KT,
    PC,
    VT,
    Called,
    Inbox,
    addresses,
    at,
    check_nudge,
    cli,
    envelope_to,
    failed_email_events,
    outbox_rows,
    unit_of,
)

REMINDER_DAY = date(2027, 1, 27)  # the first step of the ladder, for both units


def _nudges() -> list:
    return [r for r in outbox_rows() if r.kind != "call"]


def _report(result: dict) -> tuple[int, int, int, int, int]:
    return (
        result.reminders,
        result.sent,
        result.failed,
        result.retry_later,
        result.pending_left,
    )


def test_server_down_then_up_delivers_every_nudge_exactly_once(
    call_campaign: Callable[..., Called],
) -> None:
    called = call_campaign(VT, PC)
    port = called.server.port
    called.server.stop()  # the ministry's mail server goes down after the call went out

    # 08:00: both reminders are queued; none can go; nothing is lost.
    assert _report(send_reminders(CODE, now=at(REMINDER_DAY, 8))) == (2, 0, 0, 2, 2)
    rows = _nudges()
    assert [(r.status, r.attempts) for r in rows] == [(OutboxStatus.PENDING, 1)] * 2
    assert all("Connection refused" in (r.last_error or "") for r in rows)
    # 08:00:30: within the 1-minute backoff, nobody knocks; 08:01: still down, second try.
    half_a_minute_later = at(REMINDER_DAY, 8).replace(second=30)
    assert _report(send_reminders(CODE, now=half_a_minute_later)) == (0, 0, 0, 0, 2)
    assert _report(send_reminders(CODE, now=at(REMINDER_DAY, 8, 1))) == (0, 0, 0, 2, 2)
    assert [r.attempts for r in _nudges()] == [2, 2]

    # The server is back on the same address; the next run after the 5-minute backoff sends.
    with MailboxServer(called.server.mailbox_dir, port=port) as server:
        assert _report(send_reminders(CODE, now=at(REMINDER_DAY, 8, 3))) == (0, 0, 0, 0, 2)
        assert _report(send_reminders(CODE, now=at(REMINDER_DAY, 8, 6))) == (0, 2, 0, 0, 0)
        assert _report(send_reminders(CODE, now=at(REMINDER_DAY, 9))) == (0, 0, 0, 0, 0)
        assert server.received == 2

    arrived = called.inbox.new()
    for message in arrived:
        check_nudge(message, unit_of(message, called.units), "reminder", 5)
    counts = Counter(Inbox(called.inbox.folder).message_ids())
    assert set(counts.values()) == {1}  # every message once, calls included
    assert set(counts) == {r.message_id for r in outbox_rows()}
    assert [(r.status, r.attempts) for r in _nudges()] == [(OutboxStatus.SENT, 3)] * 2


def _die_at_message(server: MailboxServer, n: int) -> None:
    """The server goes down when the ``n``-th message of a run reaches DATA (nothing written)."""
    accept = server.handler.handle_DATA
    seen = 0

    async def handle_data(*args: Any) -> str:
        nonlocal seen
        seen += 1
        if seen == n:
            threading.Thread(target=server.stop).start()  # stop() joins the server's own loop
            await asyncio.sleep(30)  # cancelled by the stop: the client sees the line drop
        return await accept(*args)

    server.handler.handle_DATA = handle_data  # type: ignore[method-assign, assignment]


def test_server_dying_mid_batch_loses_nothing_and_sends_nothing_twice(
    call_campaign: Callable[..., Called],
) -> None:
    called = call_campaign(KT, PC, VT)
    port = called.server.port
    _die_at_message(called.server, 2)

    # The first reminder goes through; the server dies on the second; the third finds it gone.
    assert _report(send_reminders(CODE, now=at(REMINDER_DAY, 8))) == (3, 1, 0, 2, 2)
    assert sorted((r.status, r.attempts) for r in _nudges()) == [
        (OutboxStatus.PENDING, 1),
        (OutboxStatus.PENDING, 1),
        (OutboxStatus.SENT, 1),
    ]
    with MailboxServer(called.server.mailbox_dir, port=port):
        assert _report(send_reminders(CODE, now=at(REMINDER_DAY, 8, 1))) == (0, 2, 0, 0, 0)
    arrived = called.inbox.new()
    assert sorted(unit_of(m, called.units).code for m in arrived) == sorted(
        u.code for u in called.units
    )
    counts = Counter(Inbox(called.inbox.folder).message_ids())
    assert set(counts.values()) == {1}
    assert set(counts) == {r.message_id for r in outbox_rows()}


def test_4xx_is_retried_later_and_then_delivered_once(
    call_campaign: Callable[..., Called], smtp: Callable[..., MailboxServer]
) -> None:
    called = call_campaign(VT, PC)
    server = smtp(fail_data_times=1)  # 451 4.3.0 at DATA for the first message

    assert _report(send_reminders(CODE, now=at(REMINDER_DAY, 8))) == (2, 1, 0, 1, 1)
    [deferred] = [r for r in _nudges() if r.status == OutboxStatus.PENDING]
    assert deferred.attempts == 1 and "451" in (deferred.last_error or "")
    assert len(Inbox(server.mailbox_dir).all()) == 1

    assert _report(send_reminders(CODE, now=at(REMINDER_DAY, 8, 1))) == (0, 1, 0, 0, 0)
    received = Inbox(server.mailbox_dir).all()
    assert Counter(str(m["Message-ID"]) for m in received) == Counter(
        r.message_id for r in _nudges()
    )
    for message in received:
        check_nudge(message, unit_of(message, called.units), "reminder", 5)
    assert server.handler.refused == 1
    assert sorted(r.attempts for r in _nudges()) == [1, 2]


def test_5xx_fails_for_good_and_the_operator_sees_it(
    call_campaign: Callable[..., Called], smtp: Callable[..., MailboxServer]
) -> None:
    called = call_campaign(VT, PC)
    server = smtp(fail_data_times=1, fail_code="554 5.7.1 Message rejected by policy")

    started = datetime.now(UTC)
    assert _report(send_reminders(CODE, now=at(REMINDER_DAY, 8))) == (2, 1, 1, 0, 0)
    [failed] = [r for r in _nudges() if r.status == OutboxStatus.FAILED]
    assert failed.attempts == 1 and "554 5.7.1" in (failed.last_error or "")
    # Not knocked on again later: a 5xx will not become a yes by itself.
    assert _report(send_reminders(CODE, now=at(REMINDER_DAY, 12))) == (0, 0, 0, 0, 0)
    assert len(Inbox(server.mailbox_dir).all()) == 1

    # The operator sees it: `tonvinh status --json`, the outbox's list, the run's summary.
    status = cli("status", CODE, "--now", "2027-01-27T12:05")
    assert (status["emails_failed"], status["emails_sent"]) == (1, len(called.units) + 1)
    with Session(get_engine()) as session:
        assert [m.message_id for m in failed_messages(session, called.campaign.id)] == [
            failed.message_id
        ]
    summary: Any = Artifact.get(artifact_key(CODE, "summary"))
    assert summary is not None
    text = str(summary.data)
    assert "gửi lỗi: **1**" in text and "Email gửi lỗi (cần xử lý)" in text
    assert "554 5.7.1" in text and failed.to_addrs[0].split("<")[-1].rstrip(">") in text
    # ... and the event an Automation can act on names the campaign and the message.
    [event] = failed_email_events(started, wanted=1)
    assert event["resource"]["tonvinh.campaign"] == CODE
    assert (event["payload"]["campaign"], event["payload"]["failed"]) == (CODE, 1)
    assert [m["id"] for m in event["payload"]["latest"]] == [failed.id]

    # The failed step does not stall the ladder: the next reminder goes to both units.
    assert _report(send_reminders(CODE, now=at(date(2027, 2, 1), 8))) == (2, 2, 0, 0, 0)


def test_one_refused_recipient_of_two_is_recorded(
    call_campaign: Callable[..., Called], smtp: Callable[..., MailboxServer]
) -> None:
    called = call_campaign(VT, PC)
    server = smtp(fail_rcpt={VT.focal_email: "550 5.1.1 Mailbox unavailable"})

    # First run on Mon 15/02 (the scheduler was off since the call): the step due is the
    # escalation to the unit head, focal contact in copy - To + Cc, two recipients.
    result = send_reminders(CODE, now=at(date(2027, 2, 15), 8))
    assert (result.escalations, result.sent, result.failed) == (2, 2, 0)
    received = {unit_of(m, called.units).code: m for m in Inbox(server.mailbox_dir).all()}
    for unit in called.units:  # the headers say who it was for, refused or not
        assert addresses(received[unit.code], "To") == [unit.head_email]
        assert addresses(received[unit.code], "Cc") == [unit.focal_email]
    assert envelope_to(received[VT.code]) == [VT.head_email]  # the refused one did not get it
    check_nudge(received[PC.code], PC, "escalation_unit_head", -3)

    rows = {r.to_addrs[0]: r for r in _nudges()}
    vt = next(r for to, r in rows.items() if VT.head_email in to)
    assert vt.status == OutboxStatus.SENT
    assert vt.recipient_results == {
        VT.head_email: "accepted",
        VT.focal_email: "refused: 550 5.1.1 Mailbox unavailable",
    }
    assert VT.focal_email in (vt.last_error or "")
    pc = next(r for to, r in rows.items() if PC.head_email in to)
    assert pc.recipient_results == {PC.head_email: "accepted", PC.focal_email: "accepted"}
    assert pc.last_error is None


def test_reminders_queued_in_chunks_all_go_in_the_same_run_once(
    call_campaign: Callable[..., Called], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two connections send each chunk of reminders while the next is queued; the last chunk
    still goes in the same run, and nothing goes twice."""
    from services import reminders

    called = call_campaign(VT, KT, PC)
    monkeypatch.setattr(reminders, "CHUNK", 1)  # three chunks, three commits
    monkeypatch.setenv("TONVINH_SMTP_CONNECTIONS", "2")
    monkeypatch.setenv("TONVINH_OUTBOX_BATCH_SIZE", "1")
    get_settings.cache_clear()

    result = send_reminders(CODE, now=at(REMINDER_DAY, 8))
    assert _report(result) == (3, 3, 0, 0, 0)
    messages = called.inbox.new()
    assert sorted(unit_of(m, called.units).code for m in messages) == sorted(
        u.code for u in (VT, KT, PC)
    )
    for message in messages:
        check_nudge(message, unit_of(message, called.units), "reminder", 5)
    assert [r.status for r in _nudges()] == [OutboxStatus.SENT] * 3


def test_a_refused_reminder_run_fails_with_its_reason_and_is_not_retried(
    database: str, prefect_server: None
) -> None:
    """The queueing runs inside the delivery task, which retries what may pass next time; a
    refusal (an unknown campaign) fails the run on the first try, with its reason."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    state = send_reminders("khong-co", now=at(REMINDER_DAY, 8), return_state=True)
    assert state.is_failed()
    with pytest.raises(OperatorError) as refused:
        state.result()
    assert refused.value.code == "campaign_not_found"

    run_filter = FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
    with get_client(sync_client=True) as client:
        for _ in range(120):  # task runs are recorded from their events, a moment later
            runs = client.read_task_runs(flow_run_filter=run_filter)
            delivery = [r for r in runs if r.name.startswith("deliver-outbox")]
            if delivery and delivery[0].state is not None and delivery[0].state.is_final():
                break
            time.sleep(0.25)
    [attempted] = delivery
    assert attempted.state is not None and attempted.state.is_failed()
    assert attempted.run_count == 1
