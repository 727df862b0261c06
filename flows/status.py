"""Per-unit progress of a campaign, read in set-based queries (never one per unit), and the
campaign's emails that need the operator."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from flows.collector import collector_paused
from flows.common import calendar_for, ladder_config, load_campaign
from models.campaign import CampaignStage, CampaignUnit, ParticipationStatus
from models.nomination import Nomination, NominationStatus
from models.outbox import OutboxMessage, OutboxStatus
from models.rules.ladder import ProgressState, UnitProgress, standings
from models.settings import get_settings
from models.unit import Unit
from notifications.outbox import (  # issue 16: no email can leave
    MailBlocked,
    failed_messages,
    mail_blocked,
    partially_refused,
    partly_refused,
)

REMINDER_KINDS = ("reminder", "overdue", "escalation_unit_head", "escalation_department")
ESCALATION_KINDS = ("escalation_unit_head", "escalation_department")
# Nominations a unit still stands behind (not withdrawn by a later list).
LIVE = [s for s in NominationStatus if s is not NominationStatus.WITHDRAWN]


class UnitStatusRow(BaseModel):
    unit_code: str
    unit_name: str
    status: ParticipationStatus
    standing: ProgressState
    deadline: date
    working_days_left: int
    nominations: int
    returned: int
    reminders_sent: int
    paused: bool
    last_submitted_at: datetime | None


class CampaignStatus(BaseModel):
    campaign: str
    name: str
    stage: CampaignStage
    now: datetime
    units: int
    submitted: int
    overdue: int
    nominations: int
    nominations_by_status: dict[str, int]
    emails_sent: int
    emails_failed: int
    # Sent, but the server refused some recipient (``tonvinh mail failed`` says whom and why).
    emails_partially_refused: int
    rows: list[UnitStatusRow]
    # Set while no email can leave at all (a configuration fault): the red line, its cause.
    mail_blocked: MailBlocked | None = None


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
    mail_blocked: MailBlocked | None = None  # no email can leave at all (issue 16)


def sent_reminder_tiers(session: Session, campaign_id: int) -> dict[int, set[int]]:
    """Tiers already queued or sent per unit: the ladder's memory lives in the outbox."""
    statement = select(OutboxMessage.unit_id, OutboxMessage.tier).where(
        OutboxMessage.campaign_id == campaign_id,
        col(OutboxMessage.kind).in_(REMINDER_KINDS),
    )
    tiers: dict[int, set[int]] = defaultdict(set)
    for unit_id, tier in session.exec(statement).all():
        if unit_id is not None:
            tiers[unit_id].add(tier)
    return tiers


def progress_statements(campaign_id: int) -> list[tuple[str, Any]]:
    """The three set-based statements behind ``campaign_status`` (named, so their query plans
    can be shown): each unit's part, nominations per unit and status, outbox per unit, kind and
    status. Each reads one campaign through an index (migration 0004 makes the two counts
    index-only)."""
    units = (
        select(  # type: ignore[call-overload]  # sqlmodel types select() up to 4 columns
            Unit.id,
            Unit.code,
            Unit.name,
            CampaignUnit.deadline,
            CampaignUnit.status,
            CampaignUnit.first_submitted_at,
            CampaignUnit.last_submitted_at,
            CampaignUnit.reminders_paused,
        )
        .join(Unit, col(Unit.id) == CampaignUnit.unit_id)
        .where(CampaignUnit.campaign_id == campaign_id)
        .order_by(Unit.code)
    )
    nominations = (
        select(Nomination.unit_id, Nomination.status, func.count())
        .where(Nomination.campaign_id == campaign_id)
        .group_by(Nomination.unit_id, Nomination.status)  # type: ignore[arg-type]
    )
    outbox = (
        select(OutboxMessage.unit_id, OutboxMessage.kind, OutboxMessage.status, func.count())
        .where(OutboxMessage.campaign_id == campaign_id)
        .group_by(OutboxMessage.unit_id, OutboxMessage.kind, OutboxMessage.status)  # type: ignore[arg-type]
    )
    return [("units", units), ("nominations", nominations), ("outbox", outbox)]


