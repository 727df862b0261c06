"""Stage 8 - honour: the decision and the honourees list drafted ("DỰ THẢO", no number); then,
once the registry has numbered the signed decision, ``sign-decision`` records it, re-renders
both documents signed, invites the units (quoting the number) and closes the campaign."""

from __future__ import annotations

from datetime import date, datetime

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from flows.common import StageRun, artifact_key, deliver_outbox, stage_task
from flows.monitor import publish_campaign_artifacts
from models.clock import resolve
from models.db import session_scope
from models.rules.budget import format_vnd
from models.rules.calendar import format_vn_date
from models.settings import SignerRole
from services.honour import DecisionDocuments, write_documents
from services.signing import SignedDecision, sign_decision


def decision_markdown(documents: DecisionDocuments) -> str:
    """The decision artifact: what it says, whether it is signed, and where to download it."""
    if documents.signed and documents.decision_number and documents.decision_date:
        heading = [
            f"# Quyết định số {documents.decision_number}",
            "",
            f"- Đã ký ngày: {format_vn_date(documents.decision_date)}",
        ]
    else:
        heading = [
            "# Dự thảo quyết định khen thưởng (DỰ THẢO — chưa ký, chưa có số)",
            "",
            "- Sau khi ký, ghi số và ngày: `tonvinh honour sign MÃ-ĐỢT --number … --date …` "
            "hoặc deployment **sign-decision**; giấy mời chỉ gửi sau bước này.",
        ]
    notes = documents.unconfirmed
    return "\n".join(
        [
            *heading,
            f"- Số người/tập thể được khen thưởng: **{documents.honourees}**",
            f"- Mức lương cơ sở: {format_vnd(documents.base_salary)}",
            f"- Tổng kinh phí: **{format_vnd(documents.budget_total)}**",
            f"- Quyết định và phụ lục: [tải về]({documents.decision_url})",
            f"- Danh sách khen thưởng: [tải về]({documents.honourees_url})",
            *(
                ["", "**Mức tiền thưởng chưa xác nhận (cần đối chiếu trước khi ký):**"]
                if notes
                else []
            ),
            *(f"- {note}" for note in notes),
        ]
    )


def publish_decision(campaign_code: str, documents: DecisionDocuments) -> None:
    create_markdown_artifact(
        key=artifact_key(campaign_code, "decision"),
        markdown=decision_markdown(documents),
        description="Quyết định khen thưởng",
    )


@stage_task(name="write-decision-documents")
def write_documents_task(campaign_code: str, now: datetime, signer_name: str) -> DecisionDocuments:
    """Draft the decision and its annex and the honourees list; say on the run which amounts
    rest on unconfirmed multiples, to be checked before signing."""
    with session_scope() as session:
        drafted = write_documents(session, campaign_code, now, signer_name)
    publish_decision(campaign_code, drafted)
    return drafted


class HonourRun(DecisionDocuments, StageRun):
    invitations: int  # 0: the invitations wait for the signed decision


@flow(name="honour-campaign", log_prints=True)
def honour_campaign(
    campaign_code: str,
    signer_name: str | None = None,
    now: datetime | None = None,
    actor: str = "operator",
) -> HonourRun:
    """Draft the decision and the honourees list (no number until signed; no invitation yet)."""
    moment = resolve(now)
    drafted = write_documents_task(campaign_code, moment, signer_name or "")
    publish_campaign_artifacts(campaign_code, moment)
    return HonourRun(campaign=campaign_code, invitations=0, **drafted.model_dump())


@stage_task(name="record-signed-decision")
def sign_task(
    campaign_code: str,
    number: str,
    signed_on: date,
    now: datetime,
    actor: str,
    signer_name: str | None,
    signer_role: SignerRole | None,
    force_reason: str | None,
) -> SignedDecision:
    """Record the number and date, re-render the documents signed, queue the invitations."""
    with session_scope() as session:
        return sign_decision(
            session,
            campaign_code,
            number,
            signed_on,
            now=now,
            actor=actor,
            signer_name=signer_name,
            signer_role=signer_role,
            force_reason=force_reason,
        )


class SignRun(SignedDecision, StageRun):
    pass


@flow(name="sign-decision", log_prints=True)
def sign_decision_flow(
    campaign_code: str,
    number: str,
    signed_on: date,
    signer_name: str | None = None,
    signer_role: SignerRole | None = None,
    force_reason: str | None = None,
    now: datetime | None = None,
    actor: str = "operator",
) -> SignRun:
    """Ghi số và ngày của quyết định đã ký; gửi giấy mời; kết thúc đợt. (Record the signed
    decision's number and date, send the invitations quoting it, close the campaign.) A day off
    is refused unless ``force_reason`` says why (audited)."""
    moment = resolve(now)
    signed = sign_task(
        campaign_code,
        number,
        signed_on,
        moment,
        actor,
        signer_name,
        signer_role,
        force_reason,
    )
    if signed.documents is not None:
        publish_decision(campaign_code, signed.documents)
    delivery = deliver_outbox(moment)
    publish_campaign_artifacts(campaign_code, moment)
    return SignRun(**signed.model_dump(), **delivery.model_dump())
