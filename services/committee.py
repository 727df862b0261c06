"""The organising committee's plan for the ceremony: import it, hand each task to its owner by
email, take the owners' answers from their links, nudge and escalate what is late, and say
where the plan stands (progress, late tasks, the critical path to the conference).

The plan's rules are pure (``models.rules.committee_plan``); this module stores and mails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from models import audit
from models.access import LINK_PLACEHOLDER, hash_token
from models.audit import AuditEntity
from models.campaign import Campaign
from models.clock import to_vn
from models.committee import CommitteeTask, TaskStatus, TaskToken
from models.outbox import EmailKind
from models.rules.calendar import WorkCalendar, format_en_date, format_vn_date
from models.rules.committee_plan import (
    PlanInvalid,
    PlanTask,
    is_overdue,
    load_plan,
)
from models.rules.ladder import LadderConfig, UnitProgress, due_reminders
from models.settings import Settings, get_settings
from models.unit import Unit
from notifications.addresses import mailbox
from notifications.outbox import OutboxItem, enqueue_many
from notifications.render import render_email
from services.campaigns import calendar_for, load_campaign
from services.errors import OperatorError, required_text
from services.links import TOKEN_SHAPE, note_use

# The nudge ladder of a task, in working days around its due: a reminder to the contact two
# working days before, an overdue notice the day after, then the owner unit's head. [U]
TASK_LADDER = LadderConfig(offsets=(-2, 1), escalate_every=2, max_reminders=3)
TEXT_MAX = 2000
# Which email each ladder step sends.
STEP_KINDS = {
    "reminder": EmailKind.COMMITTEE_REMINDER,
    "overdue": EmailKind.COMMITTEE_REMINDER,
    "escalation_unit_head": EmailKind.COMMITTEE_ESCALATION,
    "escalation_department": EmailKind.COMMITTEE_ESCALATION,
}


def plan_tasks(session: Session, campaign_id: int) -> list[CommitteeTask]:
    statement = select(CommitteeTask).where(CommitteeTask.campaign_id == campaign_id)
    return list(session.exec(statement.order_by(col(CommitteeTask.position))).all())


def _record(
    session: Session,
    task: CommitteeTask,
    *,
    now: datetime,
    actor: str,
    action: str,
    from_state: str | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    assert task.id is not None
    audit.record(
        session,
        at=now,
        actor=actor,
        entity=AuditEntity.COMMITTEE_TASK,
        entity_id=task.id,
        campaign_id=task.campaign_id,
        action=action,
        from_state=from_state,
        to_state=str(task.status),
        reason=reason,
        details={"task": task.key, "task_id": task.id, **(details or {})},
    )


# ---------------------------------------------------------------------------------------------
# Import


class PlanImported(BaseModel):
    campaign: str
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    kept_done: list[str]  # changed in the file but already done: left as they are
    not_in_file: list[str]  # imported before, absent now: kept (they may have mails and links)


def plan_error(exc: PlanInvalid) -> OperatorError:
    lines_vi = [f"{e.row}|{e.key}|{e.field}: {e.vi}" for e in exc.errors]
    return OperatorError(
        "plan_invalid",
        "Kế hoạch không hợp lệ, chưa lưu gì:\n" + "\n".join(str(e) for e in exc.errors),
        "The plan is invalid, nothing was stored:\n" + "\n".join(str(e) for e in exc.errors),
        errors=lines_vi,
    )


def _values(task: PlanTask, unit: Unit, due: date, position: int) -> dict[str, Any]:
    return {
        "title": task.title,
        "owner_unit_id": unit.id,
        "contact_name": task.contact_name or unit.focal_name,
        "contact_email": task.contact_email or str(unit.focal_email),
        "due_working_days_before": task.due_working_days_before,
        "planned_due_on": task.due_on,
        "depends_on": list(task.depends_on),
        "position": position,
        "due_on": due,
    }


def import_plan(
    session: Session, campaign_code: str, text: str, file_name: str, *, now: datetime, actor: str
) -> PlanImported:
    """Store a plan file's tasks for a campaign, in the caller's transaction: all of it or, if
    any row is wrong, nothing (``plan_invalid`` lists every error with row, key and field).

    Importing the same file again changes nothing; a changed file updates the tasks not yet
    done (each change audited with its fields) and adds the new ones. A task whose due was
    moved by an extension keeps it unless the file changes that task's due."""
    campaign = load_campaign(session, campaign_code)
    assert campaign.id is not None
    calendar = calendar_for(session, campaign)
    units = {u.code: u for u in session.exec(select(Unit)).all()}
    fmt = "csv" if PurePath(file_name).suffix.lower() == ".csv" else "toml"
    try:
        planned = load_plan(text, fmt, campaign.conference_date, calendar, units)
    except PlanInvalid as exc:
        raise plan_error(exc) from exc
    existing = {t.key: t for t in plan_tasks(session, campaign.id)}
    result = PlanImported(
        campaign=campaign.code,
        created=[],
        updated=[],
        unchanged=[],
        kept_done=[],
        not_in_file=sorted(set(existing) - {t.key for t in planned}),
    )
    for position, task in enumerate(planned):
        due = task.due(campaign.conference_date, calendar)
        values = _values(task, units[task.owner], due, position)
        row = existing.get(task.key)
        if row is None:
            row = CommitteeTask(campaign_id=campaign.id, key=task.key, updated_at=now, **values)
            session.add(row)
            session.flush()
            _record(session, row, now=now, actor=actor, action="task_created", reason=file_name)
            result.created.append(task.key)
            continue
        if row.due_working_days_before == task.due_working_days_before and (
            row.planned_due_on == task.due_on
        ):
            values.pop("due_on")  # the plan's due did not change: keep an extension's
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        if not changed:
            result.unchanged.append(task.key)
        elif row.status == TaskStatus.DONE:
            result.kept_done.append(task.key)
        else:
            before = {k: _plain(getattr(row, k)) for k in changed}
            for name, value in changed.items():
                setattr(row, name, value)
            row.updated_at = now
            session.add(row)
            _record(
                session,
                row,
                now=now,
                actor=actor,
                action="task_updated",
                reason=file_name,
                details={"before": before, "after": {k: _plain(v) for k, v in changed.items()}},
            )
            result.updated.append(task.key)
    return result


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


