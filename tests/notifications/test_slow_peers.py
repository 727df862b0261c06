"""The outbox against slow and stalling SMTP servers: every message once, and never a hang.

Real peers on loopback (``smtp_peers.SmtpPeer``: raw sockets, real replies, slow on purpose),
a real database (SQLite, and PostgreSQL when configured). Delays and leases are shrunk from
the field's (3 s a reply, a 60 s lease) to keep the tests short; their ratios are kept.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from models.audit import AuditEvent
from models.db import get_engine
from models.outbox import OutboxMessage, OutboxStatus
from models.settings import Settings
from notifications.addresses import mailbox
from notifications.outbox import DeliveryReport, backoff, deliver_pending, enqueue, key_for
from notifications.render import render_email
from notifications.smtp_server import MailboxServer, read_mailbox
from tests.notifications.smtp_peers import SmtpPeer

REPO = Path(__file__).resolve().parents[2]
REPLY_DELAY = 0.2  # seconds before each answer: ~0.8 s a message (MAIL, RCPT, DATA, end)
LEASE = 3.0  # a batch of 6 takes ~5 s: it outlives its lease unless the lease is renewed
SLOW = {
    "outbox_claim_lease_seconds": LEASE,
    "smtp_connect_deadline_seconds": 1.2,  # greeting + EHLO: ~0.4 s
    "smtp_message_deadline_seconds": 1.6,  # four answers: ~0.8 s
}


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


def _sent_events() -> list[AuditEvent]:
    with Session(get_engine()) as session:
        return list(
            session.exec(
                select(AuditEvent).where(AuditEvent.entity == "outbox", AuditEvent.action == "sent")
            ).all()
        )


def test_two_runners_and_a_server_slower_than_the_lease_send_each_message_once(
    session: Session,
    sample_context: dict[str, Any],
    t0: datetime,
    make_settings: Callable[..., Settings],
) -> None:
    """The doubled mail of issue 16: a batch outlasting its lease used to be claimed and sent
    again by a second runner. Renewed claims keep a healthy batch's rows its own."""
    _queue(session, t0, 12, sample_context)
    reports: dict[str, DeliveryReport] = {}
    with SmtpPeer(reply_delay=REPLY_DELAY) as peer:
        settings = make_settings(peer.port, **SLOW)

        def runner(name: str) -> None:
            reports[name] = deliver_pending(t0, settings, batch_size=6)

        first = threading.Thread(target=runner, args=("first",))
        second = threading.Thread(target=runner, args=("second",))
        started = time.monotonic()
        first.start()
        # The second runner comes once the first one's original lease has run out, while the
        # first is still in the middle of its batch: exactly when the old code sent twice.
        time.sleep(LEASE + 0.5)
        second.start()
        first.join(timeout=120)
        second.join(timeout=120)
        elapsed = time.monotonic() - started
        arrived = peer.counts()

    assert not first.is_alive() and not second.is_alive()
    rows = _rows()
    assert set(arrived) == {r.message_id for r in rows}  # every message arrived ...
    assert set(arrived.values()) == {1}  # ... exactly once
    assert {(r.status, r.attempts, r.claim_token) for r in rows} == {(OutboxStatus.SENT, 1, None)}
    assert len(_sent_events()) == 12  # one outcome per message, none overwritten
    assert reports["first"].sent + reports["second"].sent == 12
    assert reports["second"].sent > 0  # both worked: the second took what nobody held
    assert reports["first"].lost_claims == reports["second"].lost_claims == 0
    assert elapsed > LEASE  # (the scenario holds: the first batch outlived its lease)


DELIVER_IN_CHILD = """
import sys
from datetime import datetime
from models.settings import get_settings
from notifications.outbox import deliver_pending

report = deliver_pending(datetime.fromisoformat(sys.argv[1]), get_settings(), batch_size=50)
print(f"sent={report.sent} lost={report.lost_claims} retry={report.retry_later}", flush=True)
"""


