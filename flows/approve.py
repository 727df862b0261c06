"""Stage 7 - approval: the flow pauses with a typed form; leadership decides in the Prefect UI.

Prefect's open-source server has no user accounts, so whoever resumes is whoever they type:
our own audit log records the approver's name, the decision and the flow run it came from.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from prefect import flow, pause_flow_run, suspend_flow_run
from prefect.artifacts import create_markdown_artifact
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterStartTime,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.flow_runs import resume_flow_run
from prefect.input import RunInput
from prefect.runtime import deployment, flow_run

from flows.common import StageRun, artifact_key, deliver_outbox, stage_task
from flows.monitor import publish_campaign_artifacts
from models.clock import resolve
from models.council import ApprovalDecision
from models.db import session_scope
from models.settings import get_settings
from services.approval import ApprovalRequest, ApprovalResult, approval_list, record_approval
from services.leadership import invite_leader

APPROVAL_PAUSE_KEY = "approval"
IN_PROCESS_POLL_SECONDS = 2


class ApprovalForm(RunInput, ApprovalRequest):
    """Phê duyệt danh sách khen thưởng (approve the list of honourees).

    The fields are ``services.approval.ApprovalRequest``'s: the leader's page in the portal
    resumes the run with that model's dump, the very input this form takes."""


@stage_task(name="prepare-approval")
def prepare_approval(campaign_code: str) -> tuple[str, list[int]]:
    """The list leadership approves, as a markdown summary (the form's description and an
    artifact) and the ids it may exclude."""
    with session_scope() as session:
        listed = approval_list(session, campaign_code)
    lines = [
        f"## Danh sách trình phê duyệt — {listed.campaign_name}",
        "",
        "| Số hồ sơ | Họ tên / Tập thể | Danh hiệu / Hình thức | Phiếu |",
        "|---|---|---|---|",
        *(
            f"| {d.nomination_id} | {d.full_name} | {d.award_name} | "
            f"{d.votes_in_favour}/{d.members_total} |"
            for d in listed.dossiers
        ),
    ]
    markdown = "\n".join(lines)
    create_markdown_artifact(key=artifact_key(campaign_code, "approval"), markdown=markdown)
    return markdown, [d.nomination_id for d in listed.dossiers]


@stage_task(name="invite-leader")
def invite_leader_task(campaign_code: str, run_id: str, now: datetime) -> int | None:
    """Email the approving leader a personal link to decide on the portal (none configured:
    the Prefect UI form is the only door)."""
    with session_scope() as session:
        return invite_leader(session, campaign_code, run_id, now, get_settings())


@stage_task(name="record-approval")
def record_approval_task(
    campaign_code: str, form: ApprovalForm, now: datetime, run_id: str | None
) -> ApprovalResult:
    """Write the decision, who made it and from which run; move every nomination accordingly."""
    request = ApprovalRequest.model_validate(
        form.model_dump(include=set(ApprovalRequest.model_fields))
    )
    with session_scope() as session:
        return record_approval(session, campaign_code, request, now, run_id)


class ApprovalRun(ApprovalResult, StageRun):
    pass


@flow(name="approve-campaign", log_prints=True)
def approve_campaign(
    campaign_code: str,
    now: datetime | None = None,
    timeout_seconds: int | None = None,
    email_leader: bool = True,
) -> ApprovalRun:
    """Put the council's list before leadership and wait for the decision: on the approving
    leader's page (the emailed link) or on the flow run page. ``email_leader`` False sends no
    link (the CLI answers the form itself at once)."""
    summary, _ids = prepare_approval(campaign_code)
    form_type = ApprovalForm.with_initial_data(
        description=summary, decision=ApprovalDecision.APPROVE
    )
    timeout = timeout_seconds or get_settings().approval_timeout_seconds
    if email_leader and flow_run.id:
        # The leader's link resumes this very run; sent before the pause so it is in the
        # leader's inbox while the run waits (idempotent: a suspended run starting again from
        # the top finds its invite and queues nothing new).
        invite_leader_task(campaign_code, str(flow_run.id), resolve(now))
        deliver_outbox(resolve(now))
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
    result = record_approval_task(campaign_code, form, moment, run_id)
    delivery = deliver_outbox(moment)
    publish_campaign_artifacts(campaign_code, moment)
    return ApprovalRun(campaign=campaign_code, **result.model_dump(), **delivery.model_dump())


def paused_approval_run(campaign_code: str, started_after: datetime | None = None) -> UUID | None:
    """The approval run of a campaign that is waiting for leadership's form, if any (only one
    started after ``started_after``, when given: a run left paused by a process that died is
    not this process's to answer)."""
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["approve-campaign"])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED])),
                start_time=FlowRunFilterStartTime(after_=started_after),
            ),
        )
    return next((r.id for r in runs if r.parameters.get("campaign_code") == campaign_code), None)


def approve_when_paused(
    campaign_code: str,
    answer: Callable[[UUID], None],
    now: datetime | None = None,
    email_leader: bool = True,
) -> ApprovalRun:
    """Run the approval flow in process and, once its run is paused, call ``answer(run_id)``,
    which must resume it (from code, or as the leader does through the portal); returns the
    run's result."""
    outcome: dict[str, Any] = {}  # the run's result or its exception, from the worker thread

    def run() -> None:
        try:
            outcome["result"] = approve_campaign(campaign_code, now=now, email_leader=email_leader)
        except BaseException as exc:  # re-raised in the caller's thread below
            outcome["error"] = exc

    # A daemon: if ``answer`` fails, the paused run must not keep the process alive for days.
    worker = threading.Thread(target=run, name="approval-flow", daemon=True)
    started = datetime.now(UTC)  # Prefect's own time, not the campaign's: which run is ours
    worker.start()
    while worker.is_alive():
        run_id = paused_approval_run(campaign_code, started)
        if run_id is not None:
            answer(run_id)
            break
        time.sleep(0.2)
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def approve_with(
    campaign_code: str, form: ApprovalForm, now: datetime | None = None
) -> ApprovalRun:
    """Run the approval flow and answer its form from code (CLI and demo): the same pause, the
    same validation and audit as a person resuming it in the Prefect UI."""

    def answer(run_id: UUID) -> None:
        resume_flow_run(run_id, run_input=form.model_dump(mode="json"))

    # The answer is given here, within a second: no link to email the leader.
    return approve_when_paused(campaign_code, answer, now, email_leader=False)
