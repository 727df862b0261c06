"""Stage 5 - review (thẩm định): the rule pack's checks, the officer's decisions, returns."""

from __future__ import annotations

from datetime import datetime

from prefect import flow
from prefect.artifacts import create_table_artifact

from flows.common import StageRun, artifact_key, deliver_outbox, stage_task
from flows.monitor import publish_campaign_artifacts
from models.clock import VN_TZ, resolve
from models.db import session_scope
from models.nomination import NOMINATION_STATUS_VI, Severity
from services.review import ReviewDecision, ReviewReport, review_round


@stage_task(name="check-and-decide")
def check_and_decide(
    campaign_code: str,
    decisions: list[ReviewDecision],
    now: datetime,
    reviewer: str,
    force_reason: str | None = None,
) -> ReviewReport:
    """Run the rule pack over new dossiers, then apply the officer's decisions on top; publish
    this round's findings as the officer's table (every finding, with the dossier, its unit and
    where it stands now)."""
    with session_scope() as session:
        report = review_round(
            session, campaign_code, decisions, now, reviewer, force_reason=force_reason
        )
    if report.findings:
        create_table_artifact(
            key=artifact_key(campaign_code, "review"),
            table=[
                {
                    "Hồ sơ": f.nomination_id,
                    "Đơn vị": f.unit_code,
                    "Họ tên / Tập thể": f.full_name,
                    "Trạng thái": NOMINATION_STATUS_VI[f.status],
                    "Mức": "Lỗi" if f.severity is Severity.ERROR else "Cảnh báo",
                    "Nội dung": f.message,
                    "Căn cứ": f.citation,
                }
                for f in report.findings
            ],
            description="Kết quả kiểm tra tự động của đợt thẩm định này",
        )
    if report.resubmissions:
        create_table_artifact(
            key=artifact_key(campaign_code, "review-changes"),
            table=[
                {
                    "Đơn vị": unit.unit_code,
                    "Nộp lại lúc": unit.received_at.astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y"),
                    "Thay đổi so với lần trước": line,
                }
                for unit in report.resubmissions
                for line in unit.lines_vi()
            ],
            description="Danh sách đơn vị nộp lại: những gì đã thay đổi so với lần nộp trước",
        )
    return report


class ReviewRun(ReviewReport, StageRun):
    pass


@flow(name="review-nominations", log_prints=True)
def review_nominations(
    campaign_code: str,
    decisions: list[ReviewDecision] | None = None,
    now: datetime | None = None,
    reviewer: str = "operator",
    force_reason: str | None = None,
) -> ReviewRun:
    """Check every new dossier against the rule pack, apply the officer's verdicts, notify units.

    Args:
        campaign_code: Mã đợt thi đua (campaign code)
        decisions: Ý kiến của chuyên viên: chấp nhận, trả lại, không đủ điều kiện (decisions)
        now: Thời điểm coi là bây giờ; để trống là đồng hồ hệ thống (moment taken as now)
        reviewer: Chuyên viên thẩm định (the reviewing officer)
        force_reason: Lý do thẩm định dù còn đơn vị chưa nộp trước hạn (reason to go ahead)
    """
    moment = resolve(now)
    report = check_and_decide(campaign_code, decisions or [], moment, reviewer, force_reason)
    delivery = deliver_outbox(moment)
    publish_campaign_artifacts(campaign_code, moment)
    return ReviewRun(campaign=campaign_code, **report.model_dump(), **delivery.model_dump())
