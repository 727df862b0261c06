"""Stage 6 - council: members, ballots and the statutory tally in one transaction."""

from __future__ import annotations

from datetime import datetime

from prefect import flow
from prefect.artifacts import create_table_artifact

from flows.common import StageRun, artifact_key, deliver_outbox, stage_task
from flows.monitor import publish_campaign_artifacts
from models.clock import resolve
from models.council import CouncilMemberCreate
from models.db import session_scope
from services.council import BallotInput, CouncilSummary, hold_council


@stage_task(name="tally-council")
def tally_council_task(
    campaign_code: str,
    members: list[CouncilMemberCreate],
    ballots: list[BallotInput],
    now: datetime,
    actor: str,
    force_reason: str | None = None,
) -> CouncilSummary:
    """Record the members and ballots and count the votes by the rule pack's thresholds, all or
    nothing; publish the council's table with the unconfirmed values it relied on."""
    with session_scope() as session:
        summary = hold_council(
            session, campaign_code, members, ballots, now, actor, force_reason=force_reason
        )
    if summary.rows:
        create_table_artifact(
            key=artifact_key(campaign_code, "council"),
            table=[
                {
                    "Hồ sơ": r.full_name,
                    "Danh hiệu/Hình thức": r.award_name,
                    "Phiếu đồng ý": f"{r.votes_in_favour}/{r.members_total}",
                    "Ngưỡng": f"{r.threshold:.0%}{r.threshold_mark}",
                    "Kết quả": "Đạt" if r.selected else "Không đạt",
                    "Ghi chú": r.note,
                }
                for r in summary.rows
            ],
            description="\n".join(
                [
                    "Kết quả bỏ phiếu của Hội đồng Thi đua - Khen thưởng",
                    *(f"- {note}" for note in summary.unconfirmed),
                ]
            ),
        )
    return summary


class CouncilRun(CouncilSummary, StageRun):
    pass


@flow(name="council-tally", log_prints=True)
def council_tally(
    campaign_code: str,
    members: list[CouncilMemberCreate] | None = None,
    ballots: list[BallotInput] | None = None,
    now: datetime | None = None,
    actor: str = "operator",
    force_reason: str | None = None,
) -> CouncilRun:
    """Record the council and its ballots, tally by the statutory thresholds, notify the units.

    Args:
        campaign_code: Mã đợt thi đua (campaign code)
        members: Thành viên Hội đồng (council members)
        ballots: Phiếu bầu (ballots)
        now: Thời điểm coi là bây giờ; để trống là đồng hồ hệ thống (moment taken as now)
        actor: Người thực hiện, ghi vào nhật ký (who, for the audit log)
        force_reason: Lý do họp dù còn hồ sơ chưa thẩm định (reason to go ahead)
    """
    moment = resolve(now)
    summary = tally_council_task(
        campaign_code, members or [], ballots or [], moment, actor, force_reason
    )
    delivery = deliver_outbox(moment)
    publish_campaign_artifacts(campaign_code, moment)
    return CouncilRun(campaign=campaign_code, **summary.model_dump(), **delivery.model_dump())