# ---------------------------------------------------------------------------------------------
# Emails


def _context(
    campaign: Campaign,
    task: CommitteeTask,
    unit: Unit,
    calendar: WorkCalendar,
    now: datetime,
    settings: Settings,
) -> dict[str, Any]:
    return {
        "ministry_name": settings.ministry_name,
        "department_name": settings.department_name,
        "campaign_name": campaign.name,
        "campaign_code": campaign.code,
        "task_title": task.title,
        "contact_name": task.contact_name,
        "unit_name": unit.name,
        "head_name": unit.head_name,
        "due_text": format_vn_date(task.due_on),
        "due_text_en": format_en_date(task.due_on),
        "working_days_left": calendar.working_days_between(to_vn(now).date(), task.due_on),
        "conference_text": format_vn_date(campaign.conference_date),
        "conference_text_en": format_en_date(campaign.conference_date),
        "task_url": f"{settings.door_url('viec')}/{LINK_PLACEHOLDER}",
    }


@dataclass(frozen=True)
class _TaskEmail:
    task: CommitteeTask
    unit: Unit
    kind: EmailKind
    key: str
    tier: int
    to_head: bool = False


def _enqueue(
    session: Session,
    campaign: Campaign,
    emails: list[_TaskEmail],
    calendar: WorkCalendar,
    now: datetime,
) -> set[str]:
    settings = get_settings()
    items: list[OutboxItem] = []
    for email in emails:
        contact = mailbox(email.task.contact_name, email.task.contact_email)
        if email.to_head:
            to, cc = [mailbox(email.unit.head_name, str(email.unit.head_email))], [contact]
        else:
            to, cc = [contact], []
        context = _context(campaign, email.task, email.unit, calendar, now, settings)
        items.append(
            OutboxItem(
                key=email.key,
                kind=email.kind,
                tier=email.tier,
                to=to,
                cc=cc,
                rendered=render_email(email.kind, context, lang=email.unit.lang),
                campaign_id=campaign.id,
                link_task_id=email.task.id,
            )
        )
    return enqueue_many(session, items, now)


def owner_units(session: Session, tasks: list[CommitteeTask]) -> dict[int, Unit]:
    ids = {t.owner_unit_id for t in tasks}
    return {u.id: u for u in session.exec(select(Unit).where(col(Unit.id).in_(ids))).all() if u.id}


