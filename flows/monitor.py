"""What an operator sees in the Prefect UI without reading logs: keyed, versioned artifacts."""

from __future__ import annotations

from datetime import datetime

from prefect import task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
)
from prefect.cache_policies import NO_CACHE
from sqlmodel import select

from flows.common import artifact_key, load_campaign
from flows.status import CampaignStatus, campaign_status
from models.db import session_scope
from models.outbox import OutboxMessage, OutboxStatus
from models.rules.calendar import format_vn_date
from models.rules.ladder import ProgressState

STANDING_VI = {
    "submitted": "Đã nộp",
    "on_track": "Trong hạn",
    "due_soon": "Sắp đến hạn",
    "overdue": "Quá hạn",
}


def _summary_markdown(
    status: CampaignStatus, deadlines: list[tuple[str, str]], failed: list[str]
) -> str:
    lines = [
        f"# {status.name}",
        "",
        f"Giai đoạn: **{status.stage}** — cập nhật {status.now:%d/%m/%Y %H:%M}",
        "",
        f"- Đơn vị đã nộp: **{status.submitted}/{status.units}**",
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
    if status.mail_blocked is not None:  # issue 16: no email can leave, said first and in red
        lines[1:1] = ["", f"🔴 **{status.mail_blocked.line}**"]
    if failed:
        lines += ["", "## Email gửi lỗi (cần xử lý)", "", *[f"- {line}" for line in failed]]
    return "\n".join(lines)


@task(name="publish-campaign-artifacts", cache_policy=NO_CACHE)
def publish_campaign_artifacts(campaign_code: str, now: datetime) -> CampaignStatus:
    """Refresh the unit table, the progress bar and the summary under the campaign's keys."""
    with session_scope() as session:
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
            for m in session.exec(
                select(OutboxMessage).where(
                    OutboxMessage.campaign_id == campaign.id,
                    OutboxMessage.status == OutboxStatus.FAILED,
                )
            ).all()
        ]
    create_table_artifact(
        key=artifact_key(campaign_code, "units"),
        table=[
            {
                "Mã": row.unit_code,
                "Đơn vị": row.unit_name,
                "Tình trạng": STANDING_VI[row.standing],
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
        markdown=_summary_markdown(status, upcoming, failed),
        description="Tóm tắt đợt thi đua",
    )
    return status
