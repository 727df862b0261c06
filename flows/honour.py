"""Stage 8 - honour: the decision and honourees list drafted, the units invited, the campaign
closed."""

from __future__ import annotations

from datetime import datetime

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from flows.common import StageRun, artifact_key, deliver_outbox, stage_task
from flows.monitor import publish_campaign_artifacts
from models.clock import resolve
from models.db import session_scope
from models.rules.budget import format_vnd
from models.rules.calendar import format_vn_date
from models.settings import get_settings
from services.honour import DecisionDocuments, invite_and_close, write_documents


@stage_task(name="write-decision-documents")
def write_documents_task(campaign_code: str, now: datetime, signer_name: str) -> DecisionDocuments:
    """Draft the decision and its annex and the honourees list; say on the run which amounts
    rest on unconfirmed multiples, to be checked before signing."""
    with session_scope() as session:
        drafted = write_documents(session, campaign_code, now, signer_name)
    notes = drafted.unconfirmed
    create_markdown_artifact(
        key=artifact_key(campaign_code, "decision"),
        markdown="\n".join(
            [
                f"# Quyết định số {drafted.decision_number}",
                "",
                f"- Ngày: {format_vn_date(drafted.decision_date)}",
                f"- Số người/tập thể được khen thưởng: **{drafted.honourees}**",
                f"- Mức lương cơ sở: {format_vnd(drafted.base_salary)}",
                f"- Tổng kinh phí: **{format_vnd(drafted.budget_total)}**",
                f"- Quyết định: [tải về]({drafted.decision_url})",
                f"- Danh sách khen thưởng: [tải về]({drafted.honourees_url})",
                *(
                    ["", "**Mức tiền thưởng chưa xác nhận (cần đối chiếu trước khi ký):**"]
                    if notes
                    else []
                ),
                *(f"- {note}" for note in notes),
            ]
        ),
    )
    return drafted


@stage_task(name="invite-and-close")
def invite_and_close_task(campaign_code: str, now: datetime, actor: str) -> int:
    """Invite each unit with honourees to the ceremony and mark its honourees as honoured."""
    with session_scope() as session:
        return invite_and_close(session, campaign_code, now, actor)


class HonourRun(DecisionDocuments, StageRun):
    invitations: int


@flow(name="honour-campaign", log_prints=True)
def honour_campaign(
    campaign_code: str,
    signer_name: str | None = None,
    now: datetime | None = None,
    actor: str = "operator",
) -> HonourRun:
    """Draft the decision and the honourees list, invite the units, close the campaign."""
    moment = resolve(now)
    signer = signer_name or get_settings().default_signer
    drafted = write_documents_task(campaign_code, moment, signer)
    invitations = invite_and_close_task(campaign_code, moment, actor)
    delivery = deliver_outbox(moment)
    publish_campaign_artifacts(campaign_code, moment)
    return HonourRun(
        campaign=campaign_code,
        invitations=invitations,
        **drafted.model_dump(),
        **delivery.model_dump(),
    )
