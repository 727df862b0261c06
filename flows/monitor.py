"""What an operator sees in the Prefect UI without reading logs: keyed, versioned artifacts,
refreshed at the end of every stage; and the two runs that exist only to refresh them or to
send failed emails again."""

from __future__ import annotations

from datetime import datetime

from prefect import flow, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
)
from prefect.cache_policies import NO_CACHE

from flows.collector import collector_paused
from flows.common import DeliveryCounts, artifact_key, deliver_outbox
from models.clock import to_vn
from models.council import ApprovalDecision
from models.db import session_scope
from models.nomination import NominationStatus
from models.rules.calendar import format_vn_date
from models.rules.ladder import ProgressState
from notifications.outbox import failed_messages
from services.approval import ApprovalOutcome, approval_outcome
from services.campaigns import load_campaign
from services.documents import campaign_documents_url
from services.mail import requeue_emails
from services.status import CampaignStatus, campaign_status, standing_text

APPROVAL_WORDS = {
    ApprovalDecision.APPROVE: "Đã phê duyệt",
    ApprovalDecision.REJECT: "Không phê duyệt",
    ApprovalDecision.RETURN: "Trả lại Hội đồng xem xét lại",
}
OUTCOME_WORDS = {
    NominationStatus.APPROVED: "Được phê duyệt",
    NominationStatus.HONOURED: "Được khen thưởng",
    NominationStatus.EXCLUDED: "Không được phê duyệt",
}


def vn_moment(moment: datetime) -> str:
    """A moment as the operator reads it: Vietnam time, said so (Prefect's cards show UTC)."""
    return f"{to_vn(moment):%H:%M %d/%m/%Y} (giờ Việt Nam)"


def decision_line(outcome: ApprovalOutcome) -> str:
    if outcome.decision_number and outcome.decision_date:
        return (
            f"Quyết định số {outcome.decision_number}, ký ngày "
            f"{format_vn_date(outcome.decision_date)}"
        )
    if outcome.decision_drafted:
        return "Quyết định khen thưởng: **Dự thảo** (chưa ký, chưa có số)"
    return "Quyết định khen thưởng: chưa dự thảo"


def approval_outcome_markdown(outcome: ApprovalOutcome, documents_url: str) -> str:
    """The approval artifact once leadership has answered: their decision, each dossier's fate,
    and the commendation decision (draft, or number and date once signed)."""
    lines = [
        f"## Kết quả phê duyệt — {outcome.campaign_name}",
        "",
        f"- **{APPROVAL_WORDS[outcome.decision]}** — {outcome.approver}, "
        f"{vn_moment(outcome.decided_at)}",
        *([f"- Ý kiến: {outcome.comment}"] if outcome.comment else []),
    ]
    if outcome.decision is ApprovalDecision.APPROVE:
        lines += [f"- {decision_line(outcome)}", f"- Tài liệu: [tải về]({documents_url})"]
    if outcome.dossiers:
        lines += [
            "",
            "| Họ tên / Tập thể | Danh hiệu / Hình thức | Kết quả |",
            "|---|---|---|",
            *(
                f"| {d.full_name} | {d.award_name} | {OUTCOME_WORDS.get(d.status, d.status)} |"
                for d in outcome.dossiers
            ),
        ]
    return "\n".join(lines)


def _summary_markdown(
    status: CampaignStatus,
    deadlines: list[tuple[str, str]],
    failed: list[str],
    documents_url: str = "",
    outcome: ApprovalOutcome | None = None,
) -> str:
    lines = [
        f"# {status.name}",
        "",
        f"Giai đoạn: **{status.stage}** — cập nhật {vn_moment(status.now)}",
        "",
        f"- Đơn vị đã nộp: **{status.submitted}/{status.units}**"
        + (f" (trong đó {status.nil_returns} không đề nghị)" if status.nil_returns else ""),
        f"- Đơn vị quá hạn: **{status.overdue}**",
        f"- Hồ sơ đề nghị: **{status.nominations}**",
        f"- Email đã gửi: {status.emails_sent}; gửi lỗi: **{status.emails_failed}**",
        "",
        "## Các mốc sắp tới",
        "",
        "| Mốc | Ngày |",
        "|---|---|",
        *[f"| {label} | {day} |" for label, day in deadlines],
    ]
    if outcome is not None:  # after leadership's answer, the summary says it too
        decided = f"- Phê duyệt: **{APPROVAL_WORDS[outcome.decision]}** ({outcome.approver})"
        lines[8:8] = [decided, f"- {decision_line(outcome)}"]
    if documents_url:
        lines += [
            "",
            f"Tài liệu của đợt (quyết định, danh sách, mẫu của đơn vị): "
            f"[khu vực điều hành]({documents_url})",
        ]
    if status.mail_blocked is not None:  # issue 16: no email can leave, said first and in red
        lines[1:1] = ["", f"🔴 **{status.mail_blocked.line}**"]
    if failed:
        lines += ["", "## Email gửi lỗi (cần xử lý)", "", *[f"- {line}" for line in failed]]
    return "\n".join(lines)


