"""Review (thẩm định): the rule pack's checks on every new dossier, the officer's decisions on
top, and one return letter per unit with the reasons and the date to resubmit by."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from enum import StrEnum
from typing import cast

from pydantic import BaseModel
from sqlmodel import Session, col, func, select

from models import audit
from models.audit import AuditEntity
from models.campaign import Campaign, CampaignStage, CampaignUnit, ParticipationStatus
from models.nomination import (
    Nomination,
    NominationStatus,
    NomineeKind,
    ReviewFinding,
    Severity,
)
from models.outbox import EmailKind, OutboxMessage
from models.rules.calendar import format_vn_date
from models.rules.duplicates import Proposal, cross_unit_duplicates
from models.rules.eligibility import NomineeFacts, RulePack, check_eligibility, review_verdict
from models.unit import Unit
from services.campaigns import (
    calendar_for,
    campaign_pack,
    campaign_parts,
    check_precondition,
    load_campaign,
    set_stage,
)
from services.changes import UnitChanges, resubmitted_changes
from services.errors import OperatorError
from services.letters import enqueue_per_unit
from services.nominations import Transition, move_nominations
from services.review_letters import Reason, notify_not_eligible

AUTO_REVIEWER = "kiểm tra tự động"


class ReviewAction(StrEnum):
    ACCEPT = "accept"
    RETURN = "return"
    REJECT = "reject"


class ReviewDecision(BaseModel):
    """An officer's verdict on one nomination; a return needs a reason the unit can act on."""

    nomination_id: int
    action: ReviewAction
    reason: str = ""


def facts_of(nomination: Nomination) -> NomineeFacts:
    return NomineeFacts(
        kind=nomination.kind,
        proposed_title=nomination.proposed_title,
        proposed_form=nomination.proposed_form,
        consecutive_base_years=nomination.consecutive_base_years,
        consecutive_ministry_years=nomination.consecutive_ministry_years,
        initiative_level=nomination.initiative_level,
        excellent_completion=nomination.excellent_completion,
        under_discipline=nomination.under_discipline,
        women_share=nomination.women_share,
        has_achievement_report=bool(nomination.achievement_summary or nomination.attachments),
    )


class FindingRow(BaseModel):
    """One finding of this round as the officer's table shows it."""

    nomination_id: int
    unit_code: str
    full_name: str
    status: NominationStatus
    severity: Severity
    message: str
    citation: str


class ReviewReport(BaseModel):
    """What a review round did: counts, this round's findings, and the warnings for the
    officer (errors have already returned their dossiers to the units, with the reasons)."""

    checked: int = 0
    eligible: int = 0
    ineligible: int = 0
    returned: int = 0
    possible_duplicates: int = 0
    warnings: list[str] = []
    findings: list[FindingRow] = []
    # Units whose resubmitted list is checked this round, with what it changed.
    resubmissions: list[UnitChanges] = []


def missing_before_deadline(
    session: Session, campaign: Campaign, now: datetime
) -> OperatorError | None:
    """Reviewing while units may still send their lists: before the submission deadline, with
    units (not paused) that have sent nothing."""
    if now.date() > campaign.submission_due:
        return None
    missing = session.exec(
        select(func.count()).where(
            CampaignUnit.campaign_id == campaign.id,
            col(CampaignUnit.first_submitted_at).is_(None),
            col(CampaignUnit.reminders_paused).is_(False),
        )
    ).one()
    if not missing:
        return None
    due = format_vn_date(campaign.submission_due)
    return OperatorError(
        "review_before_deadline",
        f"Chưa đến hạn nộp ({due}) và còn {missing} đơn vị chưa nộp danh sách.",
        f"The submission deadline ({campaign.submission_due.isoformat()}) has not passed and "
        f"{missing} unit(s) have sent nothing.",
        missing=int(missing),
        deadline=campaign.submission_due.isoformat(),
    )


