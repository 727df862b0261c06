"""Delivering the outbox: claimed batches, one SMTP connection each, a commit per message.

Deliver — the guarantee
    ``deliver_pending`` claims a batch of due rows with a random claim token and a short,
    renewed lease (``notifications.claims``: a second runner skips them, a dead runner's rows
    return within the lease), mints the batch's link tokens in one commit
    (``notifications.links``), and over ONE SMTP connection (``smtp_connections`` of them, each
    in a forked process of its own with its own batches, when more) for each row: sends, then
    commits that row's outcome (status, attempts, per-recipient answers, audit event) right
    after the server's answer — only while the row is still held by this claim (``WHERE id = …
    AND claim_token = …``). A row is marked sent only after the server accepted it. A crash
    between the server's acceptance and that commit can therefore, at worst, send again the ONE
    message each connection had in flight, once its lease expires; every other row is either
    committed with its real outcome or still pending. A runner that finds a row no longer its
    own stops sending its batch. Nothing is lost: when the server cannot be reached, every due
    row is deferred with backoff. "A crash" means our process (a kill, a reboot of the worker);
    the database's own crash or power loss may forget the last ~0.6 s of outcomes, which are
    then sent again, because the per-row commits do not wait for the disk
    (``_outcome_connection``).

Deadlines
    Connecting and each message have a deadline a watchdog enforces however slowly the peer
    trickles bytes (``notifications.deadline``); each fits inside the lease, which is renewed
    before any message it might not cover. When one passes, the connection is closed, the
    message in flight is deferred (it may have gone: at most that one can arrive twice), and
    the rest of the batch is deferred with backoff without knocking again. A run starts no new
    message after ``outbox_run_deadline_seconds``; what it did not reach stays due.

Configuration faults
    A refused login, a TLS failure or a relay that refuses us stops the run: the rows are
    released untouched, the fault is recorded (``notifications.faults``) and shown to the
    operator, and delivery tries the server again only when that is worth it; the first
    accepted message resolves the fault.

Retry policy
    Transient failures (4xx, refused or dropped connections, timeouts) retry after 1, 5, 15,
    60, 120, 240, 480 minutes (then 480). A message the server keeps answering 4xx fails for
    good on the 8th attempt; an unreachable server never fails a message (an outage over a
    weekend delays mail, it does not lose it). Permanent failures (5xx, invalid address) fail
    at once. ``failed_messages`` lists them for the operator (``partially_refused`` the sent
    ones some recipient refused), ``requeue_failed`` puts them back after a fix.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from multiprocessing.connection import Connection as PipeEnd
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, bindparam, func, insert, inspect, update
from sqlmodel import Session, col, select

from models import audit
from models.audit import AuditEntity
from models.clock import to_vn
from models.db import get_engine
from models.document import CampaignDocument
from models.outbox import MailFault, MailFaultKind, OutboxMessage, OutboxStatus
from models.settings import Settings
from notifications import faults, forking, links
from notifications.attachments import from_column
from notifications.claims import Claim, claimable, wall_now
from notifications.faults import FaultNotice
from notifications.mailer import (
    DeliveryOutcome,
    DeliveryResult,
    Mailer,
    OutgoingEmail,
)

log = logging.getLogger(__name__)

BACKOFF_MINUTES: tuple[int, ...] = (1, 5, 15, 60, 120, 240, 480)
# How often a connection with nothing due looks again while the stage is still queueing.
QUEUE_POLL_SECONDS = 0.02
MAX_ATTEMPTS = 8
ACTOR = "mailer"

_TABLE = cast(Table, inspect(OutboxMessage).local_table)
# Built once: constructing and cache-keying a statement per message cost as much as running it.
# Only while the row is still ours (claim_token): a runner that lost the row writes nothing.
_RECORD_OUTCOME = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("row_id"))
    .where(_TABLE.c.claim_token == bindparam("token"))
    .values(
        status=bindparam("new_status", type_=_TABLE.c.status.type),
        attempts=bindparam("new_attempts"),
        recipient_results=bindparam("new_results", type_=_TABLE.c.recipient_results.type),
        sent_at=bindparam("new_sent_at", type_=_TABLE.c.sent_at.type),
        next_attempt_at=bindparam("new_next_attempt_at", type_=_TABLE.c.next_attempt_at.type),
        last_error=bindparam("new_last_error"),
        claim_token=None,
        claimed_at=None,
        claim_expires_at=None,
    )
)
_AUDIT_INSERT = insert(audit.TABLE)


@dataclass(frozen=True)
class DeliveryReport:
    """One delivery run: ``pending_left`` is every row still pending afterwards (due or not);
    ``failed_ids`` the rows this run failed for good, for whoever reports them; ``fault`` the
    configuration fault that stopped it (or stopped it from trying), ``fault_resolved`` the
    one it found fixed; ``lost_claims`` 1 when it stopped because a row was no longer its own."""

    sent: int
    failed: int
    retry_later: int
    pending_left: int
    failed_ids: tuple[int, ...] = ()
    fault: FaultNotice | None = None
    fault_resolved: FaultNotice | None = None
    lost_claims: int = 0


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after ``attempts`` failed ones (1 → 1 min, … capped)."""
    index = min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1
    return timedelta(minutes=BACKOFF_MINUTES[index])