class Assigned(BaseModel):
    campaign: str
    queued: int
    already: int


def assign_tasks(session: Session, campaign_code: str, *, now: datetime, actor: str) -> Assigned:
    """Queue one email per task not yet handed over, to its contact, with the owner's link
    (minted when it is sent). A second run queues nothing (the outbox key is the task)."""
    campaign = load_campaign(session, campaign_code)
    assert campaign.id is not None
    tasks = [t for t in plan_tasks(session, campaign.id) if t.status != TaskStatus.DONE]
    owners = owner_units(session, tasks)
    emails = [
        _TaskEmail(
            t,
            owners[t.owner_unit_id],
            EmailKind.COMMITTEE_TASK,
            f"{campaign.id}:-:{EmailKind.COMMITTEE_TASK}:t{t.id}",
            0,
        )
        for t in tasks
        if t.assigned_at is None
    ]
    if not emails:
        return Assigned(campaign=campaign.code, queued=0, already=len(tasks))
    inserted = _enqueue(session, campaign, emails, calendar_for(session, campaign), now)
    for email in emails:
        email.task.assigned_at = now
        session.add(email.task)
        _record(session, email.task, now=now, actor=actor, action="task_assigned")
    return Assigned(campaign=campaign.code, queued=len(inserted), already=len(tasks) - len(emails))


class Nudged(BaseModel):
    campaign: str
    reminders: int = 0
    escalations: int = 0


def nudge_tasks(session: Session, campaign_code: str, *, now: datetime) -> Nudged:
    """For each handed-over task not done, the one ladder step due now (``TASK_LADDER``: the
    contact before and after the due, then the owner unit's head), queued once. A task waiting
    for the department's answer to its extension request is not nudged."""
    campaign = load_campaign(session, campaign_code)
    assert campaign.id is not None
    calendar = calendar_for(session, campaign)
    tasks = {t.id: t for t in plan_tasks(session, campaign.id) if t.assigned_at is not None}
    progress = [
        UnitProgress(
            unit_id=task_id,
            deadline=t.due_on,
            submitted=t.status == TaskStatus.DONE,
            paused=t.status == TaskStatus.EXTENSION_REQUESTED,
            sent_tiers=frozenset(range(1, t.last_nudge_tier + 1)),
        )
        for task_id, t in tasks.items()
        if task_id is not None
    ]
    due = due_reminders(now, progress, calendar, TASK_LADDER)
    owners = owner_units(session, list(tasks.values()))
    emails = []
    for step in due:
        task = tasks[step.unit_id]
        kind = STEP_KINDS[step.step.kind]
        # The due day is in the key: after an extension the ladder starts again.
        key = f"{campaign.id}:-:{kind}:t{task.id}:{task.due_on.isoformat()}:{step.step.tier}"
        to_head = kind == EmailKind.COMMITTEE_ESCALATION
        emails.append(
            _TaskEmail(task, owners[task.owner_unit_id], kind, key, step.step.tier, to_head)
        )
    inserted = _enqueue(session, campaign, emails, calendar, now)
    result = Nudged(campaign=campaign.code)
    for email in emails:
        email.task.last_nudge_tier = email.tier
        session.add(email.task)
        if email.key not in inserted:
            continue
        if email.to_head:
            result.escalations += 1
        else:
            result.reminders += 1
        _record(
            session,
            email.task,
            now=now,
            actor="scheduler",
            action=f"task_nudged:{email.kind}",
            reason=f"tier {email.tier}",
        )
    return result


# ---------------------------------------------------------------------------------------------
# The owner's link


class TaskLink(BaseModel):
    """What a valid task token opens: one task, and nothing else."""

    token_id: int
    task_id: int
    campaign_id: int


