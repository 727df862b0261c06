"""When no email can leave at all: a refused login, a TLS failure, a relay that refuses us.

Delivery records the fault and stops instead of deferring every message blindly; nothing is
marked sent or failed, no attempt is counted; the operator is told (``mail_blocked``: the red
"Email không gửi được" line); the server is not knocked on again before it is worth it; and
once the settings are fixed every message goes out, once. Real servers on loopback (aiosmtpd
and a raw-socket peer), a real database (SQLite, and PostgreSQL when configured).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from models.audit import AuditEvent
from models.db import get_engine
from models.outbox import MailFault, OutboxMessage, OutboxStatus
from models.settings import Settings
from notifications.addresses import mailbox
from notifications.outbox import deliver_pending, enqueue, key_for, mail_blocked, requeue_failed
from notifications.render import render_email
from notifications.smtp_server import MailboxServer, read_mailbox
from tests.notifications.smtp_peers import SmtpPeer

Server = Callable[..., MailboxServer]
RIGHT = "dung-mat-khau"


def _queue(session: Session, now: datetime, count: int, context: dict[str, Any]) -> None:
    rendered = render_email("reminder", context)
    for i in range(count):
        enqueue(
            session,
            key=key_for(None, None, "reminder", i),
            kind="reminder",
            tier=i,
            to=[mailbox(f"Đầu mối {i}", f"dau-moi-{i}@donvi.example.gov.vn")],
            cc=[],
            rendered=rendered,
            now=now,
        )
    session.commit()


def _rows() -> list[OutboxMessage]:
    with Session(get_engine()) as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all())


def _untouched() -> bool:
    """Every row as it was queued: pending, never attempted, held by nobody."""
    return {(r.status, r.attempts, r.claim_token, r.last_error) for r in _rows()} == {
        (OutboxStatus.PENDING, 0, None, None)
    }


def _blocked_line() -> str | None:
    with Session(get_engine()) as session:
        blocked = mail_blocked(session)
        return None if blocked is None else blocked.line


def test_a_refused_login_stops_delivery_is_shown_and_after_the_fix_each_goes_once(
    session: Session,
    sample_context: dict[str, Any],
    t0: datetime,
    smtp_server: Server,
    make_settings: Callable[..., Settings],
) -> None:
    server = smtp_server(auth=("thidua", RIGHT))
    wrong = make_settings(server.port, smtp_user="thidua", smtp_password="sai-mat-khau")
    _queue(session, t0, 4, sample_context)

    report = deliver_pending(t0, wrong)

    assert report.fault is not None and (report.fault.kind, report.fault.new) == ("auth", True)
    assert (report.sent, report.failed, report.retry_later, report.pending_left) == (0, 0, 0, 4)
    assert _untouched()  # nothing sent, failed or counted: it is not the messages' fault
    line = _blocked_line()
    assert line is not None
    assert line.startswith("Email không gửi được: máy chủ thư từ chối đăng nhập")
    assert "535 5.7.8 Authentication credentials invalid" in line
    assert "4 email đang chờ" in line and "Email is not leaving" in line
    assert "sai-mat-khau" not in line

    # The next run does not knock again (a wrong password repeated can lock the account) ...
    connections = server.connections
    again = deliver_pending(t0 + timedelta(minutes=5), wrong)
    assert again.fault is not None and not again.fault.checked
    assert server.connections == connections and _untouched()

    # ... until the operator, having fixed the password, asks (tonvinh mail requeue).
    fixed = make_settings(server.port, smtp_user="thidua", smtp_password=RIGHT)
    requeue_failed(session, [], t0 + timedelta(minutes=10), actor="Lê Thị Thu")
    session.commit()
    sent = deliver_pending(t0 + timedelta(minutes=10), fixed)

    assert (sent.sent, sent.pending_left, sent.fault) == (4, 0, None)
    assert sent.fault_resolved is not None and sent.fault_resolved.kind == "auth"
    assert _blocked_line() is None
    received = sorted(str(m["Message-ID"]) for m in read_mailbox(server.mailbox_dir))
    assert received == sorted(r.message_id for r in _rows())  # each once
    with Session(get_engine()) as s:
        [fault] = s.exec(select(MailFault)).all()
        actions = [
            (e.action, e.actor)
            for e in s.exec(
                select(AuditEvent)
                .where(AuditEvent.entity == "mailfault")
                .order_by(col(AuditEvent.id))
            ).all()
        ]
    assert fault.resolved_at is not None and fault.occurrences == 1
    assert actions == [
        ("opened", "mailer"),
        ("retry_requested", "Lê Thị Thu"),
        ("resolved", "mailer"),
    ]


def test_changed_settings_are_tried_at_once(
    session: Session,
    sample_context: dict[str, Any],
    t0: datetime,
    smtp_server: Server,
    make_settings: Callable[..., Settings],
) -> None:
    """A fault belongs to the settings it was seen with: other settings (another login name, a
    new server) are tried without waiting for the next probe."""
    server = smtp_server(auth=("thidua", RIGHT))
    _queue(session, t0, 2, sample_context)
    blocked = deliver_pending(t0, make_settings(server.port, smtp_user="sai", smtp_password=RIGHT))
    assert blocked.fault is not None and blocked.fault.kind == "auth"
    sent = deliver_pending(t0, make_settings(server.port, smtp_user="thidua", smtp_password=RIGHT))
    assert (sent.sent, sent.pending_left) == (2, 0) and _blocked_line() is None


def test_a_relay_that_refuses_every_recipient_is_a_fault_not_failed_mail(
    session: Session,
    sample_context: dict[str, Any],
    t0: datetime,
    make_settings: Callable[..., Settings],
    smtp_server: Server,
) -> None:
    _queue(session, t0, 3, sample_context)
    with SmtpPeer(
        rcpt_reply="554 5.7.1 <dau-moi-0@donvi.example.gov.vn>: Relay access denied"
    ) as peer:
        report = deliver_pending(t0, make_settings(peer.port, outbox_fault_probe_minutes=0))
        assert report.fault is not None and report.fault.kind == "relay"
        assert (report.sent, report.failed, report.retry_later) == (0, 0, 0)
        assert _untouched()  # the operator does not have to requeue three "failed" emails
        line = _blocked_line()
        assert line is not None and "máy chủ thư không nhận chuyển thư" in line
        assert "554 5.7.1" in line
        # With no wait between probes, the next run tries again, and meets it again.
        again = deliver_pending(t0 + timedelta(minutes=1), make_settings(peer.port))
        assert again.fault is not None and again.fault.checked and not again.fault.new
        assert peer.received == [] and _untouched()
    # The relay is fixed (here: another server that relays for us): everything goes, once.
    good = smtp_server()
    sent = deliver_pending(t0 + timedelta(minutes=2), make_settings(good.port))
    assert (sent.sent, sent.pending_left) == (3, 0) and _blocked_line() is None
    with Session(get_engine()) as s:
        [fault] = s.exec(select(MailFault)).all()
    assert fault.occurrences == 2 and fault.resolved_at is not None


def test_tls_that_cannot_be_set_up_is_a_fault(
    session: Session,
    sample_context: dict[str, Any],
    t0: datetime,
    smtp_server: Server,
    make_settings: Callable[..., Settings],
) -> None:
    plain = smtp_server()  # speaks no TLS at all
    _queue(session, t0, 2, sample_context)
    implicit = deliver_pending(t0, make_settings(plain.port, smtp_tls="ssl"))
    assert implicit.fault is not None and implicit.fault.kind == "tls"
    assert "SSL" in implicit.fault.detail  # e.g. [SSL: WRONG_VERSION_NUMBER]
    starttls = deliver_pending(t0, make_settings(plain.port, smtp_tls="starttls"))
    assert starttls.fault is not None and starttls.fault.kind == "tls"
    assert "STARTTLS" in starttls.fault.detail
    assert _untouched() and plain.received == 0
    line = _blocked_line()
    assert line is not None and "không thiết lập được kết nối mã hóa TLS" in line


def test_an_unreachable_server_is_not_a_fault(
    session: Session,
    sample_context: dict[str, Any],
    t0: datetime,
    make_settings: Callable[..., Settings],
) -> None:
    """A server that is down is the network's trouble, not the settings': deferred with
    backoff as before, no red line."""
    from notifications.smtp_server import free_port

    _queue(session, t0, 2, sample_context)
    report = deliver_pending(t0, make_settings(free_port()))
    assert (report.retry_later, report.fault) == (2, None)
    assert _blocked_line() is None
