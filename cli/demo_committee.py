"""The demo's organising committee: the sample plan for the ceremony, handed to its owners,
answered through the portal as people would.

The sample plan (``deploy/plans/hoi-nghi-bieu-duong.toml``) is imported and every task emailed
to its owner; each owner takes the link from the email in the Maildir and answers over HTTP at
the running portal. Most report their task done three working days before its due; the press
office reports a problem, then finishes a day late; the printers ask for more time, which the
department grants; security never answers, and is reminded, then its unit head is told. The
nudge flow runs at 08:00 on each day a ladder step can fall, and its artifact shows the plan.

Call ``run_committee_demo`` inside ``running_portal()`` with ``TONVINH_SUBMISSION_BASE_URL``
pointing at it (as ``cli.demo`` sets up); needs the sample plan's units in the register.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from datetime import time as clock_time
from functools import partial
from pathlib import Path

import httpx
from pydantic import BaseModel
from sqlmodel import select

from cli.demo_units import CSRF_FIELD, play_in_order
from flows.committee import (
    SAMPLE_PLAN,
    assign_committee_tasks,
    import_committee_plan,
    nudge_committee_tasks,
)
from flows.common import checkout_path
from models import clock
from models.clock import VN_TZ
from models.committee import CommitteeTask
from models.db import session_scope
from models.rules.committee_plan import parse_rows, read_toml
from models.rules.ladder import plan_ladder
from models.unit import Unit
from notifications.smtp_server import plain_text, read_mailbox
from services.campaigns import calendar_for, load_campaign
from services.committee import TASK_LADDER, decide_extension
from services.committee_status import plan_status

TASK_LINK = re.compile(r"https?://[^\s\"'<>]+/viec/[A-Za-z0-9_-]+")
PROBLEM_TASK = "bao_chi"
EXTENSION_TASK = "in_bang_khen"
SILENT_TASK = "an_ninh"
DEPARTMENT = "Chuyên viên Vụ Thi đua - Khen thưởng"


class CommitteeDemo(BaseModel):
    tasks: int
    tasks_done: int
    tasks_overdue: int
    problems: int
    extensions: int
    critical_path: list[str]


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, clock_time(hour), tzinfo=VN_TZ)


def task_links(mailbox: Path, titles: dict[str, str]) -> dict[str, str]:
    """Each task's link from its hand-over email (matched by the task's title in the subject;
    one contact may own several tasks)."""
    links: dict[str, str] = {}
    for message in read_mailbox(mailbox):
        subject = str(message["Subject"] or "")
        found = TASK_LINK.search(plain_text(message))
        if found is None:
            continue
        for key, title in titles.items():
            if subject.endswith(title) and "giao việc" in subject:
                links[key] = found.group(0)
    return links


class TaskRefused(RuntimeError):
    """The portal said no where the demo expected a yes."""


def answer(link: str, action: str, fields: dict[str, str] | None = None) -> None:
    """An owner opens the link, then presses one of the page's buttons (``xong``,
    ``vuong-mac``, ``gia-han``) with the form's fields."""
    with httpx.Client(timeout=30, follow_redirects=True) as client:
        page = client.get(link)
        found = CSRF_FIELD.search(page.text)
        if page.status_code != 200 or found is None:
            raise TaskRefused(f"task page: {page.status_code}")
        sent = client.post(str(page.url) + action, data={"csrf": found.group(1), **(fields or {})})
        if sent.status_code != 200 or "?ok=" not in str(sent.url):
            raise TaskRefused(f"{action}: {sent.status_code}")


def plan_owners_registered() -> bool:
    """Whether every unit the sample plan names is in the register: a demo run with fewer
    units than the plan names (``tonvinh demo --units 8``) has no committee to simulate."""
    tasks, _errors = parse_rows(read_toml(checkout_path(SAMPLE_PLAN).read_text(encoding="utf-8")))
    with session_scope() as session:
        registered = set(session.exec(select(Unit.code)).all())
    return {task.owner for task in tasks} <= registered


def run_committee_demo(mailbox: Path, campaign_code: str) -> CommitteeDemo:
    """Import, assign, answer and nudge the sample plan of ``campaign_code``; the plan's
    standing on the morning of the conference."""
    with session_scope() as session:
        campaign = load_campaign(session, campaign_code)
        calendar = calendar_for(session, campaign)
        conference = campaign.conference_date
    wd = calendar.add_working_days
    start = wd(conference, -25)
    import_committee_plan(campaign_code, SAMPLE_PLAN, actor=DEPARTMENT, now=_at(start, 7))
    with session_scope() as session:
        tasks = {t.key: t for t in session.exec(select(CommitteeTask)).all()}
    titles = {key: task.title for key, task in tasks.items()}
    dues = {key: task.due_on for key, task in tasks.items()}

    events: list[tuple[datetime, Callable[[], object]]] = []
    links: dict[str, str] = {}

    def owner(key: str, action: str, **fields: str) -> Callable[[], object]:
        return lambda: answer(links[key], action, fields)

    def read_links() -> None:
        links.update(task_links(mailbox, titles))

    events.append((_at(start, 8), lambda: assign_committee_tasks(campaign_code, now=_at(start, 8))))
    events.append((_at(start, 9), read_links))
    for key, due in dues.items():
        early = max(wd(due, -3), start)
        if key == SILENT_TASK:
            continue
        if key == PROBLEM_TASK:
            problem = "Chưa nhận được danh sách phóng viên đăng ký; đề nghị Văn phòng hỗ trợ."
            events.append((_at(early, 16), owner(key, "vuong-mac", problem=problem)))
            events.append((_at(wd(due, 1), 16), owner(key, "xong")))
        elif key == EXTENSION_TASK:
            until = wd(due, 2)
            reason = "Chờ Quyết định khen thưởng chính thức để in đúng danh sách."
            events.append(
                (_at(early, 10), owner(key, "gia-han", until=until.isoformat(), reason=reason))
            )

            def grant(key: str = key) -> None:
                with session_scope() as session:
                    decide_extension(
                        session,
                        campaign_code,
                        key,
                        grant=True,
                        until=None,  # the day asked for
                        reason="Đồng ý gia hạn theo đề nghị",
                        now=clock.now(),
                        actor=DEPARTMENT,
                    )

            events.append((_at(wd(early, 1), 9), grant))
            events.append((_at(wd(until, -1), 16), owner(key, "xong")))
        else:
            events.append((_at(early, 16), owner(key, "xong")))
    ladder_days = {
        step.day
        for due in {*dues.values(), wd(dues[EXTENSION_TASK], 2)}
        for step in plan_ladder(due, calendar, TASK_LADDER)
        if start < step.day <= conference
    }
    for day in sorted(ladder_days | {conference}):
        moment = _at(day, 8)
        events.append((moment, partial(nudge_committee_tasks, campaign_code, now=moment)))
    play_in_order(events)
    with session_scope() as session:
        status = plan_status(session, campaign_code, _at(conference, 8))
        extended = [t for t in session.exec(select(CommitteeTask)).all() if t.extension_until]
    return CommitteeDemo(
        tasks=status.total,
        tasks_done=status.done,
        tasks_overdue=len(status.late),
        problems=sum(1 for t in status.tasks if t.problem),
        extensions=len(extended),
        critical_path=status.critical_path,
    )