def open_task_link(session: Session, token: str, now: datetime) -> TaskLink | None:
    """The task a token opens, or None (malformed, unknown or revoked: never said which)."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    row = session.exec(
        select(TaskToken, CommitteeTask)
        .join(CommitteeTask, col(CommitteeTask.id) == TaskToken.committee_task_id)
        .where(TaskToken.token_hash == hash_token(token), col(TaskToken.revoked_at).is_(None))
    ).first()
    if row is None:
        return None
    access, task = row
    assert access.id is not None and task.id is not None
    note_use(session, TaskToken, access, now)
    return TaskLink(token_id=access.id, task_id=task.id, campaign_id=task.campaign_id)


class DependencyView(BaseModel):
    key: str
    title: str
    status: TaskStatus
    due_on: date
    late: bool


class TaskPage(BaseModel):
    campaign_name: str
    conference_date: date
    key: str
    title: str
    unit_name: str
    contact_name: str
    due_on: date
    working_days_left: int
    status: TaskStatus
    late: bool
    problem: str | None
    extension_until: date | None
    extension_reason: str | None
    done_at: datetime | None
    dependencies: list[DependencyView]


def _load(session: Session, link: TaskLink, *, for_update: bool = False) -> CommitteeTask:
    statement = select(CommitteeTask).where(CommitteeTask.id == link.task_id)
    if for_update:
        statement = statement.with_for_update()
    task = session.exec(statement).one()
    return task


def task_page(session: Session, link: TaskLink, now: datetime) -> TaskPage:
    task = _load(session, link)
    campaign = session.get(Campaign, task.campaign_id)
    unit = session.get(Unit, task.owner_unit_id)
    assert campaign is not None and unit is not None
    today = to_vn(now).date()
    others = {t.key: t for t in plan_tasks(session, campaign.id or 0) if t.key in task.depends_on}
    calendar = calendar_for(session, campaign)
    return TaskPage(
        campaign_name=campaign.name,
        conference_date=campaign.conference_date,
        key=task.key,
        title=task.title,
        unit_name=unit.name,
        contact_name=task.contact_name,
        due_on=task.due_on,
        working_days_left=calendar.working_days_between(today, task.due_on),
        status=task.status,
        late=is_overdue(task.due_on, task.status == TaskStatus.DONE, today),
        problem=task.problem,
        extension_until=task.extension_until,
        extension_reason=task.extension_reason,
        done_at=task.done_at,
        dependencies=[
            DependencyView(
                key=d.key,
                title=d.title,
                status=d.status,
                due_on=d.due_on,
                late=is_overdue(d.due_on, d.status == TaskStatus.DONE, today),
            )
            for key in task.depends_on
            if (d := others.get(key)) is not None
        ],
    )


def _owner_actor(task: CommitteeTask) -> str:
    return f"task-owner:{task.key}"


def mark_done(session: Session, link: TaskLink, *, now: datetime) -> bool:
    """The owner says the task is done; False if it already was (a double click)."""
    task = _load(session, link, for_update=True)
    if task.status == TaskStatus.DONE:
        return False
    before = str(task.status)
    task.status, task.done_at, task.updated_at = TaskStatus.DONE, now, now
    session.add(task)
    _record(session, task, now=now, actor=_owner_actor(task), action="task_done", from_state=before)
    return True


def report_problem(session: Session, link: TaskLink, text: str, *, now: datetime) -> None:
    """The owner reports a problem (free text): the task stays not done and visible as such."""
    problem = required_text(text, "problem", "nội dung vướng mắc", "the problem", TEXT_MAX)
    task = _open_task(session, link)
    before = str(task.status)
    task.status, task.problem = TaskStatus.PROBLEM, problem
    _owner_answered(session, task, before, now, "task_problem", problem)


def _open_task(session: Session, link: TaskLink) -> CommitteeTask:
    """The link's task, locked, for an answer that only a task not yet done can take."""
    task = _load(session, link, for_update=True)
    if task.status == TaskStatus.DONE:
        raise _already_done()
    return task


def _owner_answered(
    session: Session,
    task: CommitteeTask,
    before: str,
    now: datetime,
    action: str,
    reason: str,
    details: dict[str, Any] | None = None,
) -> None:
    task.updated_at = now
    session.add(task)
    _record(
        session,
        task,
        now=now,
        actor=_owner_actor(task),
        action=action,
        from_state=before,
        reason=reason,
        details=details,
    )


def _already_done() -> OperatorError:
    return OperatorError(
        "task_done", "Việc này đã được báo hoàn thành.", "This task is already marked done."
    )