def test_a_runner_frozen_past_its_lease_loses_its_rows_and_overwrites_nothing(
    db: str,
    session: Session,
    sample_context: dict[str, Any],
    t0: datetime,
    make_settings: Callable[..., Settings],
) -> None:
    """A process stopped longer than its lease (SIGSTOP: a VM pause, a swap storm) comes back
    to find its rows taken over: it writes no outcome over the other runner's and stops."""
    _queue(session, t0, 8, sample_context)
    with SmtpPeer(reply_delay=0.1) as peer:
        env = {
            **os.environ,
            "TONVINH_DATABASE_URL": db,
            "TONVINH_SMTP_HOST": "127.0.0.1",
            "TONVINH_SMTP_PORT": str(peer.port),
            "TONVINH_SMTP_TLS": "none",
            "TONVINH_OUTBOX_CLAIM_LEASE_SECONDS": "2",
            "TONVINH_SMTP_CONNECT_DEADLINE_SECONDS": "0.8",
            "TONVINH_SMTP_MESSAGE_DEADLINE_SECONDS": "0.8",
        }
        child = subprocess.Popen(
            [sys.executable, "-c", DELIVER_IN_CHILD, t0.isoformat()],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while not peer.received:
                assert child.poll() is None, child.communicate()
                assert time.monotonic() < deadline, "the child sent nothing"
                time.sleep(0.01)
            os.kill(child.pid, signal.SIGSTOP)
            time.sleep(2.5)  # past its lease
            # Another runner takes the frozen one's rows over and sends them.
            takeover = deliver_pending(t0, make_settings(peer.port))
            os.kill(child.pid, signal.SIGCONT)
            out, err = child.communicate(timeout=60)
        finally:
            if child.poll() is None:
                child.kill()
        arrived = peer.counts()

    assert child.returncode == 0, err
    assert "lost=1" in out, out  # it noticed, and stopped
    assert takeover.sent >= 1
    rows = _rows()
    assert {(r.status, r.claim_token) for r in rows} == {(OutboxStatus.SENT, None)}
    assert len(_sent_events()) == 8  # one outcome each: the frozen runner overwrote none
    assert set(arrived) == {r.message_id for r in rows}
    # At most the one message on the frozen runner's open connection arrived twice.
    assert sum(n - 1 for n in arrived.values()) <= 1


def test_a_trickled_greeting_is_cut_at_the_deadline_and_the_rows_deferred(
    session: Session,
    sample_context: dict[str, Any],
    t0: datetime,
    make_settings: Callable[..., Settings],
) -> None:
    """One byte of greeting every 0.5 s: every read gets something before its 5 s timeout, so
    without a deadline delivery would wait ~14 s for this greeting (forever for a worse one)."""
    _queue(session, t0, 3, sample_context)
    with SmtpPeer(dribble_greeting_every=0.5) as peer:
        settings = make_settings(peer.port, smtp_connect_deadline_seconds=1.0)
        started = time.monotonic()
        report = deliver_pending(t0, settings)
        elapsed = time.monotonic() - started
        deadline = time.monotonic() + 10
        while peer.closed_by_client < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert peer.closed_by_client == 1  # we hung up; the peer did not
    assert elapsed < 5.0  # the 1 s deadline, not the peer's ~14 s
    assert (report.sent, report.retry_later, report.pending_left) == (0, 3, 3)
    rows = _rows()
    # Deferred with backoff, as for an unreachable server; nothing left claimed.
    deferred = {(r.status, r.attempts, r.claim_token) for r in rows}
    assert deferred == {(OutboxStatus.PENDING, 1, None)}
    assert {r.next_attempt_at for r in rows} == {t0 + backoff(1)}
    assert all("quá hạn 1 s khi kết nối" in (r.last_error or "") for r in rows)
    assert all("deadline of 1 s passed" in (r.last_error or "") for r in rows)


def test_an_answer_that_stalls_midway_is_cut_and_the_batch_deferred(
    session: Session,
    sample_context: dict[str, Any],
    t0: datetime,
    make_settings: Callable[..., Settings],
    tmp_path: Path,
) -> None:
    """The server takes the message, starts its answer ("25…") and never finishes it: the
    message deadline closes the connection, the message in flight and the rest wait for a
    retry, and the retry sends each message to the next server once."""
    _queue(session, t0, 3, sample_context)
    with SmtpPeer(stall_message_reply=True) as peer:
        settings = make_settings(peer.port, smtp_message_deadline_seconds=1.0)
        started = time.monotonic()
        report = deliver_pending(t0, settings)
        elapsed = time.monotonic() - started
        stalled = peer.counts()
    assert elapsed < 5.0
    assert (report.sent, report.retry_later, report.pending_left) == (0, 3, 3)
    assert sum(stalled.values()) == 1  # one message reached it; the rest never went out
    rows = _rows()
    deferred = {(r.status, r.attempts, r.claim_token) for r in rows}
    assert deferred == {(OutboxStatus.PENDING, 1, None)}
    assert "quá hạn 1 s khi gửi thư" in (rows[0].last_error or "")

    with MailboxServer(tmp_path / "healthy") as healthy:
        retry = deliver_pending(t0 + backoff(1), make_settings(healthy.port))
    assert (retry.sent, retry.pending_left) == (3, 0)
    received = [str(m["Message-ID"]) for m in read_mailbox(tmp_path / "healthy")]
    assert sorted(received) == sorted(r.message_id for r in rows)  # each once


def test_a_run_stops_starting_messages_at_its_own_deadline(
    session: Session,
    sample_context: dict[str, Any],
    t0: datetime,
    make_settings: Callable[..., Settings],
) -> None:
    """A slow but healthy server: the run ends on time, the messages it did not reach stay due
    (no attempt counted, nothing claimed) for the next run, which sends them."""
    _queue(session, t0, 6, sample_context)
    with SmtpPeer(reply_delay=REPLY_DELAY) as peer:
        settings = make_settings(peer.port, **SLOW, outbox_run_deadline_seconds=3.5)
        report = deliver_pending(t0, settings)
        assert 1 <= report.sent < 6 and report.retry_later == 0
        left = [r for r in _rows() if r.status is OutboxStatus.PENDING]
        assert {(r.attempts, r.claim_token, r.next_attempt_at) for r in left} == {(0, None, t0)}
        rest = deliver_pending(t0 + timedelta(seconds=1), make_settings(peer.port, **SLOW))
        arrived = peer.counts()
    assert rest.sent == 6 - report.sent
    assert set(arrived.values()) == {1} and len(arrived) == 6
