"""Configuration faults: when no email can leave at all, say so once and stop knocking.

A refused login (535), a TLS failure or a relay that refuses our mail is not a problem of any
one message: deferring each message with backoff (the old behaviour) kept every email waiting
forever behind a log warning nobody read. Instead delivery records the fault in ``mailfault``,
releases its rows untouched (no attempt counted, nothing failed), and stops. The campaign's
status, its summary artifact and ``tonvinh mail failed`` show a red "Email không gửi được: …"
line with the cause (``MailBlocked``), and a ``tonvinh.email.blocked`` event goes out.

While the fault is open, delivery tries the server again (one connection, not one per message)
only when ``probe_after`` (wall clock) has passed, when the SMTP settings differ from those the
fault was seen with, or when the operator asks (``tonvinh mail requeue``, after fixing the
settings). The first message the server accepts resolves the fault; the mail then goes out,
each message once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import Connection, Table, func, insert, inspect, or_, update
from sqlmodel import Session, col, select

from models import audit
from models.audit import AuditEntity
from models.campaign import Campaign
from models.outbox import MailFault, MailFaultKind, OutboxMessage, OutboxStatus
from models.settings import Settings
from notifications.mailer import smtp_identity

ACTOR = "mailer"
_FAULTS = cast(Table, inspect(MailFault).local_table)

# What each fault means for the operator, and what to fix (Vietnamese, English).
CAUSES: dict[str, tuple[str, str]] = {
    MailFaultKind.AUTH: (
        "máy chủ thư từ chối đăng nhập — kiểm tra TONVINH_SMTP_USER / TONVINH_SMTP_PASSWORD",
        "the SMTP server refused the login — check TONVINH_SMTP_USER / TONVINH_SMTP_PASSWORD",
    ),
    MailFaultKind.TLS: (
        "không thiết lập được kết nối mã hóa TLS — kiểm tra TONVINH_SMTP_TLS, cổng và chứng chỉ",
        "TLS with the SMTP server failed — check TONVINH_SMTP_TLS, the port and the certificate",
    ),
    MailFaultKind.RELAY: (
        "máy chủ thư không nhận chuyển thư của hệ thống — kiểm tra quyền gửi của tài khoản, "
        "địa chỉ người gửi và máy chủ",
        "the SMTP server refuses to relay our mail — check the account's sending rights, the "
        "sender address and the server",
    ),
}


def wall_now() -> datetime:
    """The real time (UTC): probing is about real minutes, whatever the campaign's clock says."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class FaultNotice:
    """A configuration fault as one delivery run knows it: met when it tried the server
    (``checked``; ``new`` when first seen then), still open without a try (neither), or
    resolved. What the ``tonvinh.email.blocked`` event carries."""

    kind: str
    detail: str
    server: str
    since: datetime
    new: bool = False
    checked: bool = False

    def payload(self) -> dict[str, Any]:
        vi, en = CAUSES.get(self.kind, ("", ""))
        return {
            "kind": self.kind,
            "cause": f"{vi} / {en}",
            "detail": self.detail,
            "server": self.server,
            "since": self.since.isoformat(),
            "new": self.new,
        }


class MailBlocked(BaseModel):
    """The open configuration fault as the operator sees it; ``line`` is the red line."""

    kind: str
    cause: str
    detail: str
    server: str
    since: datetime
    last_seen: datetime
    occurrences: int
    waiting: int  # emails pending (of the campaign, when one is asked about)
    line: str


def open_fault(session: Session) -> MailFault | None:
    """The open configuration fault (the newest, should two runners have recorded one)."""
    statement = (
        select(MailFault)
        .where(col(MailFault.resolved_at).is_(None))
        .order_by(col(MailFault.id).desc())
        .limit(1)
    )
    return session.exec(statement).first()


def may_try(fault: MailFault | None, settings: Settings, now: datetime | None = None) -> bool:
    """Whether delivery may connect: no fault, or its probe time has come, or the SMTP settings
    are not the ones it was seen with (someone changed them: try them at once)."""
    if fault is None:
        return True
    if fault.server != smtp_identity(settings):
        return True
    return (now or wall_now()) >= fault.probe_after


def record_fault(
    connection: Connection,
    kind: MailFaultKind,
    detail: str,
    settings: Settings,
    moment: datetime,
) -> FaultNotice:
    """Record (or confirm) the open fault on ``connection`` with an audit event; the caller
    commits. The next probe waits ``outbox_fault_probe_minutes`` of real time."""
    server = smtp_identity(settings)
    probe_after = wall_now() + timedelta(minutes=settings.outbox_fault_probe_minutes)
    current = connection.execute(
        select(_FAULTS.c.id, _FAULTS.c.kind, _FAULTS.c.server, _FAULTS.c.first_seen_at)
        .where(_FAULTS.c.resolved_at.is_(None))
        .order_by(_FAULTS.c.id.desc())
        .limit(1)
    ).first()
    if current is not None and (current.kind, current.server) == (str(kind), server):
        fault_id, since, new = int(current.id), current.first_seen_at, False
        connection.execute(
            update(_FAULTS)
            .where(_FAULTS.c.id == fault_id)
            .values(
                detail=detail,
                last_seen_at=moment,
                occurrences=_FAULTS.c.occurrences + 1,
                probe_after=probe_after,
            )
        )
    else:
        if current is not None:  # another cause, or other settings: that one is over
            _resolve(connection, moment, "superseded")
        fault_id = int(
            connection.execute(
                insert(_FAULTS)
                .values(
                    kind=str(kind),
                    detail=detail,
                    server=server,
                    first_seen_at=moment,
                    last_seen_at=moment,
                    occurrences=1,
                    probe_after=probe_after,
                )
                .returning(_FAULTS.c.id)
            ).scalar_one()
        )
        since, new = moment, True
    connection.execute(
        insert(audit.TABLE),
        audit.values(
            at=moment,
            actor=ACTOR,
            entity=AuditEntity.MAIL_FAULT,
            entity_id=fault_id,
            action="opened" if new else "seen",
            to_state=str(kind),
            reason=detail,
            details={"server": server, "probe_after": probe_after.isoformat()},
        ),
    )
    return FaultNotice(str(kind), detail, server, since, new=new, checked=True)