def _outgoing(row: OutboxMessage, date: datetime | None = None) -> OutgoingEmail:
    return OutgoingEmail(
        to=list(row.to_addrs),
        cc=list(row.cc_addrs or []),
        subject=row.subject,
        text=row.text_body,
        html=row.html_body,
        message_id=row.message_id,
        date=date,
        attachments=from_column(row.attachments),  # NULL for most rows: none
    )


def _apply(
    connection: Connection, row: OutboxMessage, result: DeliveryResult, now: datetime, token: str
) -> str | None:
    """Write one row's outcome and its audit event on ``connection`` (the caller commits), if
    the row is still held by claim ``token``; returns the report bucket, None if it is not."""
    assert row.id is not None
    # Plain locals, not attributes of the (detached, instrumented) row: setting seven of them
    # cost more than the statements below. Only these statements write the outcome.
    attempts = row.attempts + 1
    results = dict(result.recipient_results)
    status, sent_at, next_attempt_at = row.status, row.sent_at, row.next_attempt_at
    details: dict[str, Any] = {
        "kind": row.kind,
        "tier": row.tier,
        "unit_id": row.unit_id,
        "message_id": row.message_id,
        "attempts": attempts,
        "outcome": str(result.outcome),
        "recipient_results": results,
    }
    if result.outcome in (DeliveryOutcome.SENT, DeliveryOutcome.PARTIAL):
        refused = sorted(a for a, r in results.items() if r != "accepted")
        status, sent_at, next_attempt_at = OutboxStatus.SENT, now, now
        last_error = (
            f"Một số người nhận bị từ chối / some recipients refused: {', '.join(refused)}"
            if refused
            else None
        )
        bucket, action = "sent", "sent"
    elif result.outcome is DeliveryOutcome.TRANSIENT and (
        attempts < MAX_ATTEMPTS or not result.reached_server
    ):
        # An unreachable server (a weekend outage) never fails a message for good; only a
        # server that keeps answering 4xx to this message does, after MAX_ATTEMPTS.
        next_attempt_at = now + backoff(attempts)
        last_error = result.error
        details["next_attempt_at"] = next_attempt_at.isoformat()
        bucket, action = "retry_later", "deferred"
    else:
        status = OutboxStatus.FAILED
        last_error = result.error or "unknown error"
        if result.outcome is DeliveryOutcome.TRANSIENT:
            last_error += f" (đã thử {attempts} lần / gave up after {attempts} attempts)"
        bucket, action = "failed", "failed"
    # Two prepared Core statements instead of an ORM flush: this runs once per message, between
    # the server's answer and the commit, on the critical path of every delivery.
    recorded = connection.execute(
        _RECORD_OUTCOME,
        {
            "row_id": row.id,
            "token": token,
            "new_status": status,
            "new_attempts": attempts,
            "new_results": results,
            "new_sent_at": sent_at,
            "new_next_attempt_at": next_attempt_at,
            "new_last_error": last_error,
        },
    ).rowcount
    if recorded != 1:
        return None  # another runner holds the row now: its outcome stands, not ours
    connection.execute(
        _AUDIT_INSERT,
        audit.values(
            at=now,
            actor=ACTOR,
            campaign_id=row.campaign_id,
            entity=AuditEntity.OUTBOX,
            entity_id=row.id,
            action=action,
            from_state=str(OutboxStatus.PENDING),
            to_state=str(status),
            reason=last_error or "",
            details=details,
        ),
    )
    return bucket


