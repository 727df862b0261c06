"""Stage 1 - plan: the campaign and its deadlines, counted back from the conference."""

from __future__ import annotations

from datetime import date, datetime

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from flows.common import artifact_key, stage_task
from flows.monitor import publish_campaign_artifacts
from models.clock import resolve
from models.db import session_scope
from models.rules.calendar import format_vn_date
from services.plan import CampaignPlan, plan

_MILESTONES = (
    ("dispatch_on", "Gửi công văn"),
    ("submission_due", "Hạn nộp hồ sơ"),
    ("review_due", "Hạn thẩm định"),
    ("council_on", "Họp Hội đồng"),
    ("approval_due", "Trình phê duyệt"),
)


@stage_task(name="create-campaign")
def create_campaign_task(
    code: str,
    year: int,
    name: str,
    conference_date: date,
    rule_pack: str | None,
    titles_on_offer: list[str] | None,
    quotas: dict[str, int] | None,
    update: bool,
    now: datetime,
    actor: str,
) -> CampaignPlan:
    """Create the campaign with its deadline plan and enrol every active unit, in one
    transaction; a re-run with the same code changes nothing."""
    with session_scope() as session:
        return plan(
            session,
            code=code,
            year=year,
            name=name,
            conference_date=conference_date,
            rule_pack=rule_pack,
            titles_on_offer=titles_on_offer,
            quotas=quotas,
            update=update,
            now=now,
            actor=actor,
        )


def _plan_markdown(planned: CampaignPlan) -> str:
    lines = [f"# Kế hoạch {planned.name}", "", "| Mốc | Ngày |", "|---|---|"]
    lines += [
        f"| {label} | {format_vn_date(planned.deadlines[field])} |" for field, label in _MILESTONES
    ]
    lines += [
        f"| Hội nghị tôn vinh | {format_vn_date(planned.conference_date)} |",
        "",
        f"Bộ quy định áp dụng: `{planned.rule_pack}` — {planned.rule_pack_citation}",
    ]
    if planned.changed:
        lines += ["", "**Đã lập lại kế hoạch (re-planned):**", ""]
        lines += [f"- {field}: {old} → {new}" for field, (old, new) in planned.changed.items()]
    if planned.unconfirmed:
        lines += ["", "**Giá trị chưa xác nhận (có thể cấu hình):**", ""]
        lines += [f"- {note}" for note in planned.unconfirmed]
    return "\n".join(lines)


@flow(name="plan-campaign", log_prints=True)
def plan_campaign(
    code: str,
    year: int,
    name: str,
    conference_date: date,
    rule_pack: str | None = None,
    titles_on_offer: list[str] | None = None,
    quotas: dict[str, int] | None = None,
    update: bool = False,
    now: datetime | None = None,
    actor: str = "operator",
) -> CampaignPlan:
    """Create a campaign and its deadline plan, counted back from the conference in working days.

    Args:
        code: Mã đợt thi đua, ví dụ tdkt-2026 (campaign code)
        year: Năm thi đua (emulation year)
        name: Tên đợt (campaign name)
        conference_date: Ngày hội nghị tôn vinh (conference date)
        rule_pack: Bộ quy định; để trống thì chọn theo ngày (rule pack; empty: by date)
        titles_on_offer: Mã danh hiệu, hình thức của đợt; để trống là tất cả (awards on offer)
        quotas: Chỉ tiêu theo danh hiệu (quota per award)
        update: Lập lại kế hoạch của đợt đã có, tính lại các mốc (re-plan an existing campaign)
        now: Thời điểm coi là bây giờ; để trống là đồng hồ hệ thống (moment taken as now)
        actor: Người thực hiện, ghi vào nhật ký (who, for the audit log)
    """
    moment = resolve(now)
    planned = create_campaign_task(
        code, year, name, conference_date, rule_pack, titles_on_offer, quotas, update, moment, actor
    )
    create_markdown_artifact(key=artifact_key(code, "plan"), markdown=_plan_markdown(planned))
    # The campaign's units table, progress and summary exist from the start, not from dispatch.
    publish_campaign_artifacts(code, moment)
    return planned
