"""Stage 7 - approval: the flow pauses with a typed form; leadership decides in the Prefect UI.

Prefect's open-source server has no user accounts, so whoever resumes is whoever they type:
our own audit log records the approver's name, the decision and the flow run it came from.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any
from uuid import UUID

from prefect import flow, pause_flow_run, suspend_flow_run, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.flow_runs import resume_flow_run
from prefect.input import RunInput
from prefect.runtime import deployment, flow_run
from pydantic import Field
from sqlmodel import Session, col, select

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
from flows.council import council_round
from flows.mail import enqueue_per_unit
from flows.monitor import publish_campaign_artifacts
from models import audit
from models.campaign import Campaign, CampaignStage
from models.clock import resolve
from models.council import Approval, ApprovalDecision, CouncilResult
from models.db import session_scope
from models.nomination import Nomination, NominationStatus
from models.settings import get_settings

APPROVAL_PAUSE_KEY = "approval"
IN_PROCESS_POLL_SECONDS = 2


class ApprovalForm(RunInput):
    """Phê duyệt danh sách khen thưởng (approve the list of honourees)."""

    decision: ApprovalDecision = Field(
        default=ApprovalDecision.APPROVE,
        description="Phê duyệt / Từ chối / Trả lại (approve / reject / return)",
    )
    approver: str = Field(min_length=2, description="Họ tên người phê duyệt (approver's name)")
    exclude_nomination_ids: list[int] = Field(
        default_factory=list, description="Số hồ sơ không phê duyệt (nominations to exclude)"
    )
    comment: str = Field(default="", description="Ý kiến (comment)")


def _passed(session: Session, campaign: Campaign) -> list[tuple[Nomination, CouncilResult]]:
    statement = (
        select(Nomination, CouncilResult)
        .join(CouncilResult, col(CouncilResult.nomination_id) == Nomination.id)
        .where(
            Nomination.campaign_id == campaign.id,
            Nomination.status == NominationStatus.PASSED,
        )
        .order_by(col(Nomination.id))
    )
    return [(n, r) for n, r in session.exec(statement).all()]


def _council_decided(session: Session, campaign: Campaign) -> list[Nomination]:
    """The dossiers the council's tally passed or did not pass."""
    decided = (NominationStatus.PASSED, NominationStatus.NOT_PASSED)
    statement = (
        select(Nomination)
        .where(Nomination.campaign_id == campaign.id, col(Nomination.status).in_(decided))
        .order_by(col(Nomination.id))
    )
    return list(session.exec(statement).all())


@task(name="prepare-approval", cache_policy=NO_CACHE)
def prepare_approval(campaign_code: str) -> tuple[str, list[int]]:
    """The list leadership approves, as a markdown summary and the ids it may exclude."""
    with session_scope() as session:
        campaign = load_campaign(session, campaign_code)
        if campaign.stage is not CampaignStage.APPROVAL:
            raise OperatorError(
                f"Đợt {campaign.code} đang ở giai đoạn '{campaign.stage}', chưa thể trình phê "
                f"duyệt. (Campaign is not awaiting approval.)"
            )
        pack = campaign_pack(campaign)
        rows = _passed(session, campaign)
        lines = [
            f"## Danh sách trình phê duyệt — {campaign.name}",
            "",
            "| Số hồ sơ | Họ tên / Tập thể | Danh hiệu / Hình thức | Phiếu |",
            "|---|---|---|---|",
        ]
        for nomination, result in rows:
            award = pack.awards[nomination.proposed_title or nomination.proposed_form or ""]
            lines.append(
                f"| {nomination.id} | {nomination.full_name} | {award.name_vi} | "
                f"{result.votes_in_favour}/{result.members_total} |"
            )
        markdown = "\n".join(lines)
        create_markdown_artifact(key=artifact_key(campaign.code, "approval"), markdown=markdown)
        return markdown, [n.id for n, _ in rows if n.id is not None]


