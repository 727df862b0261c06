"""Pieces every stage shares: finding a campaign, its calendar, delivering mail, artifacts."""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, cast

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event
from prefect.exceptions import MissingContextError
from prefect.logging.loggers import LoggingAdapter
from sqlalchemy import Table, bindparam, event, func, insert, inspect, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from models import audit
from models.campaign import Campaign, CampaignBase, CampaignStage, CampaignUnit, HolidayOverride
from models.db import session_scope
from models.nomination import Nomination, NominationStatus
from models.outbox import OutboxMessage, OutboxStatus
from models.rules.calendar import WorkCalendar, vietnam_calendar
from models.rules.ladder import LadderConfig
from models.settings import Settings, get_settings
from models.unit import Unit
from notifications.outbox import (
    DeliveryReport,
    deliver_pending,
    fault_campaigns,  # issue 16: email blocked
    requeue_failed,
)

log = logging.getLogger(__name__)


class OperatorError(Exception):
    """A problem the operator can fix; the message is Vietnamese first, then English."""


def load_campaign(session: Session, code: str) -> Campaign:
    campaign = session.exec(select(Campaign).where(Campaign.code == code)).first()
    if campaign is None:
        raise OperatorError(
            f"Không tìm thấy đợt thi đua mã '{code}'. (Campaign '{code}' not found.)"
        )
    return campaign


def calendar_for(session: Session, campaign: CampaignBase) -> WorkCalendar:
    """The working-day calendar for a campaign's span, with the operator's overrides applied."""
    years = range(campaign.year, campaign.conference_date.year + 2)
    overrides = [
        (o.day, o.is_working_day, o.name) for o in session.exec(select(HolidayOverride)).all()
    ]
    return vietnam_calendar(years, overrides)


def ladder_config(settings: Settings) -> LadderConfig:
    return LadderConfig(
        offsets=tuple(settings.reminder_offsets),
        escalate_every=settings.escalation_every_working_days,
        max_reminders=settings.max_reminders_per_unit,
        send_hour=settings.reminder_send_hour,
    )


def artifact_key(*parts: str) -> str:
    """Prefect artifact keys allow only lowercase letters, digits and dashes."""
    return re.sub(r"[^a-z0-9-]+", "-", "-".join(parts).lower()).strip("-")


# A campaign may have ~10,000 units, and a single Prefect server keeps at most 10,000 events in
# memory per consumer ("Subscription queue is full, dropping message" past that; measured: a
# burst of 30,000 events kept 10,181). So per-unit events are capped per stage run, and one
# campaign-level event per run carries the count and the unit codes. Per-unit truth lives in our
# tables and the `<campaign>-units` artifact, not in events.
UNIT_EVENTS_PER_RUN = 50
UNIT_CODES_PER_EVENT = 1000


def emit_unit_events(
    what: str, campaign_code: str, units: Sequence[tuple[str, dict[str, Any]]]
) -> int:
    """`tonvinh.unit.<what>` for the first UNIT_EVENTS_PER_RUN units, then one
    `tonvinh.campaign.<what>` for the whole lot (count, unit codes); returns events emitted.

    Call it once per stage run, after the work is committed, with every unit concerned.
    """
    if not units:
        return 0
    campaign = {
        "prefect.resource.id": f"tonvinh.campaign.{campaign_code}",
        "prefect.resource.role": "campaign",
    }
    per_unit = units[:UNIT_EVENTS_PER_RUN]
    for unit_code, payload in per_unit:
        emit_event(
            event=f"tonvinh.unit.{what}",
            resource={"prefect.resource.id": f"tonvinh.unit.{unit_code}"},
            related=[campaign],
            payload=payload,
        )
    codes = [code for code, _ in units]
    emit_event(
        event=f"tonvinh.campaign.{what}",
        resource={"prefect.resource.id": f"tonvinh.campaign.{campaign_code}"},
        payload={
            "count": len(units),
            "units": codes[:UNIT_CODES_PER_EVENT],
            "units_truncated": len(codes) > UNIT_CODES_PER_EVENT,
            "unit_events": len(per_unit),
        },
    )
    return len(per_unit) + 1


FAILED_EXAMPLES_PER_EVENT = 20


@dataclass(frozen=True)
class Delivery:
    """One delivery run: the outbox's report and the campaigns (codes) with an email that
    failed for good in this run."""

    report: DeliveryReport
    failed_campaigns: tuple[str, ...]
    # Campaigns whose mail a configuration fault has just blocked, or that its fix has just
    # released: their artifacts must say so (issue 16).
    blocked_campaigns: tuple[str, ...] = ()