def partially_refused_count(campaign_id: int) -> Any:
    """Sent messages some recipient refused. Kept out of ``progress_statements``: it reads the
    rows themselves (``last_error`` is in no index), one campaign's through its index."""
    return select(func.count()).where(*partly_refused(campaign_id))


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


def campaign_status(session: Session, campaign_code: str, now: datetime) -> CampaignStatus:
    """Every unit's standing and counts, in four queries and one pass.

    Rows are read as plain columns, not ORM objects (building 20,000 SQLModel instances cost
    more than the queries), and the reminder ladder is planned once per distinct deadline.
    """
    with collector_paused():
        return _campaign_status(session, campaign_code, now)


def _campaign_status(session: Session, campaign_code: str, now: datetime) -> CampaignStatus:
    campaign = load_campaign(session, campaign_code)
    assert campaign.id is not None
    calendar = calendar_for(session, campaign)
    config = ladder_config(get_settings())
    statements = dict(progress_statements(campaign.id))
    nomination_counts: dict[int, dict[str, int]] = defaultdict(dict)
    for unit_id, status, count in session.exec(statements["nominations"]).all():
        nomination_counts[unit_id][status] = count
    reminders: dict[int, int] = defaultdict(int)
    emails: dict[str, int] = defaultdict(int)
    for sender_unit, kind, status, count in session.exec(statements["outbox"]).all():
        emails[status] += count
        if kind in REMINDER_KINDS and status == OutboxStatus.SENT and sender_unit is not None:
            reminders[sender_unit] += count
    parts = session.exec(statements["units"]).all()
    positions = standings(
        now,
        (
            UnitProgress(
                unit_id=unit_id,
                deadline=deadline,
                submitted=first_submitted is not None,
                paused=paused,
                sent_tiers=frozenset(),
            )
            for unit_id, _code, _name, deadline, _status, first_submitted, _last, paused in parts
        ),
        calendar,
        config,
    )
    live = set(LIVE)
    rows: list[UnitStatusRow] = []
    for (unit_id, code, name, deadline, status, _first, last, paused), position in zip(
        parts, positions, strict=True
    ):
        counts = nomination_counts.get(unit_id, {})
        # model_construct: the values come straight from typed columns, nothing to validate.
        rows.append(
            UnitStatusRow.model_construct(
                unit_code=code,
                unit_name=name,
                status=ParticipationStatus(status),
                standing=position.state,
                deadline=deadline,
                working_days_left=position.working_days_left,
                nominations=sum(n for s, n in counts.items() if s in live),
                returned=counts.get(NominationStatus.RETURNED, 0),
                reminders_sent=reminders.get(unit_id, 0),
                paused=paused,
                last_submitted_at=last,
            )
        )
    by_status: dict[str, int] = defaultdict(int)
    for counts in nomination_counts.values():
        for status, count in counts.items():
            by_status[status] += count
    return CampaignStatus(
        campaign=campaign.code,
        name=campaign.name,
        stage=campaign.stage,
        now=now,
        units=len(rows),
        submitted=sum(1 for r in rows if r.standing is ProgressState.SUBMITTED),
        overdue=sum(1 for r in rows if r.standing is ProgressState.OVERDUE),
        nominations=sum(n for s, n in by_status.items() if s in LIVE),
        nominations_by_status=dict(by_status),
        emails_sent=emails.get(OutboxStatus.SENT, 0),
        emails_failed=emails.get(OutboxStatus.FAILED, 0),
        emails_partially_refused=session.exec(partially_refused_count(campaign.id)).one(),
        rows=rows,
        mail_blocked=mail_blocked(session, campaign.id, campaign.code),
    )
