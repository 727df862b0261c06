"""Leadership's decision on the council's list: what is put before them, and recording what
they decided (approve, with exclusions; reject; return to the council)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from models import audit
from models.audit import AuditEntity
from models.campaign import Campaign, CampaignStage
from models.council import Approval, ApprovalDecision, CouncilResult
from models.document import CampaignDocument, DocumentKind
from models.nomination import Nomination, NominationStatus
from models.outbox import EmailKind
from models.unit import Unit
from services.campaigns import campaign_pack, load_campaign, set_stage
from services.council import council_round
from services.errors import OperatorError
from services.letters import enqueue_per_unit
from services.nominations import Transition, move_nominations


class ApprovalRequest(BaseModel):
    """Leadership's answer, whichever door it came through (the Prefect UI form, the leader's
    page, the CLI): the Prefect form (``flows.approve.ApprovalForm``) is this model, so every
    door sends the same typed input and the same audit record follows."""

    decision: ApprovalDecision = Field(
        default=ApprovalDecision.APPROVE,
        description="Phê duyệt / Từ chối / Trả lại (approve / reject / return)",
    )
    approver: str = Field(min_length=2, description="Họ tên người phê duyệt (approver's name)")
    exclude_nomination_ids: list[int] = Field(
        default_factory=list, description="Số hồ sơ không phê duyệt (nominations to exclude)"
    )
    exclusion_reason: str = Field(
        default="",
        description="Lý do không phê duyệt các hồ sơ trên (reason for the exclusions)",
    )
    comment: str = Field(default="", description="Ý kiến (comment)")


class ApprovalResult(BaseModel):
    decision: ApprovalDecision
    approver: str
    approved: int


class ListedDossier(BaseModel):
    """One dossier on the list put before leadership."""

    nomination_id: int
    full_name: str
    unit_name: str
    award_name: str
    votes_in_favour: int
    members_total: int

    @property
    def share(self) -> float:
        """The share of the whole council that voted in favour."""
        return self.votes_in_favour / self.members_total if self.members_total else 0.0


class ApprovalList(BaseModel):
    campaign_name: str
    dossiers: list[ListedDossier]


def _passed(session: Session, campaign: Campaign) -> list[tuple[Nomination, CouncilResult]]:
    """Each dossier the council passed with each award it passed for (a dossier proposing a
    title and a form may have passed for both)."""
    statement = (
        select(Nomination, CouncilResult)
        .join(CouncilResult, col(CouncilResult.nomination_id) == Nomination.id)
        .where(
            Nomination.campaign_id == campaign.id,
            Nomination.status == NominationStatus.PASSED,
            col(CouncilResult.selected).is_(True),
        )
        .order_by(col(Nomination.id), col(CouncilResult.id))
    )
    return [(n, r) for n, r in session.exec(statement).all()]


def _passed_dossiers(session: Session, campaign: Campaign) -> list[Nomination]:
    """The passed dossiers, once each, in order."""
    return list({n.id: n for n, _ in _passed(session, campaign)}.values())


def _council_decided(session: Session, campaign: Campaign) -> list[Nomination]:
    """The dossiers the council's tally passed or did not pass."""
    decided = (NominationStatus.PASSED, NominationStatus.NOT_PASSED)
    statement = (
        select(Nomination)
        .where(Nomination.campaign_id == campaign.id, col(Nomination.status).in_(decided))
        .order_by(col(Nomination.id))
    )
    return list(session.exec(statement).all())


def approval_list(session: Session, campaign_code: str) -> ApprovalList:
    """The list leadership approves: every dossier the council passed, with its votes."""
    campaign = load_campaign(session, campaign_code)
    if campaign.stage is not CampaignStage.APPROVAL:
        raise OperatorError(
            "not_awaiting_approval",
            f"Đợt {campaign.code} đang ở giai đoạn '{campaign.stage}', chưa thể trình phê duyệt.",
            f"Campaign {campaign.code} is not awaiting approval (stage '{campaign.stage}').",
            stage=str(campaign.stage),
        )
    pack = campaign_pack(campaign)
    passed = _passed(session, campaign)
    unit_ids = {nomination.unit_id for nomination, _ in passed}
    units = {u.id: u.name for u in session.exec(select(Unit).where(col(Unit.id).in_(unit_ids)))}
    return ApprovalList(
        campaign_name=campaign.name,
        dossiers=[
            ListedDossier(
                nomination_id=nomination.id or 0,
                full_name=nomination.full_name,
                unit_name=units.get(nomination.unit_id, ""),
                award_name=pack.awards[result.award_code].name_vi,
                votes_in_favour=result.votes_in_favour,
                members_total=result.members_total,
            )
            for nomination, result in passed
        ],
    )


