"""The approving leader's page: the email with the link when the approval run pauses, the page
(result, budget, draft decision), the answer resuming the real paused Prefect run with the
Prefect form's own typed input, single use, and the refusals route by route."""

from __future__ import annotations

import io
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docx
import httpx
from prefect.flow_runs import resume_flow_run
from sqlmodel import col, select

from cli.demo_leader import leader_links
from flows.approve import ApprovalForm
from models.access import LINK_PLACEHOLDER, hash_token
from models.audit import AuditEvent
from models.council import Approval
from models.db import session_scope
from models.leader_access import LeaderToken
from models.nomination import NominationStatus
from models.outbox import EmailKind, OutboxMessage
from notifications.smtp_server import MailboxServer, read_mailbox
from services.approval import ApprovalRequest
from tests.portal.leader_support import (
    LEADER,
    NAMES,
    TITLE,
    Leader,
    PausedApproval,
    invite_of,
    nomination_ids,
    paused_for_leader,
    recorded_approval,
    run_state,
    statuses,
)
from tests.portal.support import LINK, LogLines, Portal, body_text

CODE_A = "tdkt-2018"
CODE_B = "tdkt-2018-b"


def _unit_token(mailbox: Path) -> str:
    """A unit's working token, from a call email the approval run delivered."""
    for message in read_mailbox(mailbox):
        found = LINK.search(body_text(message))
        if found:
            return found.group(2)
    raise AssertionError("no unit link in the mailbox")


