"""The organising committee's plan in tests: a small plan over the four sample units of
``plan_and_call``, imported and handed over, and the owners' links read back from the Maildir."""

from __future__ import annotations

import re
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path

from sqlmodel import Session, select

from models.committee import CommitteeTask
from models.db import session_scope
from notifications.smtp_server import read_mailbox
from services.committee import TaskLink, assign_tasks, import_plan
from tests.flows.conftest import CODE, CONFERENCE, at

# Conference: Friday 29 March 2019. Dues in working days before it.
PLAN = """
[[task]]
key = "kinh_phi"
title = "Cấp kinh phí tổ chức Hội nghị"
owner = "vu_khtc"
due_working_days_before = 10

[[task]]
key = "hoi_truong"
title = "Đặt hội trường 200 chỗ"
owner = "vu_bc"
contact_name = "Lý Thu Nga"
contact_email = "hoitruong@vu-bc.example.gov.vn"
due_working_days_before = 6
depends_on = ["kinh_phi"]

[[task]]
key = "in_an"
title = "In giấy mời và Bằng khen"
owner = "vu_cntt"
due_working_days_before = 4
depends_on = ["hoi_truong"]

[[task]]
key = "bao_chi"
title = "Mời phóng viên và đưa tin"
owner = "vu_khcn"
due_on = 2019-03-27
depends_on = ["hoi_truong"]
"""
TITLES = {
    "Cấp kinh phí tổ chức Hội nghị": "kinh_phi",
    "Đặt hội trường 200 chỗ": "hoi_truong",
    "In giấy mời và Bằng khen": "in_an",
    "Mời phóng viên và đưa tin": "bao_chi",
}
TASK_LINK = re.compile(r"(https?://[^\s\"'<>]+/viec/([A-Za-z0-9_-]+))")
ASSIGNED_ON = date(2019, 3, 1)
DUE = {  # as the calendar resolves them (no holiday in March 2019)
    "kinh_phi": date(2019, 3, 15),
    "hoi_truong": date(2019, 3, 21),
    "in_an": date(2019, 3, 25),
    "bao_chi": date(2019, 3, 27),
}
assert date(2019, 3, 29) == CONFERENCE


def import_and_assign(now: datetime | None = None) -> None:
    moment = now or at(ASSIGNED_ON, 8)
    with session_scope() as session:
        import_plan(session, CODE, PLAN, "plan.toml", now=moment, actor="test")
    with session_scope() as session:
        assign_tasks(session, CODE, now=moment, actor="test")


def body_of(message: EmailMessage) -> str:
    parts = [message.get_body(preferencelist=(kind,)) for kind in ("plain", "html")]
    return "".join(str(p.get_content()) for p in parts if p is not None)


def task_key(message: EmailMessage) -> str:
    subject = str(message["Subject"])
    [key] = [k for title, k in TITLES.items() if title in subject]
    return key


def task_links(mailbox: Path, subject_part: str = "giao việc") -> dict[str, str]:
    """Each task's link from its latest email whose subject holds ``subject_part``."""
    found: dict[str, str] = {}
    for message in read_mailbox(mailbox):
        if subject_part not in str(message["Subject"]):
            continue
        [link] = {m.group(1) for m in TASK_LINK.finditer(body_of(message))}
        found[task_key(message)] = link
    return found


def link_for(session: Session, key: str) -> TaskLink:
    """What a task's link opens, without an email (for tests of the services alone)."""
    task = session.exec(select(CommitteeTask).where(CommitteeTask.key == key)).one()
    assert task.id is not None
    return TaskLink(token_id=0, task_id=task.id, campaign_id=task.campaign_id)