def record_approval(
    session: Session, campaign_code: str, form: ApprovalRequest, now: datetime, run_id: str | None
) -> ApprovalResult:
    """Write the decision, who made it and from which run; move every nomination accordingly."""
    campaign = load_campaign(session, campaign_code)
    assert campaign.id is not None
    passed = _passed_dossiers(session, campaign)
    unknown = set(form.exclude_nomination_ids) - {n.id for n in passed}
    if unknown:
        raise OperatorError(
            "excluded_not_on_list",
            f"Số hồ sơ không có trong danh sách trình: {sorted(unknown)}.",
            f"Excluded ids not on the list: {sorted(unknown)}.",
            ids=sorted(unknown),
        )
    approval = Approval(
        campaign_id=campaign.id,
        decision=form.decision,
        approver=form.approver.strip(),
        comment=form.comment,
        excluded_nomination_ids=form.exclude_nomination_ids,
        decided_at=now,
        flow_run_id=run_id,
    )
    session.add(approval)
    session.flush()
    assert approval.id is not None
    audit.record(
        session,
        at=now,
        actor=approval.approver,
        entity=AuditEntity.APPROVAL,
        entity_id=approval.id,
        campaign_id=campaign.id,
        action=f"decision:{form.decision}",
        reason=form.comment,
        details={
            "flow_run_id": run_id,
            "excluded": form.exclude_nomination_ids,
            "exclusion_reason": form.exclusion_reason.strip(),
        },
    )
    approved = 0
    if form.decision is ApprovalDecision.RETURN:
        # The council reconsiders the whole list: every dossier it decided is eligible
        # again, so the secretary can record new votes and the next tally counts them.
        move_nominations(
            session,
            [
                Transition(nomination, NominationStatus.ELIGIBLE, reason=form.comment)
                for nomination in _council_decided(session, campaign)
            ],
            now=now,
            actor=approval.approver,
            action="approval_returned",
            campaign_id=campaign.id,
        )
    if form.decision is ApprovalDecision.APPROVE:
        excluded = set(form.exclude_nomination_ids)
        transitions = [
            Transition(
                nomination,
                NominationStatus.EXCLUDED
                if nomination.id in excluded
                else NominationStatus.APPROVED,
                # An excluded dossier's history says why it was excluded (the comment when
                # the form named no separate reason, as the Prefect form may).
                reason=(form.exclusion_reason.strip() or form.comment)
                if nomination.id in excluded
                else form.comment,
            )
            for nomination in passed
        ]
        approved = sum(t.to is NominationStatus.APPROVED for t in transitions)
        move_nominations(
            session,
            transitions,
            now=now,
            actor=approval.approver,
            action="approval",
            campaign_id=campaign.id,
        )
        round_ = council_round(session, campaign.id)
        enqueue_per_unit(
            session,
            kind=EmailKind.APPROVAL_RESULT,
            campaign=campaign,
            nominations=passed,
            now=now,
            tier_of=lambda _unit_id: round_,
            describe=lambda mine: {
                "results": [
                    {
                        "full_name": n.full_name,
                        "approved": n.status is NominationStatus.APPROVED,
                    }
                    for n in mine
                ]
            },
        )
    stage = {
        ApprovalDecision.APPROVE: CampaignStage.APPROVED,
        ApprovalDecision.REJECT: CampaignStage.REJECTED,
        ApprovalDecision.RETURN: CampaignStage.COUNCIL,
    }[form.decision]
    set_stage(session, campaign, stage, now, approval.approver)
    return ApprovalResult(decision=form.decision, approver=approval.approver, approved=approved)


class OutcomeDossier(BaseModel):
    full_name: str
    award_name: str
    status: NominationStatus


class ApprovalOutcome(BaseModel):
    """What leadership decided last, and what became of it: the approval artifact republished
    after the decision shows this, not the list as it was before."""

    campaign_name: str
    decision: ApprovalDecision
    approver: str
    comment: str
    decided_at: datetime
    dossiers: list[OutcomeDossier]
    # The commendation decision: None until the registry records the signed number.
    decision_number: str | None
    decision_date: date | None
    decision_drafted: bool


def approval_outcome(session: Session, campaign_code: str) -> ApprovalOutcome | None:
    """Leadership's latest answer with its dossiers and the decision's state; None before any."""
    campaign = load_campaign(session, campaign_code)
    latest = session.exec(
        select(Approval)
        .where(Approval.campaign_id == campaign.id)
        .order_by(col(Approval.id).desc())
        .limit(1)
    ).first()
    if latest is None:
        return None
    pack = campaign_pack(campaign)
    outcome = (NominationStatus.APPROVED, NominationStatus.EXCLUDED, NominationStatus.HONOURED)
    rows = session.exec(
        select(Nomination, CouncilResult.award_code)
        .join(CouncilResult, col(CouncilResult.nomination_id) == Nomination.id)
        .where(
            Nomination.campaign_id == campaign.id,
            col(Nomination.status).in_(outcome),
            col(CouncilResult.selected).is_(True),
        )
        .order_by(col(Nomination.id), col(CouncilResult.id))
    ).all()
    drafted = session.exec(
        select(CampaignDocument.id).where(
            CampaignDocument.campaign_id == campaign.id,
            CampaignDocument.kind == DocumentKind.DECISION,
        )
    ).first()
    return ApprovalOutcome(
        campaign_name=campaign.name,
        decision=latest.decision,
        approver=latest.approver,
        comment=latest.comment,
        decided_at=latest.decided_at,
        dossiers=[
            OutcomeDossier(
                full_name=nomination.full_name,
                award_name=pack.awards[code].name_vi if code in pack.awards else code,
                status=nomination.status,
            )
            for nomination, code in rows
            if latest.decision is ApprovalDecision.APPROVE
        ],
        decision_number=campaign.decision_number,
        decision_date=campaign.decision_date,
        decision_drafted=drafted is not None,
    )