def review_round(
    session: Session,
    campaign_code: str,
    decisions: list[ReviewDecision],
    now: datetime,
    reviewer: str,
    *,
    force_reason: str | None = None,
) -> ReviewReport:
    """Run the rule pack over new dossiers, then apply the officer's decisions on top, in the
    caller's transaction: an unknown id or a missing reason refuses the whole round, and so
    does a review before the deadline while units are missing, unless forced with a reason."""
    campaign = load_campaign(session, campaign_code)
    assert campaign.id is not None
    if campaign.stage not in (CampaignStage.CALLING, CampaignStage.REVIEW):
        raise OperatorError(
            "stage_not_review",
            f"Đợt {campaign.code} đang ở giai đoạn '{campaign.stage}', không thẩm định được.",
            f"Campaign {campaign.code} is at stage '{campaign.stage}'; nothing to review.",
            stage=str(campaign.stage),
        )
    check_precondition(
        session,
        campaign,
        missing_before_deadline(session, campaign, now),
        force_reason=force_reason,
        now=now,
        actor=reviewer,
    )
    by_id = _decided_dossiers(session, campaign.id, campaign.code, decisions)
    pack = campaign_pack(campaign)
    returned_by_unit: dict[int, list[Nomination]] = defaultdict(list)
    # Dossiers this round finds not eligible, with each reason (vi, en) and its citation.
    refused: dict[int, tuple[Nomination, list[Reason]]] = {}
    report = ReviewReport()
    fresh = session.exec(
        select(Nomination).where(
            Nomination.campaign_id == campaign.id,
            Nomination.status == NominationStatus.SUBMITTED,
        )
    ).all()
    report.resubmissions = resubmitted_changes(
        session, campaign.id, {nomination.unit_id for nomination in fresh}
    )
    checked: list[Transition] = []
    created: list[ReviewFinding] = []  # this round's findings, for the officer's table
    for nomination in fresh:
        assert nomination.id is not None
        findings = check_eligibility(facts_of(nomination), pack)
        created += [
            ReviewFinding(
                nomination_id=nomination.id,
                code=finding.code,
                severity=Severity(finding.severity),
                message=finding.message_vi,
                citation=finding.citation,
                reviewer=AUTO_REVIEWER,
                created_at=now,
            )
            for finding in findings
        ]
        errors = [f for f in findings if f.severity == Severity.ERROR]
        report.checked += 1
        reason = "; ".join(f"{f.message_vi} ({f.citation})" for f in errors)
        # The pack says what a failed check means: a frozen nominee is barred (ineligible), a
        # fixable fault goes back to the unit.
        verdict = NominationStatus(review_verdict(findings, pack))
        checked.append(Transition(nomination, verdict, reason))
        if verdict is NominationStatus.RETURNED:
            returned_by_unit[nomination.unit_id].append(nomination)
        elif verdict is NominationStatus.INELIGIBLE:
            refused[nomination.id] = (
                nomination,
                [Reason(f.message_vi, f.message_en, f.citation) for f in errors],
            )
    move_nominations(
        session, checked, now=now, actor=AUTO_REVIEWER, action="reviewed", campaign_id=campaign.id
    )
    duplicates = _cross_unit_duplicate_findings(
        session, campaign.id, [n.id for n in fresh if n.id is not None], now
    )
    created += duplicates
    session.add_all(created)
    report.possible_duplicates = len(duplicates)
    for decision in decisions:
        decided = by_id[decision.nomination_id]
        target = {
            ReviewAction.ACCEPT: NominationStatus.ELIGIBLE,
            ReviewAction.RETURN: NominationStatus.RETURNED,
            ReviewAction.REJECT: NominationStatus.INELIGIBLE,
        }[decision.action]
        if decided.status == target:
            continue
        # One at a time: a later decision on the same dossier starts from this one.
        move_nominations(
            session,
            [Transition(decided, target, decision.reason.strip())],
            now=now,
            actor=reviewer,
            action="reviewed",
            campaign_id=campaign.id,
        )
        if target is NominationStatus.RETURNED:
            returned_by_unit[decided.unit_id].append(decided)
        elif target is NominationStatus.INELIGIBLE:
            reason = decision.reason.strip()
            refused[decision.nomination_id] = (decided, [Reason(reason, reason, "")])
    # A dossier the officer moved on after the automatic verdict is told where it ended up.
    returned_by_unit = {
        unit_id: kept
        for unit_id, dossiers in returned_by_unit.items()
        if (kept := [n for n in dossiers if n.status == NominationStatus.RETURNED])
    }
    report.eligible, report.ineligible = (
        session.exec(
            select(func.count()).where(
                Nomination.campaign_id == campaign.id, Nomination.status == status
            )
        ).one()
        for status in (NominationStatus.ELIGIBLE, NominationStatus.INELIGIBLE)
    )
    report.returned = sum(len(v) for v in returned_by_unit.values())
    # After the officer's decisions, so the table shows where each dossier stands now.
    report.findings = _finding_rows(session, created)
    report.warnings = [
        f"Hồ sơ số {f.nomination_id} ({f.unit_code}, {f.full_name}): {f.message}"
        for f in report.findings
        if f.severity is Severity.WARNING
    ]
    _notify_returns(session, campaign_code, returned_by_unit, now, reviewer, pack)
    notify_not_eligible(
        session,
        campaign,
        [
            (n, reasons)
            for n, reasons in refused.values()
            if n.status == NominationStatus.INELIGIBLE
        ],
        now,
        pack,
    )
    set_stage(session, campaign, CampaignStage.REVIEW, now, reviewer)
    return report


def _decided_dossiers(
    session: Session, campaign_id: int, campaign_code: str, decisions: list[ReviewDecision]
) -> dict[int, Nomination]:
    """The dossiers the officer decides on, or a refusal before anything moves: an id not in
    the campaign, or a return or rejection without a reason the unit can act on."""
    by_id = {
        cast(int, n.id): n
        for n in session.exec(
            select(Nomination).where(
                col(Nomination.id).in_([d.nomination_id for d in decisions]),
                Nomination.campaign_id == campaign_id,
            )
        ).all()
    }
    for decision in decisions:
        if decision.nomination_id not in by_id:
            raise OperatorError(
                "nomination_not_found",
                f"Không có hồ sơ số {decision.nomination_id} trong đợt {campaign_code}.",
                f"No nomination {decision.nomination_id} in this campaign.",
                nomination_id=decision.nomination_id,
            )
        if decision.action is not ReviewAction.ACCEPT and not decision.reason.strip():
            raise OperatorError(
                "reason_required",
                f"Hồ sơ số {decision.nomination_id}: cần ghi rõ lý do.",
                f"Nomination {decision.nomination_id}: a reason is required.",
                nomination_id=decision.nomination_id,
            )
    return by_id