def _check_new_due(
    session: Session, task: CommitteeTask, until: date | None, field: str = "until"
) -> date:
    campaign = session.get(Campaign, task.campaign_id)
    assert campaign is not None
    if until is None:
        raise OperatorError(
            "field_required",
            "Xin chọn ngày đề nghị gia hạn.",
            "Please choose the day you propose.",
            field=field,
        )
    calendar = calendar_for(session, campaign)
    if not calendar.is_working_day(until):
        raise OperatorError(
            "not_working_day",
            f"{format_vn_date(until)} không phải ngày làm việc.",
            f"{format_en_date(until)} is not a working day.",
            field=field,
        )
    if until <= task.due_on or until > campaign.conference_date:
        raise OperatorError(
            "extension_out_of_range",
            f"Ngày gia hạn phải sau hạn hiện tại ({task.due_on:%d/%m/%Y}) và không muộn hơn "
            f"ngày hội nghị ({campaign.conference_date:%d/%m/%Y}).",
            f"The new day must be after the current due ({task.due_on.isoformat()}) and no "
            f"later than the conference ({campaign.conference_date.isoformat()}).",
            field=field,
        )
    return until


def request_extension(
    session: Session, link: TaskLink, until: date | None, reason: str, *, now: datetime
) -> None:
    """The owner asks for a later due (a working day up to the conference) and says why."""
    why = required_text(reason, "reason", "lý do", "the reason", TEXT_MAX)
    task = _open_task(session, link)
    day = _check_new_due(session, task, until)
    before = str(task.status)
    task.status = TaskStatus.EXTENSION_REQUESTED
    task.extension_until, task.extension_reason = day, why
    _owner_answered(
        session, task, before, now, "task_extension_requested", why, {"until": day.isoformat()}
    )


def find_task(session: Session, campaign: Campaign, key: str) -> CommitteeTask:
    task = session.exec(
        select(CommitteeTask)
        .where(CommitteeTask.campaign_id == campaign.id, CommitteeTask.key == key)
        .with_for_update()
    ).first()
    if task is None:
        raise OperatorError(
            "task_not_found",
            f"Không có việc mã '{key}' trong kế hoạch của đợt {campaign.code}.",
            f"No task '{key}' in campaign {campaign.code}'s plan.",
            task=key,
        )
    return task


def decide_extension(
    session: Session,
    campaign_code: str,
    key: str,
    *,
    grant: bool,
    until: date | None,
    reason: str,
    now: datetime,
    actor: str,
) -> CommitteeTask:
    """The department grants (new due: ``until``, or the day asked for) or refuses a task's
    extension; granting needs no request first. The nudge ladder starts again from the new
    due. Audited with the reason."""
    why = required_text(reason, "reason", "lý do", "the reason", TEXT_MAX)
    campaign = load_campaign(session, campaign_code)
    task = find_task(session, campaign, key)
    if task.status == TaskStatus.DONE:
        raise _already_done()
    before, old_due = str(task.status), task.due_on
    if grant:
        day = _check_new_due(session, task, until or task.extension_until)
        task.due_on, task.last_nudge_tier = day, 0
    elif task.status != TaskStatus.EXTENSION_REQUESTED:
        raise OperatorError(
            "no_extension_request",
            f"Việc '{key}' không có đề nghị gia hạn nào đang chờ.",
            f"Task '{key}' has no extension request waiting.",
            task=key,
        )
    task.status = TaskStatus.PROBLEM if task.problem else TaskStatus.OPEN
    task.updated_at = now
    session.add(task)
    _record(
        session,
        task,
        now=now,
        actor=actor,
        action="task_extension_granted" if grant else "task_extension_refused",
        from_state=before,
        reason=why,
        details={"from": old_due.isoformat(), "to": task.due_on.isoformat()},
    )
    return task


def campaigns_to_nudge(session: Session, now: datetime) -> list[str]:
    """Campaigns with tasks handed over and not done, if ``now`` is one of their working
    days: the scheduler's daily committee run (the ladder then decides who is due)."""
    today = to_vn(now).date()
    campaigns = session.exec(
        select(Campaign)
        .where(
            col(Campaign.id).in_(
                select(CommitteeTask.campaign_id).where(
                    col(CommitteeTask.assigned_at).is_not(None),
                    CommitteeTask.status != TaskStatus.DONE,
                )
            )
        )
        .order_by(Campaign.code)
    ).all()
    return [c.code for c in campaigns if calendar_for(session, c).is_working_day(today)]
