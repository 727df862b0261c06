"""Where the organising committee's plan stands: progress, late tasks, problems, requests for
more time, each task's slack and the critical path to the conference (for ``tonvinh tasks``,
the plan's artifact and the demo)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel
from sqlmodel import Session

from models.clock import to_vn
from models.committee import TaskStatus
from models.rules.committee_plan import ScheduledTask, critical_path, is_overdue, slack
from services.campaigns import calendar_for, load_campaign
from services.committee import owner_units, plan_tasks


class TaskRow(BaseModel):
    key: str
    title: str
    owner: str  # unit code
    owner_name: str
    contact: str
    due_on: date
    status: TaskStatus
    late: bool
    working_days_left: int
    slack: int  # working days it may slip before it delays a dependant (or the conference)
    critical: bool
    depends_on: list[str]
    problem: str | None = None
    extension_until: date | None = None


class PlanStatus(BaseModel):
    campaign: str
    conference_date: date
    today: date
    total: int
    done: int
    late: list[str]
    problems: list[str]
    extension_requests: list[str]
    critical_path: list[str]
    tasks: list[TaskRow]


def plan_status(session: Session, campaign_code: str, now: datetime) -> PlanStatus:
    campaign = load_campaign(session, campaign_code)
    assert campaign.id is not None
    calendar = calendar_for(session, campaign)
    today = to_vn(now).date()
    tasks = plan_tasks(session, campaign.id)
    owners = owner_units(session, tasks)
    scheduled = [ScheduledTask(t.key, t.due_on, tuple(t.depends_on)) for t in tasks]
    path = critical_path(scheduled, campaign.conference_date, calendar)
    gaps = slack(scheduled, campaign.conference_date, calendar)
    rows = [
        TaskRow(
            key=t.key,
            title=t.title,
            owner=owners[t.owner_unit_id].code,
            owner_name=owners[t.owner_unit_id].name,
            contact=t.contact_name,
            due_on=t.due_on,
            status=t.status,
            late=is_overdue(t.due_on, t.status == TaskStatus.DONE, today),
            working_days_left=calendar.working_days_between(today, t.due_on),
            slack=gaps[t.key],
            critical=t.key in path,
            depends_on=list(t.depends_on),
            problem=t.problem,
            extension_until=t.extension_until
            if t.status == TaskStatus.EXTENSION_REQUESTED
            else None,
        )
        for t in tasks
    ]
    return PlanStatus(
        campaign=campaign.code,
        conference_date=campaign.conference_date,
        today=today,
        total=len(rows),
        done=sum(r.status == TaskStatus.DONE for r in rows),
        late=[r.key for r in rows if r.late],
        problems=[r.key for r in rows if r.status == TaskStatus.PROBLEM],
        extension_requests=[r.key for r in rows if r.status == TaskStatus.EXTENSION_REQUESTED],
        critical_path=path,
        tasks=rows,
    )
