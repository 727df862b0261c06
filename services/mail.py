"""The operator's side of the outbox: deliver and report what failed, list the emails that need
a hand, and put failed ones back in the queue once the cause is fixed."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from models.campaign import Campaign
from models.db import session_scope
from models.outbox import OutboxMessage, OutboxStatus
from models.settings import get_settings
from models.unit import Unit
from notifications.outbox import (
    DeliveryReport,
    MailBlocked,
    deliver_pending,
    failed_messages,
    fault_campaigns,
    mail_blocked,
    partially_refused,
    requeue_failed,
)
from services import events
from services.campaigns import load_campaign
from services.errors import OperatorError

log = logging.getLogger(__name__)
FAILED_EXAMPLES_PER_EVENT = 20


class ProblemEmail(BaseModel):
    """An email of the campaign that needs the operator: which one, of what, to whom."""

    id: int
    kind: str
    unit_code: str | None
    to: list[str]
    cc: list[str]


class FailedEmail(ProblemEmail):
    """An email that failed for good, as the operator needs it to fix and requeue it."""

    error: str
    attempts: int


class RefusedEmail(ProblemEmail):
    """An email sent to some recipients and refused for others: ``refused`` maps each refused
    address to the server's answer."""

    refused: dict[str, str]
    sent_at: datetime | None


class MailProblems(BaseModel):
    campaign: str
    failed: list[FailedEmail]
    partially_refused: list[RefusedEmail]
    mail_blocked: MailBlocked | None = None  # no email can leave at all


def mail_problems(session: Session, campaign_code: str) -> MailProblems:
    """Every email of a campaign that failed for good, and every one partly refused."""
    campaign = load_campaign(session, campaign_code)
    failed = failed_messages(session, campaign.id)
    refused = partially_refused(session, campaign.id)
    unit_ids = {m.unit_id for m in [*failed, *refused] if m.unit_id is not None}
    codes = dict(session.exec(select(Unit.id, Unit.code).where(col(Unit.id).in_(unit_ids))).all())

    def problem(message: OutboxMessage) -> dict[str, Any]:
        return {
            "id": cast(int, message.id),
            "kind": message.kind,
            "unit_code": codes.get(message.unit_id),
            "to": list(message.to_addrs),
            "cc": list(message.cc_addrs or []),
        }

    return MailProblems(
        campaign=campaign.code,
        failed=[
            FailedEmail(**problem(m), error=m.last_error or "", attempts=m.attempts) for m in failed
        ],
        partially_refused=[
            RefusedEmail(
                **problem(m),
                refused={a: r for a, r in m.recipient_results.items() if r != "accepted"},
                sent_at=m.sent_at,
            )
            for m in refused
        ],
        mail_blocked=mail_blocked(session, campaign.id, campaign.code),
    )


@dataclass(frozen=True)
class Delivery:
    """One delivery run: the outbox's report and the campaigns (codes) with an email that
    failed for good in this run."""

    report: DeliveryReport
    failed_campaigns: tuple[str, ...]
    # Campaigns whose mail a configuration fault has just blocked, or that its fix has just
    # released: their artifacts must say so.
    blocked_campaigns: tuple[str, ...] = ()


def _report_failed_emails(session: Session, failed: Sequence[OutboxMessage]) -> tuple[str, ...]:
    """Emails that failed for good in one delivery run, said where an operator looks: one
    `tonvinh.email.failed` event per campaign concerned (an Automation can act on it; the
    campaign is a label of the resource, a related resource and the payload's ``campaign``) and
    a warning in the logs. The campaign's summary artifact lists every failed email as well.
    Returns the campaigns' codes."""
    by_campaign: dict[int | None, list[OutboxMessage]] = defaultdict(list)
    for message in failed:
        by_campaign[message.campaign_id].append(message)
    ids = [i for i in by_campaign if i is not None]
    codes = dict(
        session.exec(select(Campaign.id, Campaign.code).where(col(Campaign.id).in_(ids))).all()
    )
    totals = dict(
        session.exec(
            select(OutboxMessage.campaign_id, func.count())
            .where(col(OutboxMessage.campaign_id).in_(ids))
            .where(OutboxMessage.status == OutboxStatus.FAILED)
            .group_by(OutboxMessage.campaign_id)  # type: ignore[arg-type]
        ).all()
    )
    for campaign_id, messages in by_campaign.items():
        code = codes.get(campaign_id)  # None for a message of no campaign
        resource = {"prefect.resource.id": "tonvinh.outbox"}
        related = []
        if code is not None:
            resource["tonvinh.campaign"] = code
            related.append(events.campaign_resource(code) | {"prefect.resource.role": "campaign"})
        # Messages with no campaign (none today) count only themselves.
        total = totals.get(campaign_id, len(messages))
        events.publish(
            "tonvinh.email.failed",
            resource,
            related=related,
            payload={
                "campaign": code,
                "failed": len(messages),
                "failed_total": total,
                "latest": [
                    {
                        "id": m.id,
                        "kind": m.kind,
                        "to": list(m.to_addrs),
                        "error": m.last_error or "",
                    }
                    for m in messages[-FAILED_EXAMPLES_PER_EVENT:]
                ],
            },
        )
        log.warning(
            "%s: %d email gửi lỗi trong lần gửi này (%d trong đợt); xem `tonvinh mail failed %s`"
            " và tóm tắt đợt. (%d email(s) failed for good in this run, %d in the campaign; see "
            "the campaign's summary artifact.)",
            code or "—",
            len(messages),
            total,
            code or "",
            len(messages),
            total,
        )
    return tuple(sorted(codes.values()))