def _run_logger() -> logging.Logger | LoggingAdapter:
    """The Prefect run's logger inside a flow or task (the warning shows on the run's page);
    the module's logger in the scheduler's background delivery, which runs outside any run."""
    try:
        return get_run_logger()
    except MissingContextError:
        return log


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
    logger = _run_logger()
    for campaign_id, messages in by_campaign.items():
        code = codes.get(campaign_id)  # None for a message of no campaign
        resource = {"prefect.resource.id": "tonvinh.outbox"}
        related = []
        if code is not None:
            resource["tonvinh.campaign"] = code
            related.append(
                {
                    "prefect.resource.id": f"tonvinh.campaign.{code}",
                    "prefect.resource.role": "campaign",
                }
            )
        # Messages with no campaign (none today) count only themselves.
        total = totals.get(campaign_id, len(messages))
        emit_event(
            event="tonvinh.email.failed",
            resource=resource,
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
        logger.warning(
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


def deliver_and_report(now: datetime) -> Delivery:
    """Send every pending email, then report what failed for good in this run.

    The one delivery path: the flows' ``deliver-outbox`` task, the scheduler's background
    delivery and ``tonvinh mail requeue`` all call it, so a failure looks the same wherever it
    happened.
    """
    settings = get_settings()
    report = deliver_pending(now, settings, batch_size=settings.outbox_batch_size)
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
    """Issue 16: no email can leave (a configuration fault this run met: at most once per
    probe, every 15 minutes by default) or can again (one it found fixed): a
    `tonvinh.email.blocked` / `tonvinh.email.unblocked` event and an ERROR in the run's log.
    Returns the campaigns concerned when that is news (a new fault, or a fixed one), so the
    scheduler refreshes their artifacts then and not at every probe."""
    fault = report.fault if report.fault is not None and report.fault.checked else None
    notice = fault or report.fault_resolved
    if notice is None:
        return ()
    with session_scope() as session:
        codes = fault_campaigns(session, notice.since)
    emit_event(
        event="tonvinh.email.blocked" if fault else "tonvinh.email.unblocked",
        resource={"prefect.resource.id": "tonvinh.outbox"},
        related=[
            {"prefect.resource.id": f"tonvinh.campaign.{c}", "prefect.resource.role": "campaign"}
            for c in codes
        ],
        payload={**notice.payload(), "campaigns": list(codes), "waiting": report.pending_left},
    )
    if fault:
        _run_logger().error(
            "Email không gửi được: %s — xem `tonvinh status`. (Email is not leaving: %s.)",
            fault.detail,
            fault.detail,
        )
    return codes if fault is None or fault.new else ()


@task(
    name="deliver-outbox",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[10, 60],
)
def deliver_outbox(now: datetime) -> dict[str, Any]:
    """Send every pending email over one SMTP connection.

    Each message's result commits as soon as the server answers, so a retry of this task (or a
    crash) repeats at most the message that was in flight; transient failures stay pending with
    a backoff and are picked up by the next run.
    """
    report = asdict(deliver_and_report(now).report)
    del report["failed_ids"]  # the counts are the run's result; the ids are in the event
    return report


@flow(name="refresh-campaign-artifacts")
def refresh_campaign_artifacts(campaign_codes: list[str], now: datetime) -> None:
    """Refresh the campaigns' artifacts after a delivery outside any stage (the scheduler's):
    the summary lists the failed emails. A flow, since Prefect wants artifacts in a run."""
    from flows.monitor import publish_campaign_artifacts  # flows.monitor imports this module

    for code in campaign_codes:
        publish_campaign_artifacts(code, now)


@flow(name="requeue-failed-emails")
def requeue_failed_emails(
    campaign_code: str, message_ids: list[int], actor: str, now: datetime
) -> dict[str, Any]:
    """Put a campaign's failed emails back in the queue (audited) and deliver them at once,
    through the stages' own delivery; then refresh the artifacts, whose summary listed them.

    The caller checks the ids first; if one has moved since, nothing is requeued.
    """
    from flows.monitor import publish_campaign_artifacts  # flows.monitor imports this module

    with session_scope() as session:
        load_campaign(session, campaign_code)
        if requeue_failed(session, message_ids, now, actor) != len(message_ids):
            raise OperatorError(
                "Trạng thái thư vừa thay đổi, không gửi lại thư nào; hãy chạy lại. / "
                "A message changed meanwhile, nothing was requeued; run the command again."
            )
    delivery = deliver_outbox(now)
    publish_campaign_artifacts(campaign_code, now)
    return delivery


def campaign_parts(session: Session, campaign_id: int) -> list[tuple[CampaignUnit, Unit]]:
    """Every unit's part in a campaign with the unit itself, in one query, ordered by unit code."""
    statement = (
        select(CampaignUnit, Unit)
        .join(Unit, Unit.id == CampaignUnit.unit_id)  # type: ignore[arg-type]
        .where(CampaignUnit.campaign_id == campaign_id)
        .order_by(Unit.code)
    )
    return [(part, unit) for part, unit in session.exec(statement).all()]


def set_stage(
    session: Session, campaign: Campaign, stage: CampaignStage, now: datetime, actor: str
) -> None:
    """Move the campaign to a stage (audited) and, once that is committed, tell any automation
    listening for it (a rolled-back move must not announce a stage the campaign never reached)."""
    if campaign.stage == stage:
        return
    assert campaign.id is not None
    audit.record(
        session,
        at=now,
        actor=actor,
        entity="campaign",
        entity_id=campaign.id,
        campaign_id=campaign.id,
        action="stage",
        from_state=campaign.stage,
        to_state=stage,
    )
    campaign.stage = stage
    session.add(campaign)
    resource = {"prefect.resource.id": f"tonvinh.campaign.{campaign.code}"}

    def announce(_session: Session) -> None:
        emit_event(event="tonvinh.campaign.stage", resource=resource, payload={"stage": str(stage)})

    event.listen(session, "after_commit", announce, once=True)


@dataclass(frozen=True)
class Transition:
    """One nomination moving to a new status, with the why for the audit log (and, for a
    return, for the unit: it becomes the nomination's ``return_reason``)."""

    nomination: Nomination
    to: NominationStatus
    reason: str = ""
    details: dict[str, Any] | None = None


_NOMINATION = cast(Table, inspect(Nomination).local_table)
# Ids per UPDATE: well under SQLite's 32,766 bound parameters.
_IDS_PER_STATEMENT = 5_000
# A return carries its own reason per row: one executemany of this.
_RETURN = (
    update(_NOMINATION)
    .where(_NOMINATION.c.id == bindparam("row_id"))
    .values(
        status=NominationStatus.RETURNED,
        return_reason=bindparam("why"),
        updated_at=bindparam("moved_at", type_=_NOMINATION.c.updated_at.type),
    )
)


def move_nominations(
    session: Session,
    transitions: Sequence[Transition],
    *,
    now: datetime,
    actor: str,
    action: str,
    campaign_id: int,
) -> None:
    """Move many nominations to their new status with one audit event each, set-based.

    One UPDATE per target status (an executemany for returns, each with its reason) and
    multi-row audit inserts, in the caller's transaction, instead of an ORM flush per row:
    review, council, approval and honouring move ~50,000 dossiers at national scale.
    ``return_reason`` holds the reason while a dossier is returned and is cleared by any other
    move. The objects in the session see their new values without becoming dirty.
    """
    session.flush()  # changes made through the ORM before this go first
    events = [
        audit.values(
            at=now,
            actor=actor,
            entity="nomination",
            entity_id=cast(int, t.nomination.id),
            campaign_id=campaign_id,
            action=action,
            from_state=t.nomination.status,
            to_state=t.to,
            reason=t.reason,
            details=t.details,
        )
        for t in transitions
    ]
    ids_by_target: dict[NominationStatus, list[int]] = defaultdict(list)
    returns: list[dict[str, Any]] = []
    for t in transitions:
        if t.to is NominationStatus.RETURNED:
            returns.append({"row_id": t.nomination.id, "why": t.reason, "moved_at": now})
        else:
            ids_by_target[t.to].append(cast(int, t.nomination.id))
    connection = session.connection()
    for target, ids in ids_by_target.items():
        for start in range(0, len(ids), _IDS_PER_STATEMENT):
            connection.execute(
                update(_NOMINATION)
                .where(col(_NOMINATION.c.id).in_(ids[start : start + _IDS_PER_STATEMENT]))
                .values(status=target, return_reason=None, updated_at=now)
            )
    if returns:
        connection.execute(_RETURN, returns)
    for start in range(0, len(events), _IDS_PER_STATEMENT):
        connection.execute(insert(audit.TABLE), events[start : start + _IDS_PER_STATEMENT])
    for t in transitions:
        set_committed_value(t.nomination, "status", t.to)
        set_committed_value(
            t.nomination, "return_reason", t.reason if t.to is NominationStatus.RETURNED else None
        )
        set_committed_value(t.nomination, "updated_at", now)
