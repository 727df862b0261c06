"""The organising committee's plan through the services: import, hand-over by email (read back
from a real SMTP server), the owners' answers, the nudge ladder and the department's decisions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import col, select

from models.access import LINK_PLACEHOLDER
from models.audit import AuditEntity, AuditEvent
from models.committee import CommitteeTask, TaskStatus
from models.db import session_scope
from models.outbox import EmailKind, OutboxMessage
from models.settings import get_settings
from notifications.smtp_server import MailboxServer, read_mailbox
from services.committee import (
    decide_extension,
    import_plan,
    mark_done,
    nudge_tasks,
    open_task_link,
    report_problem,
    request_extension,
)
from services.committee_status import plan_status
from services.errors import OperatorError
from services.mail import deliver_and_report
from services.plan import plan
from services.units import import_units
from tests.committee_support import (
    ASSIGNED_ON,
    DUE,
    PLAN,
    body_of,
    import_and_assign,
    link_for,
    task_key,
    task_links,
)
from tests.flows.conftest import CODE, CONFERENCE, SAMPLE, at
from tests.service_layer.conftest import plan_and_call

SAMPLE_PLAN = Path(__file__).resolve().parents[2] / "deploy" / "plans" / "hoi-nghi-bieu-duong.toml"


def tasks() -> dict[str, CommitteeTask]:
    with session_scope() as session:
        return {t.key: t for t in session.exec(select(CommitteeTask)).all()}


def audit_actions() -> list[str]:
    with session_scope() as session:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.entity == AuditEntity.COMMITTEE_TASK)
        ).all()
        return [r.action for r in rows]


def test_the_sample_plan_imports_for_the_sample_units(database: str) -> None:
    with session_scope() as session:
        import_units(
            session, SAMPLE.read_bytes(), "units.csv", now=at(date(2019, 1, 18)), actor="t"
        )
    with session_scope() as session:
        plan(
            session,
            code=CODE,
            year=2018,
            name="Tôn vinh 2018",
            conference_date=CONFERENCE,
            now=at(date(2019, 1, 21)),
            actor="t",
        )
    with session_scope() as session:
        result = import_plan(
            session,
            CODE,
            SAMPLE_PLAN.read_text("utf-8"),
            SAMPLE_PLAN.name,
            now=at(ASSIGNED_ON),
            actor="t",
        )
    assert len(result.created) == 11
    with session_scope() as session:
        status = plan_status(session, CODE, at(ASSIGNED_ON))
    assert status.total == 11 and status.done == 0 and status.critical_path[0] == "kinh_phi"
    assert max(t.due_on for t in status.tasks) == CONFERENCE


def test_import_is_all_or_nothing_with_located_errors(database: str) -> None:
    plan_and_call()
    broken = PLAN.replace('depends_on = ["hoi_truong"]\n', 'depends_on = ["ghost"]\n', 1).replace(
        'owner = "vu_khcn"', 'owner = "vu_khong_co"'
    )
    with session_scope() as session, pytest.raises(OperatorError) as refused:
        import_plan(session, CODE, broken, "plan.toml", now=at(ASSIGNED_ON), actor="test")
    assert refused.value.code == "plan_invalid"
    assert "Việc dòng 3 (in_an), trường depends_on" in refused.value.vi
    assert "Việc dòng 4 (bao_chi), trường owner" in refused.value.vi
    assert tasks() == {}


def test_reimport_of_the_same_file_changes_nothing_and_a_changed_one_is_audited(
    database: str,
) -> None:
    plan_and_call()
    import_and_assign()
    again = None
    with session_scope() as session:
        again = import_plan(session, CODE, PLAN, "plan.toml", now=at(ASSIGNED_ON, 9), actor="test")
    assert again.created == [] and again.updated == [] and len(again.unchanged) == 4
    with session_scope() as session:
        link = link_for(session, "kinh_phi")
        mark_done(session, link, now=at(ASSIGNED_ON, 10))
    changed = PLAN.replace(
        "In giấy mời và Bằng khen", "In giấy mời, Bằng khen và Giấy khen"
    ).replace("Cấp kinh phí tổ chức Hội nghị", "Cấp kinh phí Hội nghị")
    with session_scope() as session:
        result = import_plan(
            session, CODE, changed, "plan-v2.toml", now=at(ASSIGNED_ON, 11), actor="t"
        )
    assert result.updated == ["in_an"] and result.kept_done == ["kinh_phi"]
    assert tasks()["in_an"].title == "In giấy mời, Bằng khen và Giấy khen"
    assert audit_actions().count("task_created") == 4
    assert audit_actions().count("task_updated") == 1


def test_assign_emails_each_owner_a_link_that_opens_only_its_task(
    database: str, mail_server: MailboxServer
) -> None:
    plan_and_call()
    import_and_assign()
    with session_scope() as session:  # a second run queues nothing
        from services.committee import assign_tasks

        assert assign_tasks(session, CODE, now=at(ASSIGNED_ON, 9), actor="t").queued == 0
    deliver_and_report(at(ASSIGNED_ON, 9))
    links = task_links(mail_server.mailbox_dir)
    assert sorted(links) == sorted(DUE)
    assert all(
        link.startswith(get_settings().submission_base_url[: -len("/nop")] + "/viec/")
        for link in links.values()
    )
    for message in read_mailbox(mail_server.mailbox_dir):
        if "giao việc" not in str(message["Subject"]):
            continue
        key = task_key(message)
        assert "Kính gửi" in body_of(message)
        if key == "hoi_truong":  # the plan's own contact
            assert "hoitruong@vu-bc.example.gov.vn" in str(message["To"])
        else:  # none given: the owner unit's focal contact
            assert "thidua@" in str(message["To"])
    with session_scope() as session:
        for key, link in links.items():
            opened = open_task_link(session, link.rsplit("/", 1)[1], at(ASSIGNED_ON, 10))
            assert opened is not None and opened.task_id == tasks()[key].id
        assert open_task_link(session, "x" * 43, at(ASSIGNED_ON, 10)) is None
        stored = session.exec(
            select(OutboxMessage).where(OutboxMessage.kind == EmailKind.COMMITTEE_TASK)
        ).all()
        assert stored and all(LINK_PLACEHOLDER in m.text_body for m in stored)
        assert not any(
            link.rsplit("/", 1)[1] in m.text_body for m in stored for link in links.values()
        )


def sent_nudges() -> list[tuple[str, int, list[str], list[str]]]:
    with session_scope() as session:
        rows = session.exec(
            select(OutboxMessage)
            .where(
                col(OutboxMessage.kind).in_(
                    [EmailKind.COMMITTEE_REMINDER, EmailKind.COMMITTEE_ESCALATION]
                )
            )
            .order_by(col(OutboxMessage.id))
        ).all()
        return [(m.kind, m.tier, list(m.to_addrs), list(m.cc_addrs)) for m in rows]


def test_the_nudge_ladder_reminds_the_contact_then_escalates_to_the_unit_head(
    database: str,
) -> None:
    plan_and_call()
    import_and_assign()
    with session_scope() as session:  # kinh_phi is done; in_an waits for an extension answer
        mark_done(session, link_for(session, "kinh_phi"), now=at(date(2019, 3, 5)))
        request_extension(
            session,
            link_for(session, "in_an"),
            date(2019, 3, 27),
            "Chờ danh sách khen thưởng chính thức",
            now=at(date(2019, 3, 5)),
        )

    def nudge(day: date) -> tuple[int, int]:
        with session_scope() as session:
            result = nudge_tasks(session, CODE, now=at(day, 8))
        return result.reminders, result.escalations

    # hoi_truong is due Thursday 21 March: reminder 2 working days before (Tue 19, 08:00),
    # overdue notice the day after (Fri 22), the unit head 2 working days later (Tue 26).
    assert nudge(date(2019, 3, 18)) == (0, 0)
    assert nudge(date(2019, 3, 19)) == (1, 0)
    assert nudge(date(2019, 3, 19)) == (0, 0)  # the same step is never sent twice
    assert nudge(date(2019, 3, 22)) == (1, 0)
    assert nudge(date(2019, 3, 25)) == (1, 0)  # bao_chi (due 27): its first reminder
    assert nudge(date(2019, 3, 26)) == (0, 1)
    sent = sent_nudges()
    assert [kind for kind, *_ in sent] == [
        EmailKind.COMMITTEE_REMINDER,
        EmailKind.COMMITTEE_REMINDER,
        EmailKind.COMMITTEE_REMINDER,
        EmailKind.COMMITTEE_ESCALATION,
    ]
    _kind, tier, to, cc = sent[-1]
    assert tier == 3 and "lanhdao@vu-bc.example.gov.vn" in to[0]
    assert "hoitruong@vu-bc.example.gov.vn" in cc[0]
    assert tasks()["in_an"].last_nudge_tier == 0  # waiting for the department: not nudged
    with session_scope() as session:
        status = plan_status(session, CODE, at(date(2019, 3, 26), 9))
    assert status.late == ["hoi_truong", "in_an"] and status.done == 1
    assert status.extension_requests == ["in_an"]
    # Two chains of three; bao_chi (due 27) has less slack than in_an (due 25): the tighter.
    assert status.critical_path == ["kinh_phi", "hoi_truong", "bao_chi"]


def test_extension_and_problem(database: str) -> None:
    plan_and_call()
    import_and_assign()
    with session_scope() as session:
        link = link_for(session, "in_an")
        for day, code in [
            (date(2019, 3, 23), "not_working_day"),  # a Saturday
            (date(2019, 3, 22), "extension_out_of_range"),  # before the current due
            (date(2019, 4, 1), "extension_out_of_range"),  # after the conference
        ]:
            with pytest.raises(OperatorError) as refused:
                request_extension(session, link, day, "lý do", now=at(ASSIGNED_ON))
            assert refused.value.code == code
        with pytest.raises(OperatorError) as refused:
            request_extension(session, link, date(2019, 3, 27), "  ", now=at(ASSIGNED_ON))
        assert refused.value.params["field"] == "reason"
        with pytest.raises(OperatorError) as refused:
            decide_extension(
                session,
                CODE,
                "in_an",
                grant=False,
                until=None,
                reason="x",
                now=at(ASSIGNED_ON),
                actor="op",
            )
        assert refused.value.code == "no_extension_request"
    with session_scope() as session:
        request_extension(
            session,
            link_for(session, "in_an"),
            date(2019, 3, 27),
            "Chờ giấy",
            now=at(ASSIGNED_ON),
        )
        report_problem(
            session,
            link_for(session, "bao_chi"),
            "Chưa có danh sách phóng viên",
            now=at(ASSIGNED_ON),
        )
    assert tasks()["in_an"].status == TaskStatus.EXTENSION_REQUESTED
    assert tasks()["bao_chi"].problem == "Chưa có danh sách phóng viên"
    with session_scope() as session:
        decide_extension(
            session,
            CODE,
            "in_an",
            grant=True,
            until=None,
            reason="Đồng ý",
            now=at(ASSIGNED_ON, 9),
            actor="op",
        )
    granted = tasks()["in_an"]
    assert granted.due_on == date(2019, 3, 27) and granted.status == TaskStatus.OPEN
    assert "task_extension_granted" in audit_actions() and "task_problem" in audit_actions()
    with session_scope() as session:
        assert mark_done(session, link_for(session, "in_an"), now=at(ASSIGNED_ON, 10))
        assert not mark_done(session, link_for(session, "in_an"), now=at(ASSIGNED_ON, 10))


def test_the_scheduler_nudges_campaigns_with_open_tasks_on_working_days(database: str) -> None:
    from services.committee import campaigns_to_nudge

    plan_and_call()
    with session_scope() as session:  # imported, not handed over: nothing to nudge
        import_plan(session, CODE, PLAN, "plan.toml", now=at(ASSIGNED_ON), actor="t")
        assert campaigns_to_nudge(session, at(date(2019, 3, 4), 8)) == []
    import_and_assign()
    with session_scope() as session:
        assert campaigns_to_nudge(session, at(date(2019, 3, 4), 8)) == [CODE]  # a Monday
        assert campaigns_to_nudge(session, at(date(2019, 3, 9), 8)) == []  # a Saturday
        for key in DUE:
            mark_done(session, link_for(session, key), now=at(date(2019, 3, 4), 9))
    with session_scope() as session:
        assert campaigns_to_nudge(session, at(date(2019, 3, 5), 8)) == []