def deliver_and_report(now: datetime, queue: Callable[[], object] | None = None) -> Delivery:
    """Send every pending email, then report what failed for good in this run.

    The one delivery path: the flows' ``deliver-outbox`` task, the scheduler's background
    delivery and ``tonvinh mail requeue`` all call it, so a failure looks the same wherever it
    happened. It opens its own sessions: each message's outcome commits on its own. ``queue``:
    the stage's queueing, overlapped with sending (``notifications.delivery.deliver_pending``).
    """
    settings = get_settings()
    report = deliver_pending(now, settings, batch_size=settings.outbox_batch_size, queue=queue)
    blocked = _report_mail_fault(report)
    if not report.failed_ids:
        return Delivery(report, (), blocked)
    with session_scope() as session:
        failed = session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.id).in_(report.failed_ids))
            .order_by(col(OutboxMessage.id))
        ).all()
        return Delivery(report, _report_failed_emails(session, failed), blocked)


def _report_mail_fault(report: DeliveryReport) -> tuple[str, ...]:
    """No email can leave (a configuration fault this run met: at most once per probe, every
    15 minutes by default) or can again (one it found fixed): a `tonvinh.email.blocked` /
    `tonvinh.email.unblocked` event and an ERROR in the log. Returns the campaigns concerned
    when that is news (a new fault, or a fixed one), so the scheduler refreshes their
    artifacts then and not at every probe."""
    fault = report.fault if report.fault is not None and report.fault.checked else None
    notice = fault or report.fault_resolved
    if notice is None:
        return ()
    with session_scope() as session:
        codes = fault_campaigns(session, notice.since)
    events.publish(
        "tonvinh.email.blocked" if fault else "tonvinh.email.unblocked",
        {"prefect.resource.id": "tonvinh.outbox"},
        related=[
            events.campaign_resource(c) | {"prefect.resource.role": "campaign"} for c in codes
        ],
        payload={**notice.payload(), "campaigns": list(codes), "waiting": report.pending_left},
    )
    if fault:
        log.error(
            "Email không gửi được: %s — xem `tonvinh status`. (Email is not leaving: %s.)",
            fault.detail,
            fault.detail,
        )
    return codes if fault is None or fault.new else ()


def requeue_refusals(wanted: list[int], found: dict[int, str]) -> list[OperatorError]:
    """Why some of ``wanted`` cannot be requeued, one refusal per id. ``found`` maps the
    campaign's messages among ``wanted`` to their status."""
    problems = []
    for message_id in wanted:
        status = found.get(message_id)
        if status is None:
            problems.append(
                OperatorError(
                    "message_not_in_campaign",
                    f"Thư số {message_id} không có trong đợt này.",
                    f"Message {message_id} is not in this campaign.",
                    message_id=message_id,
                )
            )
        elif status != OutboxStatus.FAILED:
            problems.append(
                OperatorError(
                    "message_not_failed",
                    f"Thư số {message_id} không ở trạng thái gửi lỗi (đang: {status}).",
                    f"Message {message_id} has not failed (it is {status}).",
                    message_id=message_id,
                    status=status,
                )
            )
    return problems


def requeue_check(session: Session, campaign_code: str, message_ids: list[int]) -> list[int]:
    """Refuse, before anything changes, if an id is not a failed email of the campaign (one
    refusal naming every such id); returns the ids, sorted, once each."""
    campaign = load_campaign(session, campaign_code)
    wanted = sorted(set(message_ids))
    statuses = session.exec(
        select(OutboxMessage.id, OutboxMessage.status).where(
            col(OutboxMessage.id).in_(wanted), OutboxMessage.campaign_id == campaign.id
        )
    ).all()
    problems = requeue_refusals(wanted, {int(i): str(st) for i, st in statuses if i is not None})
    if problems:
        raise OperatorError(
            "requeue_refused",
            "\n".join([*(p.vi for p in problems), "Không gửi lại thư nào."]),
            "\n".join([*(p.en for p in problems), "Nothing was requeued."]),
            ids=[p.params["message_id"] for p in problems],
        )
    return wanted


def requeue_emails(
    session: Session, campaign_code: str, message_ids: list[int], now: datetime, actor: str
) -> list[int]:
    """Put a campaign's failed emails back in the queue (audited), or refuse the whole request,
    changing nothing, if an id is not a failed email of the campaign. Returns the ids."""
    wanted = requeue_check(session, campaign_code, message_ids)
    if requeue_failed(session, wanted, now, actor) != len(wanted):
        raise OperatorError(
            "requeue_raced",
            "Trạng thái thư vừa thay đổi, không gửi lại thư nào; hãy chạy lại.",
            "A message changed meanwhile, nothing was requeued; run the command again.",
        )
    return wanted


class MessageOutcome(BaseModel):
    id: int
    kind: str
    status: OutboxStatus
    error: str | None


def message_outcomes(session: Session, message_ids: list[int]) -> list[MessageOutcome]:
    """Where each of these emails stands now (after a requeue and its delivery)."""
    rows = session.exec(
        select(OutboxMessage)
        .where(col(OutboxMessage.id).in_(message_ids))
        .order_by(col(OutboxMessage.id))
    ).all()
    return [
        MessageOutcome(id=cast(int, r.id), kind=r.kind, status=r.status, error=r.last_error)
        for r in rows
    ]
