"""Where a campaign stands: every unit's progress, read in set-based queries (never one query per
unit), and one unit's own view — its submissions and each dossier with its state and reasons."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from models.campaign import CampaignStage, CampaignUnit, ParticipationStatus
from models.nomination import (
    NOMINATION_STATUS_VI,
    Nomination,
    NominationStatus,
    NomineeKind,
    ReviewFinding,
    Severity,
    Submission,
)
from models.outbox import REMINDER_KINDS, OutboxMessage, OutboxStatus
from models.rules.ladder import ProgressState, UnitProgress, standings
from models.settings import get_settings
from models.unit import Unit
from notifications.outbox import MailBlocked, mail_blocked, partly_refused
from services.campaigns import calendar_for, find_part, ladder_config, load_campaign

# What an operator reads for each standing of the reminder ladder.
STANDING_VI = {
    ProgressState.SUBMITTED: "Đã nộp",
    ProgressState.ON_TRACK: "Trong hạn",
    ProgressState.DUE_SOON: "Sắp đến hạn",
    ProgressState.OVERDUE: "Quá hạn",
}

# A unit that answered "no nominations this year" (its standing is "submitted": it answered).
NIL_RETURN_VI = "Không đề nghị"


def standing_text(status: str, standing: str) -> str:
    """What the operator reads in the status column: the ladder's standing, or a nil return."""
    if status == ParticipationStatus.NIL_RETURN:
        return NIL_RETURN_VI
    return STANDING_VI[ProgressState(standing)]


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
    submitted: int  # units that answered: a list, or a nil return
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
    # Of the units that answered, those that said "no nominations this year".
    nil_returns: int = 0


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
            CampaignUnit.nil_return_at,
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


def campaign_status(session: Session, campaign_code: str, now: datetime) -> CampaignStatus:
    """Every unit's standing and counts, in four queries and one pass.

    Rows are read as plain columns, not ORM objects (building 20,000 SQLModel instances cost
    more than the queries), and the reminder ladder is planned once per distinct deadline.
    """
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
                # A nil return is the unit's answer too (services.nil_return).
                submitted=first_submitted is not None or nil_return is not None,
                paused=paused,
                sent_tiers=frozenset(),
            )
            for unit_id, _c, _n, deadline, _s, first_submitted, _l, paused, nil_return in parts
        ),
        calendar,
        config,
    )
    live = set(LIVE)
    rows: list[UnitStatusRow] = []
    for (unit_id, code, name, deadline, status, _first, last, paused, _nil), position in zip(
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
        nil_returns=sum(1 for r in rows if r.status is ParticipationStatus.NIL_RETURN),
    )


class FindingView(BaseModel):
    """A check's or an officer's finding on a dossier, with its legal basis."""

    severity: Severity
    message: str
    citation: str


class DossierView(BaseModel):
    """One dossier as its unit follows it: its state, and why it came back if it did."""

    id: int
    kind: NomineeKind
    full_name: str
    proposed_title: str | None
    proposed_form: str | None
    status: NominationStatus
    status_vi: str
    return_reason: str | None
    row_number: int
    findings: list[FindingView]


class SubmissionView(BaseModel):
    """One list the unit sent: when, which file, its fingerprint, how many rows."""

    id: int
    received_at: datetime
    file_name: str
    sha256: str
    rows: int
    submitted_by: str


class UnitStatus(BaseModel):
    """One unit's part in a campaign, as the unit (and the officer) sees it."""

    campaign: str
    campaign_name: str
    stage: CampaignStage
    unit_code: str
    unit_name: str
    status: ParticipationStatus
    deadline: date
    working_days_left: int
    resubmission_due: date | None
    reminders_paused: bool
    nil_return_at: datetime | None = None
    nil_return_by: str | None = None
    submissions: list[SubmissionView]
    dossiers: list[DossierView]


def unit_status(session: Session, campaign_code: str, unit_code: str, now: datetime) -> UnitStatus:
    """One unit's submissions (newest first) and every dossier it still stands behind, each
    with its state, its return reason and the findings (with citations) behind it."""
    campaign = load_campaign(session, campaign_code)
    part, unit = find_part(session, campaign, unit_code)
    dossiers = session.exec(
        select(Nomination)
        .where(
            Nomination.campaign_id == campaign.id,
            Nomination.unit_id == unit.id,
            Nomination.status != NominationStatus.WITHDRAWN,
        )
        .order_by(col(Nomination.kind), col(Nomination.row_number))
    ).all()
    findings: dict[int, list[FindingView]] = defaultdict(list)
    for finding in session.exec(
        select(ReviewFinding)
        .where(col(ReviewFinding.nomination_id).in_([d.id for d in dossiers]))
        .order_by(col(ReviewFinding.id))
    ).all():
        findings[finding.nomination_id].append(
            FindingView(
                severity=finding.severity, message=finding.message, citation=finding.citation
            )
        )
    submissions = session.exec(
        select(Submission)
        .where(Submission.campaign_id == campaign.id, Submission.unit_id == unit.id)
        .order_by(col(Submission.id).desc())
    ).all()
    calendar = calendar_for(session, campaign)
    return UnitStatus(
        campaign=campaign.code,
        campaign_name=campaign.name,
        stage=campaign.stage,
        unit_code=unit.code,
        unit_name=unit.name,
        status=part.status,
        deadline=part.deadline,
        working_days_left=calendar.working_days_between(now.date(), part.deadline),
        resubmission_due=part.resubmission_due,
        reminders_paused=part.reminders_paused,
        nil_return_at=part.nil_return_at,
        nil_return_by=part.nil_return_by,
        submissions=[
            SubmissionView(
                id=cast(int, s.id),
                received_at=s.received_at,
                file_name=s.file_name,
                sha256=s.sha256,
                rows=s.row_count,
                submitted_by=s.submitted_by,
            )
            for s in submissions
        ],
        dossiers=[
            DossierView(
                id=cast(int, d.id),
                kind=d.kind,
                full_name=d.full_name,
                proposed_title=d.proposed_title,
                proposed_form=d.proposed_form,
                status=d.status,
                status_vi=NOMINATION_STATUS_VI[d.status],
                return_reason=d.return_reason,
                row_number=d.row_number,
                findings=findings.get(cast(int, d.id), []),
            )
            for d in dossiers
        ],
    )