def _with_stored_copies(
    connection: Connection, row: OutboxMessage, outgoing: OutgoingEmail, root: Path
) -> OutgoingEmail:
    """``outgoing`` with each attachment this host's output folder lacks taken from the copy
    the database keeps (``services.documents``), when the campaign has one."""
    absent = [a for a in outgoing.attachments if not (root / a.path).is_file()]
    if not absent or row.campaign_id is None:
        return outgoing
    stored = dict(
        connection.execute(
            select(CampaignDocument.file_name, CampaignDocument.content).where(
                CampaignDocument.campaign_id == row.campaign_id,
                col(CampaignDocument.file_name).in_([a.name for a in absent]),
            )
        ).all()
    )
    return replace(
        outgoing,
        attachments=tuple(
            replace(a, content=stored[a.name]) if a in absent and a.name in stored else a
            for a in outgoing.attachments
        ),
    )


def _send_one(
    mailer: Mailer,
    row: OutboxMessage,
    now: datetime,
    connection: Connection,
    tokens: dict[int, str],
) -> DeliveryResult:
    """Send one row (with the fresh link minted for it if it carries one, ``tokens``:
    ``notifications.links``); a bug tied to one row's data fails that row instead of the whole
    outbox."""
    try:
        outgoing = _with_stored_copies(
            connection, row, _outgoing(row, now), mailer.settings.output_dir
        )
        return mailer.send(links.personalise(row, outgoing, tokens))
    except Exception as exc:  # a poison row must not block every row behind it
        log.exception("Outbox message %s could not be built or sent", row.id)
        error = mailer.redact(f"internal error: {type(exc).__name__}: {exc}")
        return DeliveryResult(DeliveryOutcome.PERMANENT, {}, error)


@contextmanager
def _outcome_connection(engine: Engine) -> Iterator[Connection]:
    """The connection a batch's per-row outcomes are committed on.

    On PostgreSQL those commits do not wait for the WAL flush (``synchronous_commit`` off, for
    this connection only; ~1 ms a message otherwise). A crash of our process still loses
    nothing committed; a crash of the database server itself within its WAL writer delay
    (~0.6 s) could forget the last outcomes, and those messages would be sent again — never
    lost. SQLite runs with ``synchronous=NORMAL``, the same trade (``models/db.py``).
    """
    with engine.connect() as connection:
        postgresql = connection.dialect.name == "postgresql"
        if postgresql:
            connection.exec_driver_sql("SET synchronous_commit = off")
            connection.commit()
        try:
            yield connection
        finally:
            if postgresql and not connection.invalidated:
                connection.rollback()
                connection.exec_driver_sql("RESET synchronous_commit")  # back to the pool clean
                connection.commit()


def count_due(session: Session, now: datetime) -> int:
    """Pending rows whose time has come and that no live runner holds."""
    statement = select(func.count()).select_from(_TABLE).where(claimable(to_vn(now), wall_now()))
    return int(session.exec(statement).one())


def count_pending(session: Session) -> int:
    """Every pending row, due now or later."""
    statement = (
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING)
    )
    return int(session.exec(statement).one())