def _finding_rows(session: Session, findings: list[ReviewFinding]) -> list[FindingRow]:
    """This round's findings as the officer reads them: every finding with the dossier, its
    unit and its status now."""
    if not findings:
        return []
    rows = {
        n.id: (n, code)
        for n, code in session.exec(
            select(Nomination, Unit.code)
            .join(Unit, col(Unit.id) == Nomination.unit_id)
            .where(col(Nomination.id).in_({f.nomination_id for f in findings}))
        ).all()
    }
    ordered = sorted(findings, key=lambda f: (f.nomination_id, f.severity, f.code))
    return [
        FindingRow(
            nomination_id=f.nomination_id,
            unit_code=rows[f.nomination_id][1],
            full_name=rows[f.nomination_id][0].full_name,
            status=rows[f.nomination_id][0].status,
            severity=f.severity,
            message=f.message,
            citation=f.citation,
        )
        for f in ordered
    ]


def _cross_unit_duplicate_findings(
    session: Session, campaign_id: int, fresh_ids: list[int], now: datetime
) -> list[ReviewFinding]:
    """A warning for each new dossier whose person another unit proposes too (the officer
    decides which stands; see ``models.rules.duplicates``)."""
    if not fresh_ids:
        return []
    proposals = [
        Proposal(cast(int, nomination_id), unit_id, key, kind == NomineeKind.INDIVIDUAL)
        for nomination_id, unit_id, key, kind in session.exec(
            select(
                Nomination.id, Nomination.unit_id, Nomination.nominee_key, Nomination.kind
            ).where(
                Nomination.campaign_id == campaign_id,
                Nomination.status != NominationStatus.WITHDRAWN,
            )
        ).all()
    ]
    found = cross_unit_duplicates(proposals, fresh_ids)
    other_units = {o.unit_id for others in found.values() for o in others}
    units = dict(
        session.exec(select(Unit.id, Unit.code).where(col(Unit.id).in_(other_units))).all()
    )
    return [
        ReviewFinding(
            nomination_id=nomination_id,
            code="possible_duplicate",
            severity=Severity.WARNING,
            message=(
                "Cùng họ tên và ngày sinh với hồ sơ "
                + ", ".join(f"số {o.nomination_id} của {units.get(o.unit_id, '?')}" for o in others)
                + ": có thể là một người được hai đơn vị đề nghị; chuyên viên cần xác minh. "
                "(Same name and birth date as another unit's nomination; check that it is not "
                "the same person.)"
            ),
            reviewer=AUTO_REVIEWER,
            created_at=now,
        )
        for nomination_id, others in found.items()
    ]


def _notify_returns(
    session: Session,
    campaign_code: str,
    returned_by_unit: dict[int, list[Nomination]],
    now: datetime,
    reviewer: str,
    pack: RulePack,
) -> None:
    """One return letter per unit per round: each dossier, why, and the new resubmission date."""
    if not returned_by_unit:
        return
    campaign = load_campaign(session, campaign_code)
    assert campaign.id is not None
    calendar = calendar_for(session, campaign)
    due = calendar.add_working_days(now.date(), pack.resubmission_working_days)
    rounds = dict(
        session.exec(
            select(OutboxMessage.unit_id, func.count())
            .where(
                OutboxMessage.campaign_id == campaign.id, OutboxMessage.kind == EmailKind.RETURNED
            )
            .group_by(OutboxMessage.unit_id)  # type: ignore[arg-type]
        ).all()
    )
    for part, unit in campaign_parts(session, campaign.id):
        if unit.id not in returned_by_unit:
            continue
        assert part.id is not None
        audit.record(
            session,
            at=now,
            actor=reviewer,
            entity=AuditEntity.CAMPAIGN_UNIT,
            entity_id=part.id,
            campaign_id=campaign.id,
            action="returned",
            from_state=part.status,
            to_state=ParticipationStatus.RETURNED,
            reason=f"{len(returned_by_unit[unit.id])} hồ sơ bị trả lại",
        )
        part.status = ParticipationStatus.RETURNED
        part.resubmission_due = due
        session.add(part)
    enqueue_per_unit(
        session,
        kind=EmailKind.RETURNED,
        campaign=campaign,
        nominations=[n for items in returned_by_unit.values() for n in items],
        now=now,
        describe=lambda mine: {
            "returned_items": [
                {"full_name": n.full_name, "reason": n.return_reason or ""} for n in mine
            ],
            "resubmission_due_text": format_vn_date(due),
        },
        tier_of=lambda unit_id: rounds.get(unit_id, 0) + 1,
    )
