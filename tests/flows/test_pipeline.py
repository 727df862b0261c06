"""The whole campaign through real flows, a real database and a real SMTP server."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import openpyxl
import pytest
from sqlmodel import col, select

from documents.nomination_list import SHEET_META
from flows.approve import ApprovalForm, approve_with
from flows.council import council_tally
from flows.dispatch import dispatch_call
from flows.honour import honour_campaign, sign_decision_flow
from flows.intake import intake_submissions
from flows.remind import send_reminders
from flows.review import review_nominations
from models.audit import AuditEvent
from models.campaign import CampaignStage
from models.council import CouncilMemberCreate, CouncilRole
from models.db import session_scope
from models.nomination import Nomination
from notifications.smtp_server import read_mailbox
from services.campaigns import calendar_for
from services.council import BallotInput
from tests.documents.builders import individual
from tests.flows.conftest import CODE, at, campaign_row, filled_list


@pytest.mark.slow
def test_campaign_from_call_to_ceremony(planned: dict, mail_server, tmp_path: Path) -> None:
    codes = planned["codes"]
    campaign = campaign_row()
    with session_scope() as session:
        calendar = calendar_for(session, campaign)
    mailbox = Path(mail_server.mailbox_dir)

    # Dispatch: every unit's focal contact receives the call, in Vietnamese, once, with the
    # unit's own Excel list attached: the file opens, and its hidden sheet names the unit.
    dispatch_call(CODE, now=at(campaign.dispatch_on, 8))
    dispatch_call(CODE, now=at(campaign.dispatch_on, 9))  # a re-run sends nothing new
    calls = read_mailbox(mailbox)
    assert len(calls) == len(codes)
    assert all("Kính gửi" in m.get_body(("plain",)).get_content() for m in calls)
    by_domain = {c.replace("_", "-"): c for c in codes}
    for call in calls:
        code = by_domain[call["To"].addresses[0].addr_spec.split("@")[1].split(".")[0]]
        [attached] = list(call.iter_attachments())
        assert attached.get_filename() == f"{CODE}_{code}.xlsx"
        book = openpyxl.load_workbook(io.BytesIO(attached.get_content()))
        meta = book[SHEET_META]
        assert meta.sheet_state in ("hidden", "veryHidden")
        assert dict(meta.iter_rows(max_col=2, values_only=True))["unit_code"] == code
    assert {m["To"].addresses[0].addr_spec.split("@")[1].split(".")[0] for m in calls} == {
        c.replace("_", "-") for c in codes
    }

    # The first unit submits a list; the second unit's list is returned for a wrong claim.
    first, second = codes[0], codes[1]
    ok = filled_list(tmp_path, first, [individual("Nguyễn Thị Hương", "CSTDCS", 1)], "a.xlsx")
    bad = filled_list(
        tmp_path, second, [individual("Trần Văn Dũng", "CSTD_BO", 2, "Nam")], "b.xlsx"
    )
    day_before = calendar.add_working_days(campaign.submission_due, -6)
    results = intake_submissions(CODE, [ok, bad], now=at(day_before, 15))
    assert [r.outcome for r in results] == ["accepted", "accepted"]
    # Each unit has its receipt at once: the file, and what it proposes.
    call_ids = {m["Message-ID"] for m in calls}
    receipts = [m for m in read_mailbox(mailbox) if m["Message-ID"] not in call_ids]
    assert sorted(str(m["Subject"]).rsplit(" – ", 1)[1] for m in receipts) == ["a.xlsx", "b.xlsx"]
    assert all("Xác nhận đã nhận" in str(m["Subject"]) for m in receipts)
    assert "1. Nguyễn Thị Hương – Chiến sĩ thi đua cơ sở (mới)" in "".join(
        m.get_body(("plain",)).get_content() for m in receipts
    )
    seen = call_ids | {m["Message-ID"] for m in receipts}

    # Five working days before the deadline, only the units that have not submitted are nudged.
    remind_day = calendar.add_working_days(campaign.submission_due, -5)
    send_reminders(CODE, now=at(remind_day, 8))
    reminders = [m for m in read_mailbox(mailbox) if m["Message-ID"] not in seen]
    assert len(reminders) == len(codes) - 2
    assert all("Thứ" in m.get_body(("plain",)).get_content() for m in reminders)

    # Reviewing as lists arrive, before the deadline: the officer says why (audited).
    rolling = "Thẩm định cuốn chiếu hồ sơ đã nộp"
    review = review_nominations(
        CODE, now=at(calendar.add_working_days(remind_day, 1), 10), force_reason=rolling
    )
    assert review.returned == 1
    with session_scope() as session:
        returned = session.exec(
            select(Nomination).where(Nomination.full_name == "Trần Văn Dũng")
        ).one()
    returned_mail = [
        m
        for m in read_mailbox(mailbox)
        if "Trần Văn Dũng" in m.get_body(("plain",)).get_content()
        and "Trả lại" in str(m["Subject"])
    ]
    assert len(returned_mail) == 1

    fixed = filled_list(
        tmp_path, second, [individual("Trần Văn Dũng", "CSTD_BO", 3, "Nam")], "b2.xlsx"
    )
    intake_submissions(CODE, [fixed], now=at(calendar.add_working_days(remind_day, 2), 9))
    review_nominations(
        CODE,
        decisions=[],
        now=at(calendar.add_working_days(remind_day, 3), 10),
        reviewer="Chuyên viên Lê Thị Mai",
        force_reason=rolling,
    )

    # Council of 15: two absentees vote in writing. 14/15 passes 90%; 12/15 passes only 80%.
    members = [CouncilMemberCreate(name="Phan Tâm", role=CouncilRole.CHAIR)] + [
        CouncilMemberCreate(name=f"Ủy viên {i}") for i in range(2, 16)
    ]
    with session_scope() as session:
        ids = {
            n.full_name: n.id
            for n in session.exec(select(Nomination).where(col(Nomination.status) == "eligible"))
        }
    votes = {"Nguyễn Thị Hương": 12, "Trần Văn Dũng": 14}
    ballots = [
        BallotInput(
            nomination_id=ids[name],
            member_name=member.name,
            in_favour=index < votes[name],
            in_writing=index >= 13,
        )
        for name in votes
        for index, member in enumerate(members)
    ]
    tally = council_tally(CODE, members, ballots, now=at(campaign.council_on, 14))
    assert tally.quorum_met and tally.passed == 2

    approval = approve_with(
        CODE,
        ApprovalForm(approver="Phan Tâm", comment="Đồng ý"),
        now=at(campaign.approval_due, 10),
    )
    assert approval.approved == 2
    honour = honour_campaign(CODE, now=at(campaign.approval_due, 15))
    # A draft: no number, no invitation, until the registry records the signed decision.
    assert honour.decision_number is None and honour.invitations == 0
    assert campaign_row().stage is CampaignStage.APPROVED
    signed_on = calendar.add_working_days(campaign.approval_due, 1)
    signed = sign_decision_flow(CODE, "125/QĐ-BTTTT", signed_on, now=at(signed_on, 10))
    assert signed.invitations == 2
    assert campaign_row().stage is CampaignStage.HONOURED

    # The decision and its annex, opened as the department would open them.
    document = docx.Document(honour.decision_docx)
    text = "\n".join(p.text for p in document.paragraphs)
    assert "QUYẾT ĐỊNH" in text and "I. Cá nhân" in text
    assert "Số: 125/QĐ-BTTTT" in "\n".join(
        c.text for t in document.tables for r in t.rows for c in r.cells
    )
    assert "Nguyễn Thị Hương" in text and "Trần Văn Dũng" in text
    sheet = openpyxl.load_workbook(honour.honourees_xlsx).active
    names = {cell.value for row in sheet.iter_rows() for cell in row}
    assert {"Nguyễn Thị Hương", "Trần Văn Dũng"} <= names

    # The returned nomination's whole story, from submission to decision, in the audit log.
    with session_scope() as session:
        story = session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == "nomination", AuditEvent.entity_id == returned.id)
            .order_by(col(AuditEvent.id))
        ).all()
    assert [(e.action, e.to_state) for e in story] == [
        ("submitted", "submitted"),
        ("reviewed", "returned"),
        ("resubmitted", "submitted"),
        ("reviewed", "eligible"),
        ("council_tally", "passed"),
        ("approval", "approved"),
        ("honoured", "honoured"),
    ]
    assert story[-2].actor == "Phan Tâm"
    assert story[1].reason  # the return names its reason

    invitations = [m for m in read_mailbox(mailbox) if "mời" in str(m["Subject"]).lower()]
    assert len(invitations) == 2