def deliver_pending(
    now: datetime,
    settings: Settings,
    *,
    batch_size: int = 200,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    queue: Callable[[], object] | None = None,
) -> DeliveryReport:
    """Send every due pending row; see the module docstring.

    ``settings`` configures SMTP (``smtp_connections`` connections in parallel, each sending
    its own claimed batches), the lease and the deadlines; the database is the configured one
    (``models.db``). ``progress(done, total)`` is called after each row. ``limit`` caps the rows
    handled (on one connection).

    ``queue()``, the stage's queueing (committing chunk by chunk), runs first with one
    connection; with several, once their processes are forked (one forked while another thread
    was inside SQLite hung on its lock), while they send each committed chunk.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    moment = to_vn(now)
    engine = get_engine()
    with Session(engine) as session:
        fault = faults.open_fault(session)
    if queue is not None and (bool(fault) or limit is not None or settings.smtp_connections < 2):
        queue()
        queue = None
    with Session(engine) as session:
        total = count_due(session, moment)
    if limit is not None:
        total = min(total, limit)
    if queue is not None:
        # How many rows will be due is not known yet: as many connections as configured.
        total = max(total, settings.smtp_connections * batch_size)
    run = _Run(settings, moment, total, progress)
    run.fault_open = fault is not None
    if total and not faults.may_try(fault, settings):
        # A known configuration fault, not yet worth another try: touch nothing.
        run.fault = _notice(fault)
        total = 0
    # No more connections than batches to fill them; a probe after a fault, and a capped run,
    # knock with one.
    connections = min(settings.smtp_connections, math.ceil(total / batch_size))
    if fault is not None or limit is not None:
        connections = min(connections, 1)
    if connections == 1:
        run.over_one_connection(engine, batch_size, limit)
    elif connections > 1:
        run.in_processes(engine, batch_size, connections, queue)
    with Session(engine) as session:
        pending_left = count_pending(session)
    report = run.report(pending_left)
    # The scheduler looks every minute: a look that found nothing to do is not news.
    level = logging.INFO if total or report.fault else logging.DEBUG
    log.log(level, "Outbox delivery at %s: %s", moment.isoformat(), report)
    return report


def _notice(fault: MailFault | None) -> FaultNotice | None:
    if fault is None:
        return None
    return FaultNotice(fault.kind, fault.detail, fault.server, fault.first_seen_at)


@dataclass
class _BatchEnd:
    """How a batch ended: ``unreachable`` to carry into the next batch, ``halt`` the run."""

    unreachable: DeliveryResult | None
    halt: bool = False


class _Run:
    """One ``deliver_pending`` call: its counts, its deadline and the fault it met."""

    def __init__(
        self,
        settings: Settings,
        moment: datetime,
        total: int,
        progress: Callable[[int, int], None] | None,
    ) -> None:
        self.settings = settings
        self.moment = moment
        self.total = total
        self.progress = progress
        self.counts = {"sent": 0, "failed": 0, "retry_later": 0}
        self.failed_ids: list[int] = []
        self.done = 0
        self.fault: FaultNotice | None = None
        self.resolved: FaultNotice | None = None
        self.fault_open = False
        self.lost = 0
        self.stop_at = time.monotonic() + settings.outbox_run_deadline_seconds
        # A stop for every connection of the run (a configuration fault is every connection's
        # problem): a process-shared event when they are processes (``in_processes``).
        self.lock = threading.Lock()
        self.halted: threading.Event | EventType = threading.Event()
        # Set while the stage is still queueing (``deliver_pending``'s ``queue``).
        self.queueing: threading.Event | EventType = threading.Event()

    def over_one_connection(self, engine: Engine, batch_size: int, limit: int | None) -> None:
        """Open one SMTP connection and send claimed batches over it until none is due."""
        with Mailer(self.settings) as mailer:
            if mailer.connect_fault is not None:  # found before claiming anything
                with engine.connect() as connection:
                    self.record_fault(connection, mailer.connect_fault, mailer.connect_error)
                return
            unreachable = None
            if mailer.connect_error is not None:
                # Connecting just failed (refused, or past its deadline): defer what is due
                # without a second try now; the backoff decides when to knock again.
                unreachable = DeliveryResult(
                    DeliveryOutcome.TRANSIENT, {}, mailer.connect_error, reached_server=False
                )
            self.deliver(engine, mailer, batch_size, limit, unreachable)

    def in_processes(
        self, engine: Engine, batch_size: int, connections: int, queue: Callable[[], object] | None
    ) -> None:
        """``connections`` SMTP connections at once, each in a process of its own (forked, so
        nothing is imported again) with its own claimed batches, its own database connection and
        a commit per message: the wait for one server's answer overlaps another's, and so does
        each one's Python work (threads shared one interpreter lock: 4 threads were slower than
        one connection, BENCHMARKS.md). The guarantee per connection is unchanged: a crash
        repeats at most the message each connection had in flight. The processes die with this
        one (``forking.die_with_parent``); each reports its outcomes after every batch, and this
        process records a configuration fault one of them met, once."""
        context = multiprocessing.get_context("fork")
        self.halted = context.Event()
        self.queueing = context.Event()
        if queue is not None:
            self.queueing.set()
        readers: dict[PipeEnd, BaseProcess] = {}
        with forking.frozen_heap():
            for index in range(connections):
                reader, writer = context.Pipe(duplex=False)
                process = context.Process(
                    target=_connection_main,
                    args=(self, writer, batch_size, os.getpid(), engine),
                    name=f"outbox-smtp-{index}",
                    daemon=True,
                )
                process.start()
                writer.close()
                readers[reader] = process
        failed: BaseException | None = None
        try:  # meanwhile the connections send what it commits (and, if it fails, what it did)
            if queue is not None:
                queue()
        except BaseException as exc:
            failed = exc
        self.queueing.clear()
        errors: list[str] = []
        met: tuple[MailFaultKind, str | None] | None = None
        while readers:
            for ready in cast(list[PipeEnd], wait(list(readers))):
                try:
                    kind, payload = ready.recv()
                except EOFError:
                    ended = readers.pop(ready)
                    ended.join()
                    if ended.exitcode != 0 and not errors:
                        errors.append(f"{ended.name} ended with exit code {ended.exitcode}")
                    continue
                if kind == "outcomes":
                    outcomes, lost = payload
                    self.lost = max(self.lost, lost)
                    for bucket, row_id in outcomes:
                        self.tally(bucket, row_id)
                elif kind == "fault":
                    met = met or payload
                else:  # "error": the child's traceback
                    errors.insert(0, payload)
        if met is not None:
            with engine.connect() as connection:
                self.record_fault(connection, *met)
        if failed is not None:
            raise failed
        if errors:
            raise RuntimeError(f"Outbox delivery connection failed: {errors[0]}")

    def report(self, pending_left: int) -> DeliveryReport:
        return DeliveryReport(
            pending_left=pending_left,
            failed_ids=tuple(self.failed_ids),
            fault=self.fault,
            fault_resolved=self.resolved,
            lost_claims=self.lost,
            **self.counts,
        )

    def record_fault(self, connection: Connection, kind: MailFaultKind, detail: str | None) -> None:
        """Record the configuration fault on ``connection`` and commit (once per run: the
        other connections meet the same fault) and stop every connection."""
        self.halted.set()
        text = detail or str(kind)
        with self.lock:
            if self.fault is not None:
                return
            self.fault = faults.record_fault(connection, kind, text, self.settings, self.moment)
            connection.commit()
        log.error("Email không gửi được / email is not leaving (%s): %s; stopped", kind, text)

    def deliver(
        self,
        engine: Engine,
        mailer: Mailer,
        batch_size: int,
        limit: int | None,
        unreachable: DeliveryResult | None,
    ) -> None:
        settings = self.settings
        while (limit is None or self.done < limit) and not self.halted.is_set():
            if unreachable is None and time.monotonic() + _needed(settings, False) > self.stop_at:
                break  # the run's own deadline: the rest stays due for the next run
            size = batch_size if limit is None else min(batch_size, limit - self.done)
            claim = Claim(settings.outbox_claim_lease_seconds)
            # Asked before looking: a look after the queueing ended sees its last chunk.
            queueing = self.queueing.is_set()
            with Session(engine, expire_on_commit=False) as session:
                rows = claim.take(session, self.moment, size)
            if not rows:
                if queueing:
                    time.sleep(QUEUE_POLL_SECONDS)  # the stage's next chunk
                    continue
                break
            # One connection for the batch's writes: a Session would hand its connection back
            # to the pool (and roll it back) after every per-row commit.
            with _outcome_connection(engine) as connection:
                try:
                    end = self._batch(connection, mailer, claim, rows, unreachable)
                finally:
                    # Whatever happened (a stop, a bug, a signal): rows not reached are due
                    # again at once, never left claimed until the lease runs out.
                    if claim.held:
                        _release(connection, claim)
            self.after_batch()
            unreachable = end.unreachable
            if end.halt:
                break
        if unreachable is not None:
            log.warning(
                "SMTP server unreachable or too slow; %d message(s) deferred: %s",
                self.counts["retry_later"],
                unreachable.error,
            )

    def _batch(
        self,
        connection: Connection,
        mailer: Mailer,
        claim: Claim,
        rows: list[OutboxMessage],
        unreachable: DeliveryResult | None,
    ) -> _BatchEnd:
        end = _BatchEnd(unreachable)
        # The batch's links, minted and committed together before its first message goes.
        tokens = links.mint_for(connection, rows, self.moment) if unreachable is None else {}
        for row in rows:
            if self.halted.is_set():
                end.halt = True  # another connection met a fault: the rest is released
                return end
            if end.unreachable is None:
                # Start a message only if the run and the lease both cover it (the lease is
                # renewed first if not; a renewal that finds a row gone stops the batch).
                needed = _needed(self.settings, mailer.connected)
                if time.monotonic() + needed > self.stop_at:
                    end.halt = True  # out of time: the rest is released, due at once
                    return end
                if not claim.ensure(connection, needed):
                    self._lost(claim)
                    end.halt = True
                    return end
            result = end.unreachable or _send_one(mailer, row, self.moment, connection, tokens)
            if result.fault is not None:
                # Not this message's problem but every message's: release the lot untouched.
                connection.rollback()
                claim.release(connection)
                self.record_fault(connection, result.fault, result.error)
                end.halt = True
                return end
            if not result.reached_server or result.timed_out:
                # Unreachable, or too slow to trust: defer the rest without knocking again.
                end.unreachable = DeliveryResult(
                    DeliveryOutcome.TRANSIENT, {}, result.error, reached_server=False
                )
            bucket = _apply(connection, row, result, self.moment, claim.token)
            if bucket is None:
                connection.rollback()
                self._lost(claim)
                end.halt = True
                return end
            if bucket == "sent" and self.fault_open:
                with self.lock:
                    resolve, self.fault_open = self.fault_open, False
                if resolve:
                    self.resolved = faults.resolve_faults(connection, self.moment)
            connection.commit()  # this row's truth, right after the server's answer
            claim.held -= 1
            self.tally(bucket, cast(int, row.id))
        return end

    def tally(self, bucket: str, row_id: int) -> None:
        """Count one row's outcome (and move the progress bar)."""
        with self.lock:
            self.counts[bucket] += 1
            if bucket == "failed":
                self.failed_ids.append(row_id)
            self.done += 1
            if self.progress is not None:
                self.progress(self.done, max(self.total, self.done))

    def after_batch(self) -> None:
        """Called after each batch (a connection process reports its outcomes here)."""

    def _lost(self, claim: Claim) -> None:
        self.lost = 1
        log.error(
            "Outbox claim %s: a row is no longer ours (another runner took it over); this "
            "runner stops sending and leaves that runner's rows to it",
            claim.token,
        )


