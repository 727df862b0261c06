"""The outbox: every email is first a row, and the row is the truth about what was sent.

Enqueue
    ``enqueue`` inserts one ``OutboxMessage`` per idempotency key with ``INSERT … ON CONFLICT
    (idempotency_key) DO NOTHING`` (SQLite and PostgreSQL dialects), so two flows racing to send
    the same nudge insert it once, and a re-run of a stage queues nothing new. The Message-ID is
    fixed at enqueue time, so a retried message keeps its identity for the receiving side.

Deliver
    ``notifications.delivery`` sends what is queued, one row at a time, each row's outcome
    committed right after the server's answer; the names callers use are re-exported here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import make_msgid
from typing import Any, cast

from sqlalchemy import Table, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from models import audit
from models.audit import AuditEntity
from models.clock import to_vn
from models.outbox import OutboxMessage, OutboxStatus
from models.settings import get_settings
from notifications import faults
from notifications.attachments import MailAttachment, to_column
from notifications.delivery import BACKOFF_MINUTES as BACKOFF_MINUTES
from notifications.delivery import MAX_ATTEMPTS as MAX_ATTEMPTS
from notifications.delivery import DeliveryReport as DeliveryReport
from notifications.delivery import backoff as backoff
from notifications.delivery import count_due as count_due
from notifications.delivery import count_pending as count_pending
from notifications.delivery import deliver_pending as deliver_pending
from notifications.faults import MailBlocked
from notifications.faults import fault_campaigns as fault_campaigns  # for flows.common
from notifications.render import RenderedEmail

log = logging.getLogger(__name__)

_TABLE = cast(Table, inspect(OutboxMessage).local_table)


def key_for(campaign_id: int | None, unit_id: int | None, kind: str, tier: int) -> str:
    """``campaign:unit:kind:tier`` — the identity of one nudge ("-" for no campaign/unit)."""
    campaign = "-" if campaign_id is None else str(campaign_id)
    unit = "-" if unit_id is None else str(unit_id)
    return f"{campaign}:{unit}:{kind}:{tier}"


def _sender_domain() -> str:
    return get_settings().smtp_sender.rpartition("@")[2] or "localhost"


@dataclass(frozen=True)
class OutboxItem:
    """One email to queue: its idempotency key, who receives it and what it says."""

    key: str
    kind: str
    tier: int
    to: list[str]
    cc: list[str]
    rendered: RenderedEmail
    campaign_id: int | None = None
    unit_id: int | None = None
    # The campaign unit whose link the bodies carry as models.access.LINK_PLACEHOLDER.
    link_part_id: int | None = None
    # The council member whose ballot link the bodies carry as the same placeholder.
    link_member_id: int | None = None
    # The committee task whose owner's link the bodies carry (the same placeholder).
    link_task_id: int | None = None
    # The conference invitee whose link the bodies carry (the same placeholder).
    link_invitee_id: int | None = None
    # Files the email carries (the call: the unit's own Excel list), notifications.attachments.
    attachments: tuple[MailAttachment, ...] = ()


def enqueue(
    session: Session,
    *,
    key: str,
    kind: str,
    tier: int,
    to: list[str],
    cc: list[str],
    rendered: RenderedEmail,
    now: datetime,
    campaign_id: int | None = None,
    unit_id: int | None = None,
) -> bool:
    """Queue one email in the caller's transaction; False if ``key`` was already queued.

    Race-safe on SQLite and PostgreSQL: the unique key and ``ON CONFLICT DO NOTHING`` decide,
    not a read-then-write. ``to``/``cc`` are ``formataddr`` strings (see ``addresses.mailbox``).
    """
    item = OutboxItem(key, kind, tier, to, cc, rendered, campaign_id, unit_id)
    return key in enqueue_many(session, [item], now)


def enqueue_many(session: Session, items: Sequence[OutboxItem], now: datetime) -> set[str]:
    """Queue many emails in the caller's transaction with ONE multi-row insert; returns the
    keys actually inserted (a key already queued, or repeated in ``items``, is skipped).

    Same guarantees as ``enqueue``: ``INSERT … ON CONFLICT (idempotency_key) DO NOTHING``.
    """
    if not items:
        return set()
    moment = to_vn(now)
    domain = _sender_domain()
    rows: list[dict[str, Any]] = []
    for item in items:
        if not item.to:
            raise ValueError(f"outbox {item.key}: no recipient / không có người nhận")
        rows.append(
            {
                "idempotency_key": item.key,
                "campaign_id": item.campaign_id,
                "unit_id": item.unit_id,
                "kind": item.kind,
                "tier": item.tier,
                "to_addrs": list(item.to),
                "cc_addrs": list(item.cc),
                "subject": item.rendered.subject,
                "text_body": item.rendered.text,
                "html_body": item.rendered.html,
                "message_id": make_msgid(domain=domain),
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": moment,
                "last_error": None,
                "recipient_results": {},
                "created_at": moment,
                "sent_at": None,
                "link_part_id": item.link_part_id,
                "link_member_id": item.link_member_id,
                "link_task_id": item.link_task_id,
                "link_invitee_id": item.link_invitee_id,
                "attachments": to_column(item.attachments),
            }
        )
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        statement: Any = sqlite.insert(_TABLE)
    elif dialect == "postgresql":
        statement = postgresql.insert(_TABLE)
    else:
        raise NotImplementedError(f"outbox enqueue: unsupported database {dialect!r}")
    # The campaign or unit may have been added in this very transaction: flush it first so
    # the foreign keys hold (a Core insert does not autoflush the ORM session).
    session.flush()
    # RETURNING, not rowcount: psycopg's rowcount does not say which rows went in, and
    # SQLAlchemy's "insertmanyvalues" sends the rows in pages of many, each page one statement.
    statement = statement.on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(
        _TABLE.c.idempotency_key, sort_by_parameter_order=False
    )
    inserted: set[str] = set()
    for start in range(0, len(rows), 500):
        result = session.connection().execute(statement, rows[start : start + 500])
        inserted.update(result.scalars().all())
    return inserted


def mail_blocked(
    session: Session, campaign_id: int | None = None, campaign_code: str = ""
) -> MailBlocked | None:
    """Why no email is leaving, for the campaign's status, artifacts and ``tonvinh mail
    failed``: the open configuration fault (cause, server's answer, since when, how many of the
    campaign's emails wait, the red "Email không gửi được: …" line), or None."""
    return faults.mail_blocked(session, campaign_id, campaign_code)


def failed_messages(session: Session, campaign_id: int | None) -> list[OutboxMessage]:
    """Messages that failed for good (oldest first), for the operator to fix and requeue."""
    statement = select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
    if campaign_id is not None:
        statement = statement.where(OutboxMessage.campaign_id == campaign_id)
    return list(session.exec(statement.order_by(col(OutboxMessage.id))).all())


def partly_refused(campaign_id: int | None) -> list[Any]:
    """The WHERE of a message sent to some recipients and refused for others: ``_apply`` marks
    it sent with ``last_error`` naming the refused addresses (each refusal is in
    ``recipient_results``). For listing them and for counting them."""
    criteria: list[Any] = [
        OutboxMessage.status == OutboxStatus.SENT,
        col(OutboxMessage.last_error).is_not(None),
    ]
    if campaign_id is not None:
        criteria.append(OutboxMessage.campaign_id == campaign_id)
    return criteria


def partially_refused(session: Session, campaign_id: int | None) -> list[OutboxMessage]:
    """Messages some recipient refused (oldest first), see ``partly_refused``."""
    statement = select(OutboxMessage).where(*partly_refused(campaign_id))
    return list(session.exec(statement.order_by(col(OutboxMessage.id))).all())


def requeue_failed(session: Session, message_ids: Iterable[int], now: datetime, actor: str) -> int:
    """Put failed messages back in the queue (after fixing an address or the server).

    The operator says the settings were fixed, too: an open configuration fault no longer holds
    the next delivery back (it tries the server at once), even with no id at all."""
    moment = to_vn(now)
    wanted = list(message_ids)
    faults.allow_probe_now(session, moment, actor)
    if not wanted:
        return 0
    rows = session.exec(
        select(OutboxMessage)
        .where(col(OutboxMessage.id).in_(wanted))
        .where(OutboxMessage.status == OutboxStatus.FAILED)
    ).all()
    for row in rows:
        assert row.id is not None
        audit.record(
            session,
            at=moment,
            actor=actor,
            entity=AuditEntity.OUTBOX,
            entity_id=row.id,
            action="requeued",
            campaign_id=row.campaign_id,
            from_state=str(OutboxStatus.FAILED),
            to_state=str(OutboxStatus.PENDING),
            reason=row.last_error or "",
        )
        row.status = OutboxStatus.PENDING
        row.attempts = 0
        row.next_attempt_at = moment
        session.add(row)
    return len(rows)