@task(name="record-approval", cache_policy=NO_CACHE)
def record_approval(
    campaign_code: str, form: ApprovalForm, now: datetime, run_id: str | None
) -> dict[str, Any]:
    """Write the decision, who made it and from which run; move every nomination accordingly."""
    with session_scope() as session:
        campaign = load_campaign(session, campaign_code)
        assert campaign.id is not None
        rows = _passed(session, campaign)
        unknown = set(form.exclude_nomination_ids) - {n.id for n, _ in rows}
        if unknown:
            raise OperatorError(
                f"Số hồ sơ không có trong danh sách trình: {sorted(unknown)}. "
                f"(Excluded ids not on the list.)"
            )
        approval = Approval(
            campaign_id=campaign.id,
            decision=form.decision,
            approver=form.approver.strip(),
            comment=form.comment,
            excluded_nomination_ids=form.exclude_nomination_ids,
            decided_at=now,
            flow_run_id=run_id,
        )
        session.add(approval)
        session.flush()
        assert approval.id is not None
        audit.record(
            session,
            at=now,
            actor=approval.approver,
            entity="approval",
            entity_id=approval.id,
            campaign_id=campaign.id,
            action=f"decision:{form.decision}",
            reason=form.comment,
            details={"flow_run_id": run_id, "excluded": form.exclude_nomination_ids},
        )
        approved = 0
        if form.decision is ApprovalDecision.RETURN:
            # The council reconsiders the whole list: every dossier it decided is eligible
            # again, so the secretary can record new votes and the next tally counts them.
            move_nominations(
                session,
                [
                    Transition(nomination, NominationStatus.ELIGIBLE, reason=form.comment)
                    for nomination in _council_decided(session, campaign)
                ],
                now=now,
                actor=approval.approver,
                action="approval_returned",
                campaign_id=campaign.id,
            )
        if form.decision is ApprovalDecision.APPROVE:
            excluded = set(form.exclude_nomination_ids)
            transitions = [
                Transition(
                    nomination,
                    NominationStatus.EXCLUDED
                    if nomination.id in excluded
                    else NominationStatus.APPROVED,
                    reason=form.comment,
                )
                for nomination, _ in rows
            ]
            approved = sum(t.to is NominationStatus.APPROVED for t in transitions)
            move_nominations(
                session,
                transitions,
                now=now,
                actor=approval.approver,
                action="approval",
                campaign_id=campaign.id,
            )
            round_ = council_round(session, campaign.id)
            enqueue_per_unit(
                session,
                kind="approval_result",
                campaign=campaign,
                nominations=[n for n, _ in rows],
                now=now,
                tier_of=lambda _unit_id: round_,
                describe=lambda mine: {
                    "results": [
                        {
                            "full_name": n.full_name,
                            "approved": n.status is NominationStatus.APPROVED,
                        }
                        for n in mine
                    ]
                },
            )
        stage = {
            ApprovalDecision.APPROVE: CampaignStage.APPROVED,
            ApprovalDecision.REJECT: CampaignStage.REJECTED,
            ApprovalDecision.RETURN: CampaignStage.COUNCIL,
        }[form.decision]
        set_stage(session, campaign, stage, now, approval.approver)
        return {"decision": str(form.decision), "approver": approval.approver, "approved": approved}


@flow(name="approve-campaign", log_prints=True)
def approve_campaign(
    campaign_code: str,
    now: datetime | None = None,
    timeout_seconds: int | None = None,
) -> dict[str, Any]:
    """Put the council's list before leadership and wait for the decision on the flow run page."""
    summary, _ids = prepare_approval(campaign_code)
    form_type = ApprovalForm.with_initial_data(
        description=summary, decision=ApprovalDecision.APPROVE
    )
    timeout = timeout_seconds or get_settings().approval_timeout_seconds
    if deployment.id:
        # Run by a worker: suspend. The process exits and nothing waits in memory, so a wait of
        # days survives worker restarts; on Resume the server reschedules the run, a worker
        # starts it again from the top (prepare_approval is read-only) and this same call, found
        # by its key, returns the submitted form. See deploy/README.md.
        form = suspend_flow_run(wait_for_input=form_type, timeout=timeout, key=APPROVAL_PAUSE_KEY)
    else:
        # In-process (CLI, demo, tests): block here until the form is answered, which
        # `approve_with` does within a second; Prefect's default check every 10 s made each
        # CLI approval wait ~10 s for nothing, every 2 s costs one request per 2 s of waiting.
        form = pause_flow_run(
            wait_for_input=form_type,
            timeout=timeout,
            poll_interval=IN_PROCESS_POLL_SECONDS,
            key=APPROVAL_PAUSE_KEY,
        )
    # Time is read after the pause: the decision happens when leadership answers.
    moment = resolve(now)
    run_id = str(flow_run.id) if flow_run.id else None
    result = record_approval(campaign_code, form, moment, run_id)
    delivery = deliver_outbox(moment)
    publish_campaign_artifacts(campaign_code, moment)
    return {"campaign": campaign_code, **result, **delivery}


def paused_approval_run(campaign_code: str) -> UUID | None:
    """The approval run of a campaign that is waiting for leadership's form, if any."""
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["approve-campaign"])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))
            ),
        )
    return next((r.id for r in runs if r.parameters.get("campaign_code") == campaign_code), None)


def approve_with(campaign_code: str, form: ApprovalForm, now: datetime | None = None) -> Any:
    """Run the approval flow and answer its form from code (CLI and demo): the same pause, the
    same validation and audit as a person resuming it in the Prefect UI."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = approve_campaign(campaign_code, now=now)
        except BaseException as exc:  # re-raised in the caller's thread below
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="approval-flow")
    worker.start()
    while worker.is_alive():
        run_id = paused_approval_run(campaign_code)
        if run_id is not None:
            resume_flow_run(run_id, run_input=form.model_dump(mode="json"))
            break
        time.sleep(0.2)
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