def _needed(settings: Settings, connected: bool) -> float:
    """Seconds of lease a message needs before it starts: its deadline, a reconnect's when
    not connected, and a tenth of the lease as a margin for committing its outcome."""
    needed = settings.smtp_message_deadline_seconds + settings.outbox_claim_lease_seconds / 10
    if not connected:
        needed += settings.smtp_connect_deadline_seconds
    return min(needed, settings.outbox_claim_lease_seconds)


def _release(connection: Connection, claim: Claim) -> None:
    """Release a claim after an interruption; a failure here (the database gone) must not hide
    the original error: the lease then frees the rows."""
    try:
        connection.rollback()
        claim.release(connection)
    except Exception:
        log.exception("Could not release outbox claim %s; its lease will", claim.token)


class _ConnectionRun(_Run):
    """The part of a run one connection process does: it counts its own outcomes and sends them
    to the run's process after each batch; a configuration fault it meets stops every
    connection and is recorded there."""

    def __init__(self, run: _Run, writer: PipeEnd) -> None:
        super().__init__(run.settings, run.moment, run.total, None)
        self.stop_at = run.stop_at
        self.halted = run.halted
        self.queueing = run.queueing
        self.writer = writer
        self.outcomes: list[tuple[str, int]] = []

    def tally(self, bucket: str, row_id: int) -> None:
        self.outcomes.append((bucket, row_id))

    def after_batch(self) -> None:
        self.writer.send(("outcomes", (self.outcomes, self.lost)))
        self.outcomes = []

    def record_fault(self, connection: Connection, kind: MailFaultKind, detail: str | None) -> None:
        self.halted.set()
        self.writer.send(("fault", (kind, detail)))


def _connection_main(
    run: _Run, writer: PipeEnd, batch_size: int, parent_pid: int, engine: Engine
) -> None:
    """The body of one connection process (forked by ``_Run.in_processes``)."""
    forking.die_with_parent(parent_pid)
    child = _ConnectionRun(run, writer)
    try:
        # Never the inherited engine: its connections belong to the parent.
        child.over_one_connection(forking.own_engine(engine), batch_size, None)
        child.after_batch()
    except BaseException:
        run.halted.set()
        writer.send(("error", traceback.format_exc()))
        raise