@task(name="publish-campaign-artifacts", cache_policy=NO_CACHE)
def publish_campaign_artifacts(campaign_code: str, now: datetime) -> CampaignStatus:
    """Refresh the unit table, the progress bar and the summary under the campaign's keys."""
    with session_scope() as session, collector_paused():
        status = campaign_status(session, campaign_code, now)
        campaign = load_campaign(session, campaign_code)
        milestones = [
            ("Hạn nộp hồ sơ", campaign.submission_due),
            ("Hạn thẩm định", campaign.review_due),
            ("Họp Hội đồng", campaign.council_on),
            ("Trình phê duyệt", campaign.approval_due),
            ("Hội nghị tôn vinh", campaign.conference_date),
        ]
        upcoming = [(label, format_vn_date(day)) for label, day in milestones if day >= now.date()]
        failed = [
            f"{m.kind} → {', '.join(m.to_addrs)}: {m.last_error}"
            for m in failed_messages(session, campaign.id)
        ]
        outcome = approval_outcome(session, campaign_code)
    create_table_artifact(
        key=artifact_key(campaign_code, "units"),
        table=[
            {
                "Mã": row.unit_code,
                "Đơn vị": row.unit_name,
                "Tình trạng": standing_text(row.status, row.standing),
                "Hạn nộp": row.deadline.strftime("%d/%m/%Y"),
                "Ngày làm việc còn lại": (
                    "" if row.standing is ProgressState.SUBMITTED else row.working_days_left
                ),
                "Hồ sơ": row.nominations,
                "Bị trả lại": row.returned,
                "Lần nhắc": row.reminders_sent,
                "Tạm dừng nhắc": "Có" if row.paused else "",
            }
            for row in status.rows
        ],
        description=f"Tiến độ từng đơn vị — {status.name}",
    )
    create_progress_artifact(
        key=artifact_key(campaign_code, "progress"),
        progress=100.0 * status.submitted / status.units if status.units else 0.0,
        description=f"Đơn vị đã nộp hồ sơ: {status.submitted}/{status.units}",
    )
    create_markdown_artifact(
        key=artifact_key(campaign_code, "summary"),
        markdown=_summary_markdown(
            status, upcoming, failed, campaign_documents_url(campaign_code), outcome
        ),
        description="Tóm tắt đợt thi đua",
    )
    if outcome is not None:
        # Every republication after leadership's answer shows it (and the decision's state).
        create_markdown_artifact(
            key=artifact_key(campaign_code, "approval"),
            markdown=approval_outcome_markdown(outcome, campaign_documents_url(campaign_code)),
            description=f"Kết quả phê duyệt — {outcome.campaign_name}",
        )
    return status


@flow(name="refresh-campaign-artifacts")
def refresh_campaign_artifacts(campaign_codes: list[str], now: datetime) -> None:
    """Refresh the campaigns' artifacts after a delivery outside any stage (the scheduler's):
    the summary lists the failed emails. A flow, since Prefect wants artifacts in a run."""
    for code in campaign_codes:
        publish_campaign_artifacts(code, now)


@flow(name="requeue-failed-emails")
def requeue_failed_emails(
    campaign_code: str, message_ids: list[int], actor: str, now: datetime
) -> DeliveryCounts:
    """Put a campaign's failed emails back in the queue (audited; refused whole, changing
    nothing, if an id is not a failed email of the campaign) and deliver them at once through
    the stages' own delivery; then refresh the artifacts, whose summary listed them."""
    with session_scope() as session:
        requeue_emails(session, campaign_code, message_ids, now, actor)
    delivery = deliver_outbox(now)
    publish_campaign_artifacts(campaign_code, now)
    return delivery
