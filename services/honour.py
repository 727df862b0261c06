"""Honouring: the decision and its annex (DOCX), the honourees list with the amounts (XLSX), the
invitations, and the campaign closed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from pydantic import BaseModel
from sqlmodel import Session, col, select

from documents.decision import (
    DecisionDoc,
    Honouree,
    format_decision_number,
    write_decision_docx,
)
from documents.honourees import write_honourees_xlsx
from models.campaign import Campaign, CampaignStage
from models.council import CouncilResult
from models.nomination import Nomination, NominationStatus, NomineeKind
from models.outbox import EmailKind
from models.rules.budget import award_amount, base_salary_on, compute_budget
from models.settings import get_settings
from models.unit import Unit
from services.campaigns import campaign_pack, load_campaign, outputs_dir, set_stage
from services.errors import OperatorError
from services.letters import enqueue_per_unit
from services.nominations import Transition, move_nominations


class DecisionDocuments(BaseModel):
    """The drafted decision and honourees list, and the figures behind them."""

    decision_number: str
    decision_date: date
    base_salary: int
    honourees: int
    individuals: int
    budget_total: int
    decision_docx: str
    honourees_xlsx: str
    unconfirmed: list[str]


def _decision_number(campaign: Campaign) -> str:
    return campaign.decision_number or format_decision_number(
        campaign.id or 0, get_settings().decision_number_suffix
    )


def honourees_of(
    session: Session,
    campaign: Campaign,
    statuses: Sequence[NominationStatus],
    decision_date: date,
) -> list[Honouree]:
    """Each award the council passed for the campaign's dossiers in ``statuses``, one annex line
    each (title first), with its cash amount on ``decision_date``."""
    pack = campaign_pack(campaign)
    base_salary = base_salary_on(decision_date)
    rows = session.exec(
        select(Nomination, Unit, CouncilResult.award_code)
        .join(Unit, col(Unit.id) == Nomination.unit_id)
        .join(CouncilResult, col(CouncilResult.nomination_id) == Nomination.id)
        .where(
            Nomination.campaign_id == campaign.id,
            col(Nomination.status).in_(list(statuses)),
            col(CouncilResult.selected).is_(True),
        )
        .order_by(Unit.code, col(Nomination.row_number), col(CouncilResult.id))
    ).all()
    honourees = []
    for nomination, unit, award_code in rows:
        award = pack.awards[award_code]
        amount = award_amount(award.cash_multiple_for(nomination.kind), base_salary)
        honourees.append(
            Honouree(
                kind=nomination.kind,
                full_name=nomination.full_name,
                position=nomination.position,
                workplace=nomination.workplace or unit.name,
                award_code=award.code,
                award_name=award.name_vi,
                amount=amount,
            )
        )
    return honourees


def draft_decision(
    session: Session,
    campaign: Campaign,
    statuses: Sequence[NominationStatus],
    decision_date: date,
    signer_name: str,
) -> DecisionDoc:
    """What the decision says for the dossiers in ``statuses``: the honourees with their amounts,
    the total, the signer (the approved list for the decision itself; the council's passed list
    for the draft the approving leader previews)."""
    settings = get_settings()
    pack = campaign_pack(campaign)
    honourees = honourees_of(session, campaign, statuses, decision_date)
    budget = compute_budget([(h.award_code, h.kind) for h in honourees], pack, decision_date)
    return DecisionDoc(
        ministry_name=settings.ministry_name,
        decision_number=_decision_number(campaign),
        decision_date=decision_date,
        signer_title=settings.signer_title,
        signer_name=signer_name,
        campaign_name=campaign.name,
        year=campaign.year,
        honourees=honourees,
        legal_basis=[pack.citation],
        total_amount=budget.total,
    )


def write_documents(
    session: Session, campaign_code: str, now: datetime, signer_name: str
) -> DecisionDocuments:
    """Draft the decision and its annex, and the honourees list with each cash amount."""
    campaign = load_campaign(session, campaign_code)
    if campaign.stage not in (CampaignStage.APPROVED, CampaignStage.HONOURED):
        raise OperatorError(
            "not_approved",
            f"Đợt {campaign.code} chưa được phê duyệt (giai đoạn '{campaign.stage}').",
            f"Campaign {campaign.code} is not approved yet (stage '{campaign.stage}').",
            stage=str(campaign.stage),
        )
    pack = campaign_pack(campaign)
    decision_date = campaign.decision_date or now.date()
    statuses = (NominationStatus.APPROVED, NominationStatus.HONOURED)
    draft = draft_decision(session, campaign, statuses, decision_date, signer_name)
    honourees = draft.honourees
    # The amounts rest on these multiples; an unconfirmed one must be checked before signing.
    unconfirmed = pack.unconfirmed_notes({h.award_code for h in honourees}, topics=["cash"])
    campaign.decision_number = draft.decision_number
    campaign.decision_date = decision_date
    session.add(campaign)
    folder = outputs_dir(campaign.code)
    folder.mkdir(parents=True, exist_ok=True)
    docx = write_decision_docx(folder / f"quyet-dinh-{campaign.code}.docx", draft)
    xlsx = write_honourees_xlsx(
        folder / f"danh-sach-khen-thuong-{campaign.code}.xlsx",
        campaign.name,
        campaign.decision_number,
        decision_date,
        honourees,
    )
    return DecisionDocuments(
        decision_number=campaign.decision_number,
        decision_date=decision_date,
        base_salary=base_salary_on(decision_date),
        honourees=len(honourees),
        individuals=sum(1 for h in honourees if h.kind == NomineeKind.INDIVIDUAL),
        budget_total=draft.total_amount,
        decision_docx=str(docx),
        honourees_xlsx=str(xlsx),
        unconfirmed=unconfirmed,
    )


def invite_and_close(session: Session, campaign_code: str, now: datetime, actor: str) -> int:
    """Invite each unit with honourees to the ceremony and mark its honourees as honoured."""
    campaign = load_campaign(session, campaign_code)
    assert campaign.id is not None
    approved = session.exec(
        select(Nomination).where(
            Nomination.campaign_id == campaign.id,
            Nomination.status == NominationStatus.APPROVED,
        )
    ).all()
    invited = enqueue_per_unit(
        session,
        kind=EmailKind.INVITATION,
        campaign=campaign,
        nominations=approved,
        now=now,
        describe=lambda mine: {
            "honourees": [n.full_name for n in mine],
            "decision_number": campaign.decision_number,
        },
    )
    details = {"decision_number": campaign.decision_number}
    move_nominations(
        session,
        [Transition(n, NominationStatus.HONOURED, details=details) for n in approved],
        now=now,
        actor=actor,
        action="honoured",
        campaign_id=campaign.id,
    )
    set_stage(session, campaign, CampaignStage.HONOURED, now, actor)
    return invited