def test_the_leader_decides_from_the_emailed_link(
    approvals: list[PausedApproval], mail_server: MailboxServer, tmp_path: Path, logged: LogLines
) -> None:
    paused = paused_for_leader(approvals, tmp_path, CODE_A)
    ids = nomination_ids(CODE_A)

    # The email: to the configured leader, with a working link; the stored copy keeps the
    # placeholder and the database only the token's hash.
    [link] = leader_links(mail_server.mailbox_dir, CODE_A)
    [message] = [m for m in read_mailbox(mail_server.mailbox_dir) if link in body_text(m)]
    assert "thutruong.hung@example.gov.vn" in str(message["To"])
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 43
    with session_scope() as session:
        [row] = session.exec(
            select(OutboxMessage).where(OutboxMessage.kind == EmailKind.LEADER_APPROVAL)
        ).all()
        assert LINK_PLACEHOLDER in row.text_body and token not in row.text_body + row.html_body
        [stored] = session.exec(select(LeaderToken)).all()
        assert stored.token_hash == hash_token(token)
    invite = invite_of(CODE_A)
    assert invite.flow_run_id == str(paused.run_id) and invite.approver_name == LEADER

    leader = Leader(link)
    assert leader.client.get(link).status_code == 303  # to the page under it
    page = leader.open()
    assert page.status_code == 200
    text = page.text
    assert "Tôn vinh điển hình tiên tiến (tdkt-2018)" in text
    for name in NAMES:
        assert name in text
    assert "10/10 (100,0%)" in text and "Chiến sĩ thi đua cơ sở" in text
    assert "Tải dự thảo quyết định (DOCX)" in text
    assert f'value="{LEADER} ({TITLE})"' in text  # the name pre-filled from the link
    assert token not in text  # every link on the page is relative

    draft = leader.open("du-thao-quyet-dinh.docx")
    assert draft.status_code == 200
    assert "du-thao-quyet-dinh-tdkt-2018.docx" in draft.headers["content-disposition"]
    document = docx.Document(io.BytesIO(draft.content))
    words = "\n".join(p.text for p in document.paragraphs) + "\n".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )
    assert all(name in words for name in NAMES) and LEADER in words

    # Excluding without a reason: refused, naming the field; nothing resumed or used.
    excluded = str(ids[NAMES[1]])
    refused = leader.answer(
        {"decision": "approve_except", "excluded": excluded, "approver": LEADER}
    )
    assert refused.status_code == 422
    assert "Lý do không phê duyệt" in refused.text and "không có gì được lưu" in refused.text
    assert f'value="{excluded}" id="x-{excluded}" checked' in refused.text  # kept as typed
    assert run_state(paused) == "PAUSED" and invite_of(CODE_A).used_at is None

    reason = "Chưa đủ minh chứng sáng kiến cấp Bộ"
    field = leader.csrf()  # the form as loaded: a double click sends it twice, at once
    fields = {
        "decision": "approve_except",
        "excluded": excluded,
        "exclusion_reason": reason,
        "comment": "Đồng ý",
        "approver": LEADER,
    }
    second = Leader(link)
    second.client.cookies = leader.client.cookies
    with ThreadPoolExecutor(2) as pool:
        both = list(pool.map(lambda who: who.answer(fields, field), (leader, second)))
    # One resumed the run (303 to the confirmation); the other waited on the invite's row
    # and found it used: "đã gửi", nothing resumed twice.
    assert sorted(r.status_code for r in both) == [200, 303]
    assert "Đã gửi ý kiến phê duyệt" in next(r.text for r in both if r.status_code == 200)
    confirmation = leader.open()
    assert confirmation.status_code == 200 and "Đã gửi ý kiến phê duyệt" in confirmation.text

    result = paused.wait()
    assert result.approved == 2 and result.approver == LEADER
    assert run_state(paused) == "COMPLETED"
    approval, decision = recorded_approval()
    with session_scope() as session:
        excluded_story = session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == "nomination", AuditEvent.entity_id == int(excluded))
            .order_by(col(AuditEvent.id))
        ).all()
    assert approval.approver == LEADER and approval.flow_run_id == str(paused.run_id)
    assert approval.excluded_nomination_ids == [int(excluded)]
    assert decision.actor == LEADER and decision.details["exclusion_reason"] == reason
    assert excluded_story[-1].to_state == "excluded" and excluded_story[-1].reason == reason
    assert statuses(CODE_A) == {NominationStatus.APPROVED, NominationStatus.EXCLUDED}

    # The access log names the pages, never the leader's token.
    lines = "\n".join(logged.lines)
    assert '"GET /duyet/…/du-thao-quyet-dinh.docx HTTP/1.1" 200' in lines and token not in lines

    # Single use: a second submission (a double click) resumes nothing, records nothing.
    again = leader.answer({"decision": "approve_all", "approver": LEADER}, field)
    assert again.status_code == 200 and "Đã gửi ý kiến phê duyệt" in again.text
    with session_scope() as session:
        assert len(session.exec(select(Approval)).all()) == 1
    assert leader.open("du-thao-quyet-dinh.docx").status_code == 200  # the confirmation page
    assert "Đã gửi" in leader.open("du-thao-quyet-dinh.docx").text


def test_the_same_typed_input_as_the_prefect_form() -> None:
    """The page resumes with ApprovalRequest's dump, which is exactly what ApprovalForm takes."""
    assert ApprovalForm.model_fields.keys() == ApprovalRequest.model_fields.keys()
    sent = ApprovalRequest(
        approver=LEADER, exclude_nomination_ids=[3], exclusion_reason="Thiếu hồ sơ"
    )
    assert ApprovalForm.model_validate(sent.model_dump(mode="json")).model_dump() == (
        sent.model_dump()
    )


