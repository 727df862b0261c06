"""A delivery process killed with SIGKILL in the middle of a batch loses nothing and repeats at
most the one message each of its SMTP connections had in flight; the rest of its batches wait at
most one claim lease for another runner. The counts are printed (``-s``) and recorded as the
test's ``sigkill`` property.

The SMTP server runs in this test process, so it survives the kill; the delivery runs in a
child process with the test's settings (database, SMTP port), as the scheduler would run it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from models.db import get_engine
from models.outbox import OutboxStatus
from models.settings import get_settings
from notifications.addresses import mailbox
from notifications.claims import wall_now
from notifications.outbox import deliver_pending, enqueue, key_for
from notifications.render import render_email
from notifications.smtp_server import MailboxServer, read_mailbox
from tests.nudges.support import at, outbox_rows, point_smtp_at

MESSAGES = 300
KILL_AFTER = 40  # messages received before the kill
# The child's claim lease (real seconds): long enough for the runner below to start inside it,
# short enough to wait out. Its deadlines must fit inside it (Settings checks).
LEASE = 10.0
T0 = at(date(2027, 1, 27), 8)
REPO = Path(__file__).resolve().parents[2]

DELIVER = """
import sys
from datetime import datetime
from models.settings import get_settings
from notifications.outbox import deliver_pending

settings = get_settings()
now = datetime.fromisoformat(sys.argv[1])
print(deliver_pending(now, settings, batch_size=settings.outbox_batch_size), flush=True)
"""

CONTEXT: dict[str, Any] = {
    "campaign_name": "Hội nghị biểu dương điển hình tiên tiến năm 2026",
    "campaign_code": "tdkt-2026",
    "unit_name": "Cục Viễn thông",
    "focal_name": "Nguyễn Thị Hoa",
    "department_name": "Vụ Thi đua - Khen thưởng",
    "ministry_name": "Bộ Thông tin và Truyền thông",
    "deadline_text": "Thứ Tư, ngày 03/02/2027",
    "working_days_left": 5,
    "submission_url": "https://thidua.example.gov.vn/nop/tok",
    "template_file_name": "tdkt-2026_cuc_vt.xlsx",
    "tier": 1,
}


def _maildir_count(folder: Path) -> int:
    new = folder / "new"
    return sum(1 for _ in new.iterdir()) if new.is_dir() else 0


def _slow_down(server: MailboxServer, seconds: float) -> None:
    """Make the server take ``seconds`` per message, so a kill lands mid-batch, not after it.

    aiosmtpd looks the hooks up on the handler for each new connection: deleting the instance
    attribute gives the class's own method back for the next connection.
    """
    accept = server.handler.handle_DATA

    async def handle_data(*args: Any) -> str:
        await asyncio.sleep(seconds)
        return await accept(*args)

    server.handler.handle_DATA = handle_data  # type: ignore[method-assign, assignment]


@pytest.mark.slow
@pytest.mark.parametrize(("connections", "batch"), [(1, 200), (3, 50)])
def test_sigkill_mid_batch_repeats_at_most_the_message_in_flight(
    database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    record_property: Callable[[str, object], None],
    connections: int,
    batch: int,
) -> None:
    rendered = render_email("reminder", CONTEXT)
    with Session(get_engine()) as session:
        for i in range(MESSAGES):
            enqueue(
                session,
                key=key_for(None, None, "reminder", i),
                kind="reminder",
                tier=i,
                to=[mailbox(f"Đầu mối {i}", f"dau-moi-{i}@donvi.example.gov.vn")],
                cc=[],
                rendered=rendered,
                now=T0,
            )
        session.commit()

    with MailboxServer(tmp_path / "mailbox") as server:
        _slow_down(server, 0.01)
        point_smtp_at(monkeypatch, server.port)
        env = {
            **os.environ,
            "TONVINH_DATABASE_URL": database,
            "TONVINH_OUTBOX_CLAIM_LEASE_SECONDS": str(LEASE),
            "TONVINH_SMTP_CONNECT_DEADLINE_SECONDS": "2",
            "TONVINH_SMTP_MESSAGE_DEADLINE_SECONDS": "2",
            "TONVINH_SMTP_CONNECTIONS": str(connections),
            "TONVINH_OUTBOX_BATCH_SIZE": str(batch),
        }
        child = subprocess.Popen(
            [sys.executable, "-c", DELIVER, T0.isoformat()],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while _maildir_count(server.mailbox_dir) < KILL_AFTER:
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the delivery process sent nothing"
            time.sleep(0.005)
        os.kill(child.pid, signal.SIGKILL)
        killed_at = wall_now()
        child.communicate(timeout=10)
        assert child.returncode == -signal.SIGKILL
        # Its connection processes get their SIGKILL as it dies (forking.die_with_parent); let
        # them go before counting.
        time.sleep(0.5)
        before = _maildir_count(server.mailbox_dir)
        claimed = connections * batch  # the first batch each of the child's connections took
        assert server.connections == connections
        assert KILL_AFTER <= before < claimed  # killed in the middle of those batches
        del server.handler.handle_DATA  # back to full speed for the runs below

        # The rest of the dead run's batches: still claimed, each until at most one lease after
        # the kill (the lease is on the wall clock; the recovery waits at most that).
        held = [r for r in outbox_rows() if r.status == OutboxStatus.PENDING and r.claim_token]
        assert held and all(r.claim_expires_at is not None for r in held)
        waits = [(r.claim_expires_at - killed_at).total_seconds() for r in held]  # type: ignore[operator]
        assert max(waits) <= LEASE
        # A runner right after sends only what nobody had claimed ...
        soon = deliver_pending(T0, get_settings())
        assert (soon.sent, soon.failed, soon.pending_left) == (MESSAGES - claimed, 0, len(held))
        # ... and once the lease has run out, another one sends the rest.
        time.sleep(max(0.0, max(waits) - (wall_now() - killed_at).total_seconds()) + 0.1)
        later = deliver_pending(T0, get_settings())
        assert (later.sent, later.failed, later.retry_later) == (len(held), 0, 0)
        assert later.pending_left == 0

    received = read_mailbox(server.mailbox_dir)
    counts = Counter(str(m["Message-ID"]) for m in received)
    rows = outbox_rows()
    assert len(rows) == MESSAGES
    assert all(r.status == OutboxStatus.SENT for r in rows)
    assert set(counts) == {r.message_id for r in rows}  # every message arrived
    assert max(counts.values()) <= 2  # none more than twice ...
    repeated = sum(1 for n in counts.values() if n == 2)
    assert repeated <= connections  # ... and at most one per connection twice
    assert len(received) == MESSAGES + repeated
    figures = {
        "connections": connections,
        "messages": MESSAGES,
        "received_before_kill": before,
        "held_by_the_dead_run": len(held),
        "sent_by_a_runner_within_the_lease": soon.sent,
        "sent_after_the_lease": later.sent,
        "received": len(received),
        "repeated": repeated,
        "lost": MESSAGES - len(counts),
        "lease_s": LEASE,
        "longest_wait_s": round(max(waits), 2),
    }
    record_property("sigkill", figures)
    print(f"SIGKILL counts: {json.dumps(figures)}")
