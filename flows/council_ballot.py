"""Stage 6 by secret e-ballot: the convocation, and the close that tallies (thin flows over
``services.council_vote``; the deployments ``council-convene`` and ``council-close``)."""

from __future__ import annotations

from datetime import datetime

from prefect import flow

from flows.common import StageRun, deliver_outbox, stage_task
from flows.monitor import publish_campaign_artifacts
from models import clock
from models.clock import resolve, to_vn
from models.db import session_scope
from services.council_vote import (
    CloseResult,
    ConvocationResult,
    close_voting,
    convene,
    open_votings,
    remind_non_voters,
)
from services.mail import deliver_and_report


@stage_task(name="convene-council")
def convene_task(
    campaign_code: str, now: datetime, actor: str, early: bool, force_reason: str | None
) -> ConvocationResult:
    with session_scope() as session:
        return convene(session, campaign_code, now, actor, early=early, force_reason=force_reason)


@stage_task(name="close-council-ballot")
def close_task(campaign_code: str, now: datetime, actor: str) -> CloseResult:
    """Close, tally, minutes and the members' result emails, all or nothing (idempotent)."""
    with session_scope() as session:
        return close_voting(session, campaign_code, now, actor)


class ConvocationRun(ConvocationResult, StageRun):
    pass


class CloseRun(CloseResult, StageRun):
    pass


@flow(name="council-convene", log_prints=True)
def convene_council(
    campaign_code: str,
    now: datetime | None = None,
    actor: str = "operator",
    early: bool = False,
    force_reason: str | None = None,
) -> ConvocationRun:
    """Send each council member the convocation, the dossier pack and their ballot link.

    Args:
        campaign_code: Mã đợt thi đua (campaign code)
        now: Thời điểm coi là bây giờ; để trống là đồng hồ hệ thống (moment taken as now)
        actor: Người thực hiện, ghi vào nhật ký (who, for the audit log)
        early: Gửi trước ngày dự kiến (send before the due day)
        force_reason: Lý do triệu tập dù còn hồ sơ chưa thẩm định (reason to go ahead)
    """
    moment = resolve(now)
    result = convene_task(campaign_code, moment, actor, early, force_reason)
    delivery = deliver_outbox(moment)
    return ConvocationRun(campaign=campaign_code, **result.model_dump(), **delivery.model_dump())


@flow(name="council-close", log_prints=True)
def close_council_ballot(
    campaign_code: str, now: datetime | None = None, actor: str = "operator"
) -> CloseRun:
    """Close the council's secret ballot: tally, minutes, the result to every member.

    Args:
        campaign_code: Mã đợt thi đua (campaign code)
        now: Thời điểm coi là bây giờ; để trống là đồng hồ hệ thống (moment taken as now)
        actor: Người thực hiện, ghi vào nhật ký (who, for the audit log)
    """
    moment = resolve(now)
    result = close_task(campaign_code, moment, actor)
    delivery = deliver_outbox(moment)
    publish_campaign_artifacts(campaign_code, moment)
    return CloseRun(campaign=campaign_code, **result.model_dump(), **delivery.model_dump())


def council_ballot_job() -> dict[str, list[str]]:
    """The scheduler's council housekeeping: a ballot past its deadline (the end of the meeting
    day) is closed as the secretary's command would (the ``council-close`` flow, idempotent);
    an open one reminds, from a working day before its close, the members who have not voted."""
    moment = clock.now()
    with session_scope() as session:
        votings = open_votings(session)
    closed, reminded = [], []
    for code, closes_at in votings:
        if to_vn(moment) > to_vn(closes_at):
            close_council_ballot(code, now=moment, actor="deadline")
            closed.append(code)
            continue
        with session_scope() as session:
            if remind_non_voters(session, code, moment):
                reminded.append(code)
    if reminded:
        deliver_and_report(moment)
    return {"closed": closed, "reminded": reminded}
