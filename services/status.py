"""Where a campaign stands: every unit's progress, read in set-based queries (never one query per
unit), and one unit's own view — its submissions and each dossier with its state and reasons."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import Integer, case, func, or_
from sqlalchemy import cast as sql_cast
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
from models.rules.ladder import ProgressState, UnitProgress, UnitStanding, standing
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


@dataclass(slots=True)
class UnitStatusRow:
    """One unit's line of the status. A plain dataclass, not a model: a campaign has 10,000 of
    them, and one object each (a model is three: itself, its dict and its set of fields) keeps
    a status call from setting off full garbage collections of the whole process. Pydantic
    still checks the type where ``CampaignStatus`` holds them, and dumps them field by field."""

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


def progress_statements(campaign_id: int) -> list[tuple[str, Any]]:
    """The three set-based statements behind ``campaign_status`` (named, so their query plans
    can be shown): one row per unit with its part and its counts (live and returned dossiers,
    reminders sent) summed by the database, the campaign's dossiers by status, and its emails
    by status. The counts read one campaign through the indexes of migration 0004, index-only.

    The database sums: read per (unit, status) and per (unit, kind, status) instead, the
    counts were ~56,000 rows for 10,000 units, and turning them into Python objects cost more
    than every query together (BENCHMARKS.md, "status")."""
    dossiers = (
        select(
            Nomination.unit_id,
            func.sum(case((col(Nomination.status) != NominationStatus.WITHDRAWN, 1), else_=0)),
            func.sum(case((col(Nomination.status) == NominationStatus.RETURNED, 1), else_=0)),
        )
        .where(Nomination.campaign_id == campaign_id)
        .group_by(col(Nomination.unit_id))
        .subquery()
    )
    reminders = (
        select(OutboxMessage.unit_id, func.count())
        .where(
            OutboxMessage.campaign_id == campaign_id,
            col(OutboxMessage.kind).in_(REMINDER_KINDS),
            OutboxMessage.status == OutboxStatus.SENT,
        )
        .group_by(col(OutboxMessage.unit_id))
        .subquery()
    )
    units = (
        select(  # type: ignore[call-overload]  # sqlmodel types select() up to 4 columns
            Unit.code,
            Unit.name,
            CampaignUnit.status,
            CampaignUnit.deadline,
            # A nil return is the unit's answer too (services.nil_return).
            or_(
                col(CampaignUnit.first_submitted_at).is_not(None),
                col(CampaignUnit.nil_return_at).is_not(None),
            ),
            CampaignUnit.reminders_paused,
            CampaignUnit.last_submitted_at,
            func.coalesce(dossiers.c[1], 0),
            func.coalesce(dossiers.c[2], 0),
            func.coalesce(reminders.c[1], 0),
        )
        .join(Unit, col(Unit.id) == CampaignUnit.unit_id)
        .outerjoin(dossiers, dossiers.c.unit_id == CampaignUnit.unit_id)
        .outerjoin(reminders, reminders.c.unit_id == CampaignUnit.unit_id)
        .where(CampaignUnit.campaign_id == campaign_id)
        .order_by(Unit.code)
    )
    nominations = (
        select(Nomination.status, func.count())
        .where(Nomination.campaign_id == campaign_id)
        .group_by(col(Nomination.status))
    )
    # Counted per (unit, kind, status) first, which the covering index gives in its order:
    # grouped by status alone, SQLite walks the status index over every campaign's emails.
    per_unit = (
        select(OutboxMessage.status, func.count().label("emails"))
        .where(OutboxMessage.campaign_id == campaign_id)
        .group_by(col(OutboxMessage.unit_id), col(OutboxMessage.kind), col(OutboxMessage.status))
        .subquery()
    )
    # The sum of counts is a NUMERIC on PostgreSQL: cast back to an integer.
    emails = sql_cast(func.sum(per_unit.c.emails), Integer)
    outbox = select(per_unit.c.status, emails).group_by(per_unit.c.status)
    return [("units", units), ("nominations", nominations), ("outbox", outbox)]


def partially_refused_count(campaign_id: int) -> Any:
    """Sent messages some recipient refused. Kept out of ``progress_statements``: it reads the
    rows themselves (``last_error`` is in no index), one campaign's through its index."""
    return select(func.count()).where(*partly_refused(campaign_id))


def campaign_status(session: Session, campaign_code: str, now: datetime) -> CampaignStatus:
    """Every unit's standing and counts, in five queries and one pass over the units.

    The database does the counting (one row per unit); rows are read as plain columns, not ORM
    objects; the standing is computed once per distinct (deadline, answered, paused), a handful
    for a whole campaign. Few objects are built per unit: callers in a threaded server cannot
    hold the garbage collector, and 50,000 short-lived objects set off full collections of the
    whole process (the status took 0.40 s instead of 0.18 s when the pause was lost).
    """
    campaign = load_campaign(session, campaign_code)
    assert campaign.id is not None
    calendar = calendar_for(session, campaign)
    config = ladder_config(get_settings())
    statements = dict(progress_statements(campaign.id))
    by_status: dict[str, int] = {s: n for s, n in session.execute(statements["nominations"])}
    emails: dict[str, int] = {s: n for s, n in session.execute(statements["outbox"])}
    # The standing depends on the unit's deadline and whether it answered (the pause is passed
    # along as the ladder reads it): computed once per distinct key, a handful per campaign.
    positions: dict[tuple[date, bool, bool], UnitStanding] = {}
    rows: list[UnitStatusRow] = []
    submitted = overdue = nil_returns = 0
    # Streamed from the cursor, each row dropped once read: only the result stays alive.
    for (
        code,
        name,
        status,
        deadline,
        answered,
        paused,
        last,
        live,
        returned,
        sent,
    ) in session.connection().execute(statements["units"]):
        key = (deadline, bool(answered), paused)
        position = positions.get(key)
        if position is None:
            progress = UnitProgress(
                unit_id=0,
                deadline=deadline,
                submitted=key[1],
                paused=paused,
                sent_tiers=frozenset(),
            )
            position = positions[key] = standing(now, progress, calendar, config)
        if position.state is ProgressState.SUBMITTED:
            submitted += 1
        elif position.state is ProgressState.OVERDUE:
            overdue += 1
        if status == ParticipationStatus.NIL_RETURN:
            nil_returns += 1
        rows.append(
            UnitStatusRow(
                unit_code=code,
                unit_name=name,
                status=status,
                standing=position.state,
                deadline=deadline,
                working_days_left=position.working_days_left,
                nominations=live,
                returned=returned,
                reminders_sent=sent,
                paused=paused,
                last_submitted_at=last,
            )
        )
    return CampaignStatus(
        campaign=campaign.code,
        name=campaign.name,
        stage=campaign.stage,
        now=now,
        units=len(rows),
        submitted=submitted,
        overdue=overdue,
        nominations=sum(n for s, n in by_status.items() if s in LIVE),
        nominations_by_status=by_status,
        emails_sent=emails.get(OutboxStatus.SENT, 0),
        emails_failed=emails.get(OutboxStatus.FAILED, 0),
        emails_partially_refused=session.exec(partially_refused_count(campaign.id)).one(),
        rows=rows,
        mail_blocked=mail_blocked(session, campaign.id, campaign.code),
        nil_returns=nil_returns,
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
