"""Honouring: the decision and its annex (DOCX) and the honourees list with the amounts (XLSX),
drafted once leadership approved; then, when the registry has numbered the signed decision
(``services.signing``), the same documents signed, the invitations quoting its number, and the
campaign closed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from pydantic import BaseModel
from sqlmodel import Session, col, select

from documents.decision import (
    DecisionDoc,
    Honouree,
    write_decision_docx,
)
from documents.honourees import write_honourees_xlsx
from models.campaign import Campaign, CampaignStage
from models.council import CouncilResult
from models.document import DocumentKind
from models.nomination import Nomination, NominationStatus, NomineeKind
from models.outbox import EmailKind
from models.rules.budget import award_amount, base_salary_on, compute_budget
from models.settings import get_settings
from models.unit import Unit
from services.campaigns import campaign_pack, load_campaign, outputs_dir, set_stage
from services.documents import document_url, store_file
from services.errors import OperatorError
from services.letters import enqueue_per_unit
from services.nominations import Transition, move_nominations


class DecisionDocuments(BaseModel):
    """The decision and honourees list (a draft until signed), and the figures behind them."""

    signed: bool
    decision_number: str | None  # None: a draft, no number yet
    decision_date: date | None
    base_salary: int
    honourees: int
    individuals: int
    budget_total: int
    decision_docx: str
    honourees_xlsx: str
    # Where the operator downloads them (the portal's operator area), from any host.
    decision_url: str
    honourees_url: str
    unconfirmed: list[str]


def decision_file_name(campaign_code: str) -> str:
    return f"quyet-dinh-{campaign_code}.docx"


def honourees_file_name(campaign_code: str) -> str:
    return f"danh-sach-khen-thuong-{campaign_code}.xlsx"


def require_approved(campaign: Campaign) -> None:
    """The decision is drafted and signed only for an approved (or already honoured) list."""
    if campaign.stage not in (CampaignStage.APPROVED, CampaignStage.HONOURED):
        raise OperatorError(
            "not_approved",
            f"Đợt {campaign.code} chưa được phê duyệt (giai đoạn '{campaign.stage}').",
            f"Campaign {campaign.code} is not approved yet (stage '{campaign.stage}').",
            stage=str(campaign.stage),
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
                unit_code=unit.code,
                nominee_key=nomination.nominee_key,
            )
        )
    return honourees


def draft_decision(
    session: Session,
    campaign: Campaign,
    statuses: Sequence[NominationStatus],
    amounts_on: date,
    signer_name: str | None = None,
) -> DecisionDoc:
    """What the decision says for the dossiers in ``statuses`` (the approved list for the
    decision itself; the council's passed list for the draft the approving leader previews):
    the honourees with their amounts on ``amounts_on``, the total, the signer. Numbered and
    dated only once the campaign's decision is signed; a draft ("DỰ THẢO") before. The signer is
    the one recorded at signing, else ``signer_name``, else the default."""
    settings = get_settings()
    pack = campaign_pack(campaign)
    honourees = honourees_of(session, campaign, statuses, amounts_on)
    budget = compute_budget([(h.award_code, h.kind) for h in honourees], pack, amounts_on)
    return DecisionDoc(
        ministry_name=settings.ministry_name,
        decision_number=campaign.decision_number,
        decision_date=campaign.decision_date if campaign.decision_number else None,
        signer_title=campaign.decision_signer_title or settings.signature_block_for(),
        signer_name=campaign.decision_signer_name or signer_name or settings.default_signer,
        campaign_name=campaign.name,
        year=campaign.year,
        honourees=honourees,
        legal_basis=[pack.citation],
        total_amount=budget.total,
        number_suffix=settings.decision_number_suffix,
    )


def write_documents(
    session: Session, campaign_code: str, now: datetime, signer_name: str | None = None
) -> DecisionDocuments:
    """The decision and its annex and the honourees list with each cash amount: a draft (no
    number, no date, "DỰ THẢO") until the campaign's decision is signed, the signed text after."""
    campaign = load_campaign(session, campaign_code)
    require_approved(campaign)
    pack = campaign_pack(campaign)
    signed = campaign.decision_number is not None
    # The amounts follow the base salary in force on the signing day (today, for a draft).
    decision_date = campaign.decision_date if signed else None
    amounts_on = decision_date or now.date()
    statuses = (NominationStatus.APPROVED, NominationStatus.HONOURED)
    draft = draft_decision(session, campaign, statuses, amounts_on, signer_name)
    honourees = draft.honourees
    # The amounts rest on these multiples; an unconfirmed one must be checked before signing.
    unconfirmed = pack.unconfirmed_notes({h.award_code for h in honourees}, topics=["cash"])
    folder = outputs_dir(campaign.code)
    folder.mkdir(parents=True, exist_ok=True)
    docx = write_decision_docx(folder / decision_file_name(campaign.code), draft)
    xlsx = write_honourees_xlsx(
        folder / honourees_file_name(campaign.code),
        campaign.name,
        campaign.decision_number,
        decision_date,
        honourees,
    )
    store_file(session, campaign, DocumentKind.DECISION, docx, now)
    store_file(session, campaign, DocumentKind.HONOUREES, xlsx, now)
    return DecisionDocuments(
        signed=signed,
        decision_number=campaign.decision_number,
        decision_date=decision_date,
        base_salary=base_salary_on(amounts_on),
        honourees=len(honourees),
        individuals=sum(1 for h in honourees if h.kind == NomineeKind.INDIVIDUAL),
        budget_total=draft.total_amount,
        decision_docx=str(docx),
        honourees_xlsx=str(xlsx),
        decision_url=document_url(campaign.code, docx.name),
        honourees_url=document_url(campaign.code, xlsx.name),
        unconfirmed=unconfirmed,
    )


def invite_and_close(session: Session, campaign_code: str, now: datetime, actor: str) -> int:
    """Invite each unit with honourees to the ceremony, quoting the signed decision, and mark
    its honourees as honoured. Only after signing (``services.signing``): an invitation is the
    ministry announcing an honour, which exists only once the decision is signed."""
    campaign = load_campaign(session, campaign_code)
    assert campaign.id is not None
    if campaign.decision_number is None:
        raise OperatorError(
            "decision_not_signed",
            f"Quyết định khen thưởng của đợt {campaign.code} chưa được ký và vào số.",
            f"The decision of campaign {campaign.code} has not been signed and numbered yet.",
        )
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