def _resolve(connection: Connection, moment: datetime, why: str) -> list[Any]:
    rows = connection.execute(
        update(_FAULTS)
        .where(_FAULTS.c.resolved_at.is_(None))
        .values(resolved_at=moment)
        .returning(
            _FAULTS.c.id,
            _FAULTS.c.kind,
            _FAULTS.c.detail,
            _FAULTS.c.server,
            _FAULTS.c.first_seen_at,
        )
    ).all()
    for row in rows:
        connection.execute(
            insert(audit.TABLE),
            audit.values(
                at=moment,
                actor=ACTOR,
                entity=AuditEntity.MAIL_FAULT,
                entity_id=int(row.id),
                action="resolved",
                from_state=str(row.kind),
                reason=why,
            ),
        )
    return list(rows)


def resolve_faults(connection: Connection, moment: datetime) -> FaultNotice | None:
    """The server accepted a message: every open fault is over (audited); the caller commits."""
    rows = _resolve(connection, moment, "máy chủ đã nhận thư / the server accepted a message")
    if not rows:
        return None
    last = rows[-1]
    return FaultNotice(str(last.kind), str(last.detail), str(last.server), last.first_seen_at)


def allow_probe_now(session: Session, moment: datetime, actor: str) -> bool:
    """The operator fixed the settings (``tonvinh mail requeue``): let the next delivery try the
    server at once. In the caller's transaction; False when no fault is open."""
    fault = open_fault(session)
    if fault is None:
        return False
    assert fault.id is not None
    fault.probe_after = wall_now()
    session.add(fault)
    audit.record(
        session,
        at=moment,
        actor=actor,
        entity=AuditEntity.MAIL_FAULT,
        entity_id=fault.id,
        action="retry_requested",
        from_state=fault.kind,
        reason="thử lại ngay / try again now",
    )
    return True


def blocked_line(kind: str, detail: str, since: datetime, waiting: int, campaign: str) -> str:
    """The red line: "Email không gửi được: <cause> …" then the same in English."""
    vi, en = CAUSES.get(kind, (kind, kind))
    then = f"tonvinh mail requeue {campaign}".rstrip()
    return (
        f"Email không gửi được: {vi} (máy chủ trả lời: {detail}). Từ {since:%d/%m/%Y %H:%M}; "
        f"{waiting} email đang chờ. Sửa cấu hình rồi chạy: {then} / "
        f"Email is not leaving: {en} (server said: {detail}). Since {since:%Y-%m-%d %H:%M}; "
        f"{waiting} email(s) waiting. Fix the settings, then run: {then}"
    )


def mail_blocked(
    session: Session, campaign_id: int | None = None, campaign_code: str = ""
) -> MailBlocked | None:
    """The open configuration fault, with the emails it holds back (the campaign's when
    ``campaign_id`` is given); None while mail can leave. Two small indexed queries."""
    fault = open_fault(session)
    if fault is None:
        return None
    waiting_query = (
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING)
    )
    if campaign_id is not None:
        waiting_query = waiting_query.where(OutboxMessage.campaign_id == campaign_id)
    waiting = int(session.exec(waiting_query).one())
    vi, en = CAUSES.get(fault.kind, (fault.kind, fault.kind))
    return MailBlocked(
        kind=fault.kind,
        cause=f"{vi} / {en}",
        detail=fault.detail,
        server=fault.server,
        since=fault.first_seen_at,
        last_seen=fault.last_seen_at,
        occurrences=fault.occurrences,
        waiting=waiting,
        line=blocked_line(fault.kind, fault.detail, fault.first_seen_at, waiting, campaign_code),
    )


def fault_campaigns(session: Session, since: datetime) -> tuple[str, ...]:
    """Codes of the campaigns a fault concerns: mail still pending, or sent since it began
    (their artifacts must show it, then show it gone)."""
    statement = (
        select(Campaign.code)
        .where(
            col(Campaign.id).in_(
                select(OutboxMessage.campaign_id).where(
                    or_(
                        col(OutboxMessage.status) == OutboxStatus.PENDING,
                        col(OutboxMessage.sent_at) >= since,
                    )
                )
            )
        )
        .order_by(Campaign.code)
    )
    return tuple(session.exec(statement).all())
