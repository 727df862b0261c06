"""Stage 8 - honour: the decision with its annex (DOCX), the honourees list (XLSX), invitations."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from sqlmodel import col, select

from documents.decision import DecisionDoc, Honouree, write_decision_docx
from documents.honourees import write_honourees_xlsx
from flows.awards import campaign_pack
from flows.common import (
    OperatorError,
    Transition,
    artifact_key,
    deliver_outbox,
    load_campaign,
    move_nominations,
    set_stage,
)
from flows.mail import enqueue_per_unit
from flows.monitor import publish_campaign_artifacts
from models.campaign import Campaign, CampaignStage
from models.clock import resolve
from models.db import session_scope
from models.nomination import Nomination, NominationStatus, NomineeKind
from models.rules.budget import award_amount, base_salary_on, compute_budget, format_vnd
from models.rules.calendar import format_vn_date
from models.settings import get_settings
from models.unit import Unit


def outputs_dir(campaign_code: str) -> Path:
    return get_settings().output_dir / campaign_code


def _decision_number(campaign: Campaign) -> str:
    return campaign.decision_number or f"{campaign.id:03d}/QĐ-BTTTT"


@task(name="write-decision-documents", cache_policy=NO_CACHE)
def write_documents(campaign_code: str, now: datetime, signer_name: str) -> dict[str, Any]:
    """Draft the decision and its annex, and the honourees list with each cash amount."""
    settings = get_settings()
    with session_scope() as session:
        campaign = load_campaign(session, campaign_code)
        if campaign.stage not in (CampaignStage.APPROVED, CampaignStage.HONOURED):
            raise OperatorError(
                f"Đợt {campaign.code} chưa được phê duyệt (giai đoạn '{campaign.stage}'). "
                f"(Campaign not approved yet.)"
            )
        pack = campaign_pack(campaign)
        decision_date = campaign.decision_date or now.date()
        base_salary = base_salary_on(decision_date)
        approved = session.exec(
            select(Nomination, Unit)
            .join(Unit, col(Unit.id) == Nomination.unit_id)
            .where(
                Nomination.campaign_id == campaign.id,
                col(Nomination.status).in_([NominationStatus.APPROVED, NominationStatus.HONOURED]),
            )
            .order_by(Unit.code, col(Nomination.row_number))
        ).all()
        honourees = []
        for nomination, unit in approved:
            award = pack.awards[nomination.proposed_title or nomination.proposed_form or ""]
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
        budget = compute_budget([(h.award_code, h.kind) for h in honourees], pack, decision_date)
        # The amounts rest on these multiples; an unconfirmed one must be checked before signing.
        unconfirmed = pack.unconfirmed_notes({h.award_code for h in honourees}, topics=["cash"])
        campaign.decision_number = _decision_number(campaign)
        campaign.decision_date = decision_date
        session.add(campaign)
        folder = outputs_dir(campaign.code)
        folder.mkdir(parents=True, exist_ok=True)
        docx = write_decision_docx(
            folder / f"quyet-dinh-{campaign.code}.docx",
            DecisionDoc(
                ministry_name=settings.ministry_name,
                decision_number=campaign.decision_number,
                decision_date=decision_date,
                signer_title="KT. BỘ TRƯỞNG\nTHỨ TRƯỞNG",
                signer_name=signer_name,
                campaign_name=campaign.name,
                year=campaign.year,
                honourees=honourees,
                legal_basis=[pack.citation],
                total_amount=budget.total,
            ),
        )
        xlsx = write_honourees_xlsx(
            folder / f"danh-sach-khen-thuong-{campaign.code}.xlsx",
            campaign.name,
            campaign.decision_number,
            decision_date,
            honourees,
        )
        create_markdown_artifact(
            key=artifact_key(campaign.code, "decision"),
            markdown="\n".join(
                [
                    f"# Quyết định số {campaign.decision_number}",
                    "",
                    f"- Ngày: {format_vn_date(decision_date)}",
                    f"- Số người/tập thể được khen thưởng: **{len(honourees)}**",
                    f"- Mức lương cơ sở: {format_vnd(base_salary)}",
                    f"- Tổng kinh phí: **{format_vnd(budget.total)}**",
                    f"- Quyết định: `{docx}`",
                    f"- Danh sách: `{xlsx}`",
                    *(
                        ["", "**Mức tiền thưởng chưa xác nhận (cần đối chiếu trước khi ký):**"]
                        if unconfirmed
                        else []
                    ),
                    *(f"- {note}" for note in unconfirmed),
                ]
            ),
        )
        return {
            "honourees": len(honourees),
            "individuals": sum(1 for h in honourees if h.kind == NomineeKind.INDIVIDUAL),
            "budget_total": budget.total,
            "decision_docx": str(docx),
            "honourees_xlsx": str(xlsx),
            "unconfirmed": unconfirmed,
        }


@task(name="invite-and-close", cache_policy=NO_CACHE)
def invite_and_close(campaign_code: str, now: datetime, actor: str) -> int:
    """Invite each unit with honourees to the ceremony and mark its honourees as honoured."""
    with session_scope() as session:
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
            kind="invitation",
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


@flow(name="honour-campaign", log_prints=True)
def honour_campaign(
    campaign_code: str,
    signer_name: str = "Phan Tâm",
    now: datetime | None = None,
    actor: str = "operator",
) -> dict[str, Any]:
    """Draft the decision and the honourees list, invite the units, close the campaign."""
    moment = resolve(now)
    documents = write_documents(campaign_code, moment, signer_name)
    invitations = invite_and_close(campaign_code, moment, actor)
    delivery = deliver_outbox(moment)
    publish_campaign_artifacts(campaign_code, moment)
    return {"campaign": campaign_code, **documents, "invitations": invitations, **delivery}
