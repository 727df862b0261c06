"""The outbox with a real database and a real SMTP server: exactly once, nothing lost."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from models.audit import AuditEvent
from models.campaign import Campaign
from models.db import get_engine
from models.outbox import MailFault, OutboxMessage, OutboxStatus
from models.settings import Settings
from notifications.addresses import mailbox
from notifications.claims import Claim
from notifications.outbox import (
    MAX_ATTEMPTS,
    backoff,
    deliver_pending,
    enqueue,
    failed_messages,
    key_for,
    requeue_failed,
)
from notifications.render import RenderedEmail, render_email
from notifications.smtp_server import MailboxServer, free_port, read_mailbox

PASSWORD = "s3cr3t-pw"
Server = Callable[..., MailboxServer]


def _queue(
    session: Session,
    now: datetime,
    count: int,
    *,
    rendered: RenderedEmail,
    kind: str = "reminder",
    to: Callable[[int], list[str]] | None = None,
    cc: Callable[[int], list[str]] | None = None,
    campaign_id: int | None = None,
) -> None:
    for i in range(count):
        assert enqueue(
            session,
            key=key_for(campaign_id, None, kind, i),
            kind=kind,
            tier=i,
            to=to(i) if to else [mailbox(f"Đầu mối {i}", f"dau-moi-{i}@donvi.vn")],
            cc=cc(i) if cc else [],
            rendered=rendered,
            now=now,
            campaign_id=campaign_id,
        )
    session.commit()


def _rows() -> list[OutboxMessage]:
    with Session(get_engine()) as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all())


def _audit(action: str | None = None) -> list[AuditEvent]:
    with Session(get_engine()) as session:
        statement = select(AuditEvent).where(AuditEvent.entity == "outbox")
        if action is not None:
            statement = statement.where(AuditEvent.action == action)
        return list(session.exec(statement.order_by(col(AuditEvent.id))).all())


@pytest.fixture
def rendered(sample_context: dict[str, Any]) -> RenderedEmail:
    return render_email("reminder", sample_context)


def test_key_for() -> None:
    assert key_for(3, 17, "reminder", 2) == "3:17:reminder:2"
    assert key_for(None, None, "call", 0) == "-:-:call:0"


def test_enqueue_twice_inserts_once(
    session: Session, rendered: RenderedEmail, t0: datetime
) -> None:
    values: dict[str, Any] = {
        "key": key_for(None, None, "call", 0),
        "kind": "call",
        "tier": 0,
        "to": [mailbox("Nguyễn Thị Hoa", "hoa@donvi.vn")],
        "cc": [],
        "rendered": rendered,
        "now": t0,
    }
    assert enqueue(session, **values) is True
    assert enqueue(session, **values | {"now": t0 + timedelta(days=1)}) is False
    session.commit()
    (row,) = _rows()
    assert (row.status, row.attempts, row.next_attempt_at) == (OutboxStatus.PENDING, 0, t0)
    assert row.subject == rendered.subject
    assert row.message_id.endswith("@example.gov.vn>")
    assert row.to_addrs == values["to"]


def test_enqueue_race_from_many_threads_inserts_once(
    db: str, rendered: RenderedEmail, t0: datetime
) -> None:
    barrier = threading.Barrier(8)
    answers: list[bool] = []

    def attempt() -> None:
        with Session(get_engine()) as session:
            barrier.wait()
            answers.append(
                enqueue(
                    session,
                    key="race:1",
                    kind="call",
                    tier=0,
                    to=["a@donvi.vn"],
                    cc=[],
                    rendered=rendered,
                    now=t0,
                )
            )
            session.commit()

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [False] * 7 + [True]
    assert len(_rows()) == 1


def test_enqueue_needs_a_recipient(session: Session, rendered: RenderedEmail, t0: datetime) -> None:
    with pytest.raises(ValueError):
        enqueue(session, key="k", kind="call", tier=0, to=[], cc=[], rendered=rendered, now=t0)


def test_deliver_sends_each_once_over_one_connection(
    session: Session,
    rendered: RenderedEmail,
    t0: datetime,
    smtp_server: Server,
    make_settings: Callable[..., Settings],
) -> None:
    server = smtp_server()
    settings = make_settings(server.port)
    _queue(session, t0, 7, rendered=rendered)
    calls: list[tuple[int, int]] = []

    report = deliver_pending(t0, settings, batch_size=3, progress=lambda d, t: calls.append((d, t)))

    assert (report.sent, report.failed, report.retry_later, report.pending_left) == (7, 0, 0, 0)
    assert calls == [(i, 7) for i in range(1, 8)]
    assert server.connections == 1
    rows = _rows()
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    assert all(r.sent_at == t0 and r.attempts == 1 for r in rows)
    assert rows[0].recipient_results == {"dau-moi-0@donvi.vn": "accepted"}
    received = read_mailbox(server.mailbox_dir)
    assert [m["Message-ID"] for m in received] == [r.message_id for r in rows]
    # Dated by the campaign's clock (the moment delivery ran), not the machine's.
    assert {m["Date"].datetime for m in received} == {t0}
    assert len(_audit("sent")) == 7

    again = deliver_pending(t0 + timedelta(hours=1), settings)
    assert (again.sent, again.pending_left) == (0, 0)
    assert len(read_mailbox(server.mailbox_dir)) == 7
    assert server.connections == 1  # nothing due: no connection opened at all


def test_parallel_connections_send_each_once_and_stop_together_on_a_fault(
    session: Session,
    rendered: RenderedEmail,
    t0: datetime,
    smtp_server: Server,
    make_settings: Callable[..., Settings],
) -> None:
    """Three connections, each with its own claimed batches: every message once, every outcome
    and audit event once; a refused login is one fault, recorded once, and nothing claimed."""
    server = smtp_server()
    _queue(session, t0, 60, rendered=rendered)
    calls: list[int] = []

    report = deliver_pending(
        t0,
        make_settings(server.port, smtp_connections=3),
        batch_size=10,
        progress=lambda done, _total: calls.append(done),
    )

    assert (report.sent, report.failed, report.retry_later, report.pending_left) == (60, 0, 0, 0)
    assert server.connections == 3
    assert sorted(calls) == list(range(1, 61))  # the progress bar counts each message once
    received = read_mailbox(server.mailbox_dir)
    assert sorted(str(m["Message-ID"]) for m in received) == sorted(r.message_id for r in _rows())
    assert len(_audit("sent")) == 60

    _queue(session, t0, 30, rendered=rendered, kind="escalation")
    locked = smtp_server(auth=("tonvinh", PASSWORD))
    wrong = make_settings(
        locked.port, smtp_connections=3, smtp_user="tonvinh", smtp_password="sai-mat-khau"
    )
    refused = deliver_pending(t0, wrong, batch_size=10)
    assert refused.fault is not None and (refused.sent, refused.pending_left) == (0, 30)
    with Session(get_engine()) as fresh:
        assert len(fresh.exec(select(MailFault)).all()) == 1
    assert all(r.claim_token is None for r in _rows())


def test_not_yet_due_rows_wait(
    session: Session,
    rendered: RenderedEmail,
    t0: datetime,
    smtp_server: Server,
    make_settings: Callable[..., Settings],
) -> None:
    server = smtp_server()
    _queue(session, t0 + timedelta(minutes=5), 2, rendered=rendered)
    report = deliver_pending(t0, make_settings(server.port))
    assert (report.sent, report.pending_left) == (0, 2)
    assert server.received == 0


def test_limit_leaves_the_rest_pending(
    session: Session,
    rendered: RenderedEmail,
    t0: datetime,
    smtp_server: Server,
    make_settings: Callable[..., Settings],
) -> None:
    server = smtp_server()
    _queue(session, t0, 5, rendered=rendered)
    report = deliver_pending(t0, make_settings(server.port), batch_size=2, limit=3)
    assert (report.sent, report.pending_left) == (3, 2)
    assert [r.status for r in _rows()] == [OutboxStatus.SENT] * 3 + [OutboxStatus.PENDING] * 2


def test_server_down_then_up_delivers_each_exactly_once(
    session: Session,
    rendered: RenderedEmail,
    t0: datetime,
    tmp_path: Any,
    make_settings: Callable[..., Settings],
) -> None:
    port = free_port()  # nothing listens here yet
    settings = make_settings(port)
    _queue(session, t0, 5, rendered=rendered)

    down = deliver_pending(t0, settings, batch_size=2)

    assert (down.sent, down.failed, down.retry_later, down.pending_left) == (0, 0, 5, 5)
    rows = _rows()
    assert {(r.status, r.attempts) for r in rows} == {(OutboxStatus.PENDING, 1)}
    assert {r.next_attempt_at for r in rows} == {t0 + backoff(1)}
    assert all("ConnectionRefusedError" in (r.last_error or "") for r in rows)
    assert len(_audit("deferred")) == 5

    with MailboxServer(tmp_path / "mailbox", port=port) as server:
        early = deliver_pending(t0 + timedelta(seconds=30), settings)
        assert (early.sent, early.pending_left) == (0, 5)  # backoff not over yet
        up = deliver_pending(t0 + backoff(1), settings)
        assert (up.sent, up.retry_later, up.pending_left) == (5, 0, 0)
        assert deliver_pending(t0 + timedelta(hours=2), settings).sent == 0
        assert server.connections == 1
    received = read_mailbox(tmp_path / "mailbox")
    assert sorted(m["Message-ID"] for m in received) == sorted(r.message_id for r in rows)
    assert {(r.status, r.attempts) for r in _rows()} == {(OutboxStatus.SENT, 2)}


def test_451_then_accepted_on_retry(
    session: Session,
    rendered: RenderedEmail,
    t0: datetime,
    smtp_server: Server,
    make_settings: Callable[..., Settings],
) -> None:
    server = smtp_server(fail_data_times=1)
    settings = make_settings(server.port)
    _queue(session, t0, 2, rendered=rendered)

    first = deliver_pending(t0, settings)
    assert (first.sent, first.retry_later, first.pending_left) == (1, 1, 1)
    deferred, sent = _rows()
    assert deferred.status is OutboxStatus.PENDING and deferred.attempts == 1
    assert deferred.last_error is not None and "451" in deferred.last_error
    assert deferred.next_attempt_at == t0 + timedelta(minutes=1)
    assert sent.status is OutboxStatus.SENT

    second = deliver_pending(t0 + timedelta(minutes=1), settings)
    assert (second.sent, second.pending_left) == (1, 0)
    row = _rows()[0]
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)
    assert row.recipient_results == {"dau-moi-0@donvi.vn": "accepted"}
    assert len(read_mailbox(server.mailbox_dir)) == 2


def test_550_fails_and_the_operator_sees_it(
    session: Session,
    rendered: RenderedEmail,
    t0: datetime,
    smtp_server: Server,
    make_settings: Callable[..., Settings],
) -> None:
    server = smtp_server(fail_rcpt={"dau-moi-1@donvi.vn": "550 5.1.1 Hộp thư không tồn tại"})
    campaign = Campaign(
        code="tdkt-2018",
        year=2018,
        name="Tôn vinh 2018",
        rule_pack="nd91-2017",
        conference_date=date(2019, 3, 29),
        dispatch_on=date(2019, 1, 22),
        submission_due=date(2019, 3, 8),
        review_due=date(2019, 3, 15),
        council_on=date(2019, 3, 20),
        approval_due=date(2019, 3, 25),
        created_at=t0,
    )
    session.add(campaign)
    session.commit()
    _queue(session, t0, 3, rendered=rendered, campaign_id=campaign.id)

    report = deliver_pending(t0, make_settings(server.port))

    assert (report.sent, report.failed, report.retry_later) == (2, 1, 0)
    (failed,) = failed_messages(session, campaign.id)
    assert failed.status is OutboxStatus.FAILED
    assert failed.last_error == (
        "SMTPRecipientsRefused: dau-moi-1@donvi.vn: 550 5.1.1 Hộp thư không tồn tại"
    )
    assert failed.recipient_results == {
        "dau-moi-1@donvi.vn": "refused: 550 5.1.1 Hộp thư không tồn tại"
    }
    assert [m.id for m in failed_messages(session, None)] == [failed.id]
    assert failed_messages(session, (campaign.id or 0) + 1) == []
    (event,) = _audit("failed")
    assert (event.entity_id, event.campaign_id, event.to_state) == (
        failed.id,
        campaign.id,
        "failed",
    )

    # The operator fixes the address at the server's end and puts the message back.
    server.handler.fail_rcpt.clear()
    assert failed.id is not None
    assert requeue_failed(session, [failed.id], t0 + timedelta(hours=1), actor="operator") == 1
    session.commit()
    again = deliver_pending(t0 + timedelta(hours=1), make_settings(server.port))
    assert (again.sent, again.failed) == (1, 0)
    assert failed_messages(session, None) == []


def test_one_refused_recipient_of_two_counts_as_sent(
    session: Session,
    rendered: RenderedEmail,
    t0: datetime,
    smtp_server: Server,
    make_settings: Callable[..., Settings],
) -> None:
    server = smtp_server(fail_rcpt={"thu-truong@donvi.vn": "550 5.1.1 User unknown"})
    _queue(
        session,
        t0,
        1,
        rendered=rendered,
        cc=lambda _i: [mailbox("Thủ trưởng", "thu-truong@donvi.vn")],
    )
    report = deliver_pending(t0, make_settings(server.port))
    assert (report.sent, report.failed) == (1, 0)
    (row,) = _rows()
    assert row.status is OutboxStatus.SENT
    assert row.recipient_results == {
        "dau-moi-0@donvi.vn": "accepted",
        "thu-truong@donvi.vn": "refused: 550 5.1.1 User unknown",
    }
    assert row.last_error is not None and "thu-truong@donvi.vn" in row.last_error
    (event,) = _audit("sent")
    assert event.details["recipient_results"] == row.recipient_results


def test_transient_gives_up_after_max_attempts(
    session: Session,
    rendered: RenderedEmail,
    t0: datetime,
    smtp_server: Server,
    make_settings: Callable[..., Settings],
) -> None:
    server = smtp_server(fail_data_times=100)
    settings = make_settings(server.port)
    _queue(session, t0, 1, rendered=rendered)
    moment = t0
    delays = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = deliver_pending(moment, settings)
        (row,) = _rows()
        assert row.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert report.retry_later == 1 and row.status is OutboxStatus.PENDING
            delays.append(row.next_attempt_at - moment)
            moment = row.next_attempt_at
        else:
            assert report.failed == 1 and row.status is OutboxStatus.FAILED
            assert row.last_error is not None and "8" in row.last_error
    assert [d.total_seconds() / 60 for d in delays] == [1, 5, 15, 60, 120, 240, 480]
    assert server.connections == MAX_ATTEMPTS


def test_a_poison_row_fails_alone(
    session: Session,
    rendered: RenderedEmail,
    t0: datetime,
    smtp_server: Server,
    make_settings: Callable[..., Settings],
) -> None:
    server = smtp_server()
    _queue(
        session,
        t0,
        3,
        rendered=rendered,
        to=lambda i: ["không phải địa chỉ"] if i == 1 else [f"ok-{i}@donvi.vn"],
    )
    report = deliver_pending(t0, make_settings(server.port))
    assert (report.sent, report.failed) == (2, 1)
    bad = _rows()[1]
    assert bad.status is OutboxStatus.FAILED
    assert bad.last_error is not None and "Địa chỉ email không hợp lệ" in bad.last_error


def test_crash_after_claim_repeats_only_after_the_lease(
    session: Session,
    rendered: RenderedEmail,
    t0: datetime,
    smtp_server: Server,
    make_settings: Callable[..., Settings],
) -> None:
    """A runner that claimed rows and died: they are not lost, and not sent twice meanwhile."""
    server = smtp_server()
    settings = make_settings(server.port)
    _queue(session, t0, 3, rendered=rendered)
    claim = Claim(lease_seconds=3)
    with Session(get_engine(), expire_on_commit=False) as crashed:
        assert len(claim.take(crashed, t0, 2)) == 2  # ... and then the process dies
    during = deliver_pending(t0, settings)
    assert (during.sent, during.pending_left) == (1, 2)  # only the unclaimed one
    # The lease is real time, whatever the campaign clock says: wait it out.
    time.sleep(max(claim.remaining(), 0) + 0.2)
    after = deliver_pending(t0, settings)
    assert (after.sent, after.pending_left) == (2, 0)
    assert len(read_mailbox(server.mailbox_dir)) == 3
    assert {r.claim_token for r in _rows()} == {None}


def test_password_never_in_logs_errors_or_results(
    session: Session,
    rendered: RenderedEmail,
    t0: datetime,
    smtp_server: Server,
    make_settings: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("TONVINH_SMTP_PASSWORD", PASSWORD)
    wrong = smtp_server(auth=("thidua", "another-password"))
    good = smtp_server(auth=("thidua", PASSWORD))
    _queue(session, t0, 2, rendered=rendered)

    refused = deliver_pending(t0, Settings(smtp_port=wrong.port, smtp_user="thidua"))
    # A refused login is the configuration's fault, not the messages': recorded, rows untouched.
    assert refused.fault is not None and refused.fault.kind == "auth"
    assert (refused.sent, refused.retry_later, refused.pending_left) == (0, 0, 2)
    # Other settings (another server) are tried at once, and fix it.
    accepted = deliver_pending(t0 + backoff(1), Settings(smtp_port=good.port, smtp_user="thidua"))
    assert accepted.sent == 2 and good.logins == 1
    assert accepted.fault_resolved is not None

    with Session(get_engine()) as s:
        recorded = [f"{f.detail} {f.server}" for f in s.exec(select(MailFault)).all()]
        audited = [f"{e.reason} {e.details}" for e in s.exec(select(AuditEvent)).all()]
    stored = [f"{r.last_error} {r.recipient_results}" for r in _rows()] + recorded + audited
    text = "\n".join([*stored, caplog.text])
    assert "535" in text
    assert PASSWORD not in text