def test_refusals_route_by_route(
    approvals: list[PausedApproval], mail_server: MailboxServer, portal: Portal, tmp_path: Path
) -> None:
    paused_a = paused_for_leader(approvals, tmp_path, CODE_A)
    paused_b = paused_for_leader(approvals, tmp_path, CODE_B)
    [link_a] = leader_links(mail_server.mailbox_dir, CODE_A)
    [link_b] = leader_links(mail_server.mailbox_dir, CODE_B)
    ids_a = nomination_ids(CODE_A)
    leader_a, leader_b = Leader(link_a), Leader(link_b)

    # Another campaign's leader sees only their own campaign, and cannot act on this one's
    # dossiers: an id from campaign A on B's form is refused, nothing resumed.
    page_b = leader_b.open()
    assert page_b.status_code == 200 and CODE_B in page_b.text and f"({CODE_A})" not in page_b.text
    cross = leader_b.answer(
        {
            "decision": "approve_except",
            "excluded": str(ids_a[NAMES[0]]),
            "exclusion_reason": "x",
            "approver": LEADER,
        }
    )
    assert cross.status_code == 422 and "không thuộc danh sách trình" in cross.text
    assert run_state(paused_b) == "PAUSED" and run_state(paused_a) == "PAUSED"

    # CSRF: no field, a wrong one, or B's field on A's link: 403, nothing done.
    assert (
        leader_a.client.post(leader_a.page_url, data={"decision": "approve_all"}).status_code == 403
    )
    forged = leader_a.answer({"decision": "approve_all", "approver": LEADER}, csrf="f" * 64)
    assert forged.status_code == 403
    field_b = leader_b.csrf()
    leader_a.client.cookies = leader_b.client.cookies
    assert (
        leader_a.answer({"decision": "approve_all", "approver": LEADER}, field_b).status_code == 403
    )
    assert invite_of(CODE_A).used_at is None and run_state(paused_a) == "PAUSED"

    # Other people's tokens: a unit's link on /duyet/, the leader's on /nop/ and /phieu/ (a
    # council member's ballot), unknown ones.
    client = httpx.Client(base_url=portal.url)
    unit_token = _unit_token(mail_server.mailbox_dir)
    token_a = link_a.rsplit("/", 1)[1]
    assert client.get(f"/nop/{unit_token}/").status_code == 200  # a working unit link
    for path in (
        f"/duyet/{unit_token}/",
        f"/nop/{token_a}/",
        f"/phieu/{token_a}",
        f"/moi/{token_a}/",
        f"/duyet/{'x' * 43}/",
        f"/duyet/{'x' * 43}/du-thao-quyet-dinh.docx",
        "/duyet/short/",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Không tìm thấy trang" in response.text and NAMES[0] not in response.text
    assert client.post(f"/duyet/{'x' * 43}/", data={"decision": "approve_all"}).status_code == 404

    # Decisions the form refuses, each naming its field.
    cases = [
        ({"decision": "maybe", "approver": LEADER}, "Ý kiến phê duyệt"),
        ({"decision": "return", "approver": LEADER}, "Mục “Ý kiến”"),
        ({"decision": "approve_all", "approver": "X"}, "Họ tên người phê duyệt"),
        (
            {"decision": "approve_all", "excluded": str(ids_a[NAMES[0]]), "approver": LEADER},
            "Phê duyệt toàn bộ",
        ),
        ({"decision": "approve_except", "approver": LEADER, "exclusion_reason": "x"}, "ít nhất"),
    ]
    for fields, says in cases:
        refused = leader_a.answer(fields)
        assert refused.status_code == 422 and says in refused.text, fields
    assert invite_of(CODE_A).used_at is None

    # Answered through the Prefect UI's door instead: the link closes with the pause.
    assert paused_a.run_id is not None
    form = ApprovalForm(approver="Bộ trưởng", comment="Đồng ý")
    resume_flow_run(paused_a.run_id, run_input=form.model_dump(mode="json"))
    paused_a.wait()
    closed = leader_a.open()
    assert closed.status_code == 404 and "Việc phê duyệt đã kết thúc" in closed.text
    assert leader_a.open("du-thao-quyet-dinh.docx").status_code == 404
    with session_scope() as session:
        assert len(session.exec(select(Approval)).all()) == 1
    assert re.search(r"Mã lỗi.*404", closed.text, re.S)

    # Campaign B's leader reads the page in English too (the choice is the request's own).
    english = httpx.Client().get(leader_b.page_url, params={"lang": "en"})
    assert "Download the draft decision (DOCX)" in english.text
    assert "Approve except the dossiers ticked" in english.text
