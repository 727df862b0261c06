"""The organising committee's plan as flows: import it, hand the tasks over, nudge what is late;
each delivers through the outbox and publishes the plan's artifact
(``<campaign>-committee-plan``: every task, owner, due, state, late marked, critical path).

The plan file is named by its path on the server, not pasted as a parameter: it holds the
contacts' names and emails, and flow parameters are stored and shown in the UI."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from pydantic import Field

from flows.common import StageRun, artifact_key, checkout_path, deliver_outbox, stage_task
from models.clock import resolve
from models.committee import TASK_STATUS_VI
from models.db import session_scope
from services.committee import (
    Assigned,
    Nudged,
    PlanImported,
    assign_tasks,
    import_plan,
    nudge_tasks,
)
from services.committee_status import PlanStatus, plan_status

Required = Annotated[str, Field(min_length=1)]
SAMPLE_PLAN = "deploy/plans/hoi-nghi-bieu-duong.toml"


def plan_markdown(status: PlanStatus) -> str:
    """The plan as the committee reads it: progress, what is late, the critical path, a table."""
    by_key = {t.key: t for t in status.tasks}
    path = " → ".join(f"{k} ({by_key[k].due_on:%d/%m})" for k in status.critical_path) or "—"
    lines = [
        f"# Kế hoạch Ban tổ chức Hội nghị — {status.campaign}",
        "",
        f"Hội nghị: **{status.conference_date:%d/%m/%Y}** · hôm nay {status.today:%d/%m/%Y} · "
        f"đã xong **{status.done}/{status.total}** việc.",
        "",
        f"**Quá hạn ({len(status.late)}):** " + (", ".join(status.late) or "không có"),
        "",
        f"**Đường găng (critical path):** {path}",
        "",
    ]
    if status.problems:
        lines += [f"**Có vướng mắc:** {', '.join(status.problems)}", ""]
    if status.extension_requests:
        lines += [f"**Xin gia hạn, chờ quyết định:** {', '.join(status.extension_requests)}", ""]
    lines += [
        "| Việc | Đơn vị | Hạn | Tình trạng | Dư (ngày LV) | Găng |",
        "|---|---|---|---|---|---|",
    ]
    for t in status.tasks:
        state = TASK_STATUS_VI[t.status] + (" — **QUÁ HẠN**" if t.late else "")
        title = t.title.replace("|", "/")
        lines.append(
            f"| {t.key}: {title} | {t.owner} | {t.due_on:%d/%m/%Y} | {state} | {t.slack} | "
            f"{'●' if t.critical else ''} |"
        )
    return "\n".join(lines) + "\n"


@stage_task(name="publish-committee-plan")
def publish_committee_plan(campaign_code: str, now: datetime) -> PlanStatus:
    with session_scope() as session:
        status = plan_status(session, campaign_code, now)
    # Unit codes, titles and dates only: no contact's name or address in the artifact.
    create_markdown_artifact(
        key=artifact_key(campaign_code, "committee-plan"),
        markdown=plan_markdown(status),
        description="Kế hoạch Ban tổ chức Hội nghị: tiến độ, việc quá hạn, đường găng",
    )
    return status


class CommitteeRun(StageRun):
    done: int = 0
    total: int = 0
    late: list[str] = Field(default_factory=list)
    critical_path: list[str] = Field(default_factory=list)


def _run(campaign_code: str, moment: datetime) -> CommitteeRun:
    delivery = deliver_outbox(moment)
    status = publish_committee_plan(campaign_code, moment)
    return CommitteeRun(
        campaign=campaign_code,
        done=status.done,
        total=status.total,
        late=status.late,
        critical_path=status.critical_path,
        **delivery.model_dump(),
    )


@stage_task(name="import-plan")
def import_plan_task(campaign_code: str, plan_path: str, actor: str, now: datetime) -> PlanImported:
    """Read the plan file where the worker runs (a relative path from the checkout)."""
    path = checkout_path(plan_path)
    with session_scope() as session:
        return import_plan(
            session, campaign_code, path.read_text("utf-8"), path.name, now=now, actor=actor
        )


class ImportRun(CommitteeRun):
    imported: PlanImported | None = None


@flow(name="import-committee-plan", log_prints=True)
def import_committee_plan(
    campaign_code: Required,
    plan_path: Required = SAMPLE_PLAN,
    actor: Required = "operator",
    now: datetime | None = None,
) -> ImportRun:
    """Import the organising committee's plan (TOML or CSV) for a campaign; all or nothing.

    Args:
        campaign_code: Mã đợt thi đua (campaign code)
        plan_path: Đường dẫn tệp kế hoạch trên máy chủ, tương đối với thư mục mã nguồn (the
            plan file's path on the server, relative to the checkout)
        actor: Người thực hiện, ghi vào nhật ký (who, for the audit log)
        now: Thời điểm coi là bây giờ; để trống là đồng hồ hệ thống (moment taken as now)
    """
    moment = resolve(now)
    imported = import_plan_task(campaign_code, plan_path, actor, moment)
    run = _run(campaign_code, moment)
    return ImportRun(**run.model_dump(), imported=imported)


@stage_task(name="assign-tasks")
def assign_tasks_task(campaign_code: str, actor: str, now: datetime) -> Assigned:
    with session_scope() as session:
        return assign_tasks(session, campaign_code, now=now, actor=actor)


class AssignRun(CommitteeRun):
    queued: int = 0


@flow(name="assign-committee-tasks", log_prints=True)
def assign_committee_tasks(
    campaign_code: Required, actor: Required = "operator", now: datetime | None = None
) -> AssignRun:
    """Email each task to its owner's contact with the task's own link, then deliver.

    Args:
        campaign_code: Mã đợt thi đua (campaign code)
        actor: Người thực hiện, ghi vào nhật ký (who, for the audit log)
        now: Thời điểm coi là bây giờ; để trống là đồng hồ hệ thống (moment taken as now)
    """
    moment = resolve(now)
    assigned = assign_tasks_task(campaign_code, actor, moment)
    return AssignRun(**_run(campaign_code, moment).model_dump(), queued=assigned.queued)


@stage_task(name="nudge-tasks")
def nudge_tasks_task(campaign_code: str, now: datetime) -> Nudged:
    with session_scope() as session:
        return nudge_tasks(session, campaign_code, now=now)


class NudgeRun(CommitteeRun):
    reminders: int = 0
    escalations: int = 0


@flow(name="nudge-committee-tasks", log_prints=True)
def nudge_committee_tasks(campaign_code: Required, now: datetime | None = None) -> NudgeRun:
    """Remind the contacts of tasks due soon or late, escalate to the owner unit's head.

    Args:
        campaign_code: Mã đợt thi đua (campaign code)
        now: Thời điểm coi là bây giờ; để trống là đồng hồ hệ thống (moment taken as now)
    """
    moment = resolve(now)
    nudged = nudge_tasks_task(campaign_code, moment)
    return NudgeRun(
        **_run(campaign_code, moment).model_dump(),
        reminders=nudged.reminders,
        escalations=nudged.escalations,
    )
