"""The commendation conference through the services: the invitation list from the signed
decision and the guest lists (each person once), seats and the waiting list, answers by link
with their confirmation (read back from the real SMTP server), the cut-off, reminders and
escalation, the attendee and seating lists (XLSX opened) and the certificates (DOCX opened)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import docx
import openpyxl
import pytest
from sqlmodel import select

from models.ceremony import Invitee, SeatState
from models.db import session_scope
from models.document import CampaignDocument, DocumentKind
from models.outbox import EmailKind, OutboxMessage
from models.rules.ceremony import Category
from notifications.smtp_server import MailboxServer, plain_text
from services.campaigns import load_campaign
from services.ceremony import import_guests, invite, remind_invitees
from services.ceremony_outputs import (
    attendees_file_name,
    ceremony_status,
    seating_file_name,
    write_attendee_documents,
    write_certificates,
)
from services.documents import open_document
from services.errors import OperatorError
from services.mail import deliver_and_report
from services.rsvp import Answer, Answered, answer_invitation, open_invite_link, rsvp_page
from tests.ceremony_support import (
    COLLECTIVE,
    CUTOFF,
    GUESTS,
    HEAD,
    NUMBER,
    ONCE,
    TWICE,
    invitation_links,
    invite_all,
    invitees,
    link_for,
    messages,
    signed_campaign,
)
from tests.flows.conftest import CODE, at

LEADER = "Nguyễn Mạnh Hùng"
PRESS = "Đỗ Thu Trang"


@pytest.fixture
def signed(database: str, tmp_path: Path) -> date:
    """The campaign's decision signed; returns the signing day (Tuesday 26 March 2019)."""
    return signed_campaign(tmp_path)


def _answer(name: str, answer: Answer, day: date, hour: int = 10, **fields: str) -> Answered:
    with session_scope() as session:
        return answer_invitation(
            session, link_for(session, name), answer, now=at(day, hour), **fields
        )


def _sheet_rows(file_name: str, sheet: str) -> list[tuple[object, ...]]:
    with session_scope() as session:
        stored = open_document(session, CODE, file_name)
        assert stored is not None
        book = openpyxl.load_workbook(io.BytesIO(stored.content))
    return [tuple(r) for r in book[sheet].iter_rows(min_row=6, values_only=True)]


def test_each_person_is_invited_once_with_a_link_that_opens_only_their_invitation(
    signed: date, mail_server: MailboxServer
) -> None:
    invite_all(signed)
    listed = invitees()
    assert sorted(listed) == sorted([TWICE, ONCE, HEAD, LEADER, PRESS])
    assert listed[TWICE].honours == ["Chiến sĩ thi đua cơ sở", "Bằng khen của Bộ trưởng"]
    # The unit's head is the collective's representative and in the guest list: one guest, of
    # the better category.
    assert listed[HEAD].category == Category.REPRESENTATIVE
    assert listed[HEAD].honours == [f"Tập thể lao động xuất sắc – {COLLECTIVE}"]
    assert {i.state for i in listed.values()} == {SeatState.INVITED}
    with session_scope() as session:  # a second run invites nobody again
        again = invite(session, CODE, now=at(signed, 17), actor="test")
    assert again.invited == 0 and again.listed == 5

    deliver_and_report(at(signed, 17))
    sent = messages(mail_server.mailbox_dir, "Giấy mời dự Hội nghị biểu dương")
    assert sorted(str(m["Subject"]).rsplit(" – ", 1)[1] for m in sent) == sorted(listed)
    [twice] = [m for m in sent if TWICE in str(m["Subject"])]
    text = plain_text(twice)
    assert "thidua@vu-bc.example.gov.vn" in str(twice["To"])  # through the unit's focal person
    assert f"Quyết định số {NUMBER}" in text and "Bằng khen của Bộ trưởng" in text
    assert "08:00, Thứ Sáu, ngày 29/03/2019" in text and "Khu A" in text
    links = invitation_links(mail_server.mailbox_dir)
    with session_scope() as session:
        for name, link in links.items():
            opened = open_invite_link(session, link.rsplit("/", 1)[1], at(signed, 18))
            assert opened is not None and opened.invitee_id == listed[name].id
        assert open_invite_link(session, "A" * 43, at(signed, 18)) is None
        with session_scope() as other:
            stored = other.exec(select(OutboxMessage)).all()
            assert all(
                link.rsplit("/", 1)[1] not in m.text_body for m in stored for link in links.values()
            )


def test_a_decline_frees_a_seat_for_the_first_on_the_waiting_list(signed: date) -> None:
    invite_all(signed, capacity=3)
    listed = invitees()
    # Honourees and the collective's representative first; the leader and the press wait.
    assert {n for n, i in listed.items() if i.state == SeatState.INVITED} == {TWICE, ONCE, HEAD}
    assert listed[LEADER].state == listed[PRESS].state == SeatState.WAITLISTED
    with session_scope() as session:
        kinds = session.exec(
            select(OutboxMessage.link_invitee_id).where(
                OutboxMessage.kind == EmailKind.CEREMONY_INVITATION
            )
        ).all()
    assert listed[LEADER].id not in kinds and len(kinds) == 3

    declined = _answer(ONCE, Answer.DECLINE, date(2019, 3, 27))
    assert declined.promoted == 1
    after = invitees()
    assert after[ONCE].state == SeatState.DECLINED
    assert after[LEADER].state == SeatState.INVITED and after[PRESS].state == SeatState.WAITLISTED
    # Changing her mind: the hall is full again, so she waits.
    back = _answer(ONCE, Answer.ATTEND, date(2019, 3, 27), 11)
    assert back.state == SeatState.WAITLISTED
    with session_scope() as session:
        status = ceremony_status(session, CODE, at(date(2019, 3, 27), 12))
    assert status.seats_left == 0 and status.waitlisted == 2 and status.invited == 4


def test_a_deputy_is_confirmed_by_email_and_named_in_the_attendee_lists(
    signed: date, mail_server: MailboxServer
) -> None:
    invite_all(signed)
    day = date(2019, 3, 27)
    with pytest.raises(OperatorError) as missing:
        _answer(TWICE, Answer.DEPUTY, day, deputy_name="Trần Văn Cường", deputy_position=" ")
    assert missing.value.code == "field_required"
    assert missing.value.params["field"] == "deputy_position"
    fields = {"deputy_name": "Trần Văn Cường", "deputy_position": "Phó Trưởng phòng"}
    first = _answer(TWICE, Answer.DEPUTY, day, **fields)
    again = _answer(TWICE, Answer.DEPUTY, day, **fields)  # a double submit stores once
    assert first.changed and not again.changed
    _answer(LEADER, Answer.ATTEND, day)
    _answer(HEAD, Answer.ATTEND, day)
    _answer(PRESS, Answer.DECLINE, day)
    deliver_and_report(at(day, 11))
    [confirmation] = messages(
        mail_server.mailbox_dir, f"Xác nhận trả lời giấy mời dự Hội nghị – {TWICE}"
    )
    text = plain_text(confirmation)
    assert "cử đồng chí Trần Văn Cường, Phó Trưởng phòng dự thay" in text
    assert "Thời gian: 08:00" in text and "Địa điểm: Hội trường" in text
    assert "Khu ghế: Khu A" in text and "Căn cước công dân" in text
    [declined] = messages(
        mail_server.mailbox_dir, f"Xác nhận trả lời giấy mời dự Hội nghị – {PRESS}"
    )
    assert "không tham dự" in plain_text(declined) and "Khu ghế" not in plain_text(declined)

    with session_scope() as session:  # as the scheduler does after answers
        write_attendee_documents(session, load_campaign(session, CODE), at(day, 12))
    coming = _sheet_rows(attendees_file_name(CODE), "Đại biểu dự")
    names = [row[2] for row in coming if row[0]]
    assert names[0] == "Trần Văn Cường"  # the honourees' delegation first
    deputy = coming[0]
    assert deputy[4] and TWICE in str(deputy[4]) and "Bằng khen của Bộ trưởng" in str(deputy[6])
    assert LEADER in names and PRESS not in names
    summary = _sheet_rows(attendees_file_name(CODE), "Tổng hợp theo đoàn")
    assert summary[0][1:] == ("Vụ Bưu chính", 3, 2, 1, 0, 1, 0)
    seats = _sheet_rows(seating_file_name(CODE), "Xếp chỗ - thẻ đại biểu")
    assert seats[0][2:6] == (
        "Trần Văn Cường",
        "Phó Trưởng phòng",
        "Vụ Bưu chính",
        "NHẬN KHEN THƯỞNG",
    )
    front = [row[1] for row in seats if str(row[0]).startswith("Khu A")]
    assert front == [1, 2]  # the honourees and the collective's head: one area, one numbering


def test_answers_close_at_the_cut_off(signed: date) -> None:
    invite_all(signed)
    _answer(ONCE, Answer.ATTEND, CUTOFF, 22)  # the cut-off day is still open
    after = date(2019, 3, 29)
    with pytest.raises(OperatorError) as closed:
        _answer(ONCE, Answer.DECLINE, after, 7)
    assert closed.value.code == "rsvp_closed" and "28/03/2019" in closed.value.vi
    assert invitees()[ONCE].state == SeatState.ATTENDING
    with session_scope() as session:
        page = rsvp_page(session, link_for(session, ONCE), at(after, 7))
    assert not page.open and page.state == SeatState.ATTENDING
    with session_scope() as session, pytest.raises(OperatorError) as late:
        invite(session, CODE, now=at(after, 7), actor="test")
    assert late.value.code == "rsvp_closed"


def test_non_responders_are_reminded_then_their_focal_person_is_told(
    signed: date, mail_server: MailboxServer
) -> None:
    invite_all(signed)
    _answer(LEADER, Answer.ATTEND, signed, 17)
    with session_scope() as session:  # nothing is due on the invitation's own day
        assert remind_invitees(session, CODE, now=at(signed, 18)).reminders == 0
    with session_scope() as session:
        first = remind_invitees(session, CODE, now=at(date(2019, 3, 27), 8))
    assert (first.reminders, first.escalations) == (4, 0)
    with session_scope() as session:  # the same step twice: nothing
        assert remind_invitees(session, CODE, now=at(date(2019, 3, 27), 15)).reminders == 0
    _answer(ONCE, Answer.ATTEND, date(2019, 3, 27), 16)
    with session_scope() as session:
        last = remind_invitees(session, CODE, now=at(CUTOFF, 8))
    # The press has no unit to tell: reminded again; the two of vu_bc: their unit is told.
    assert (last.reminders, last.escalations) == (1, 2)
    deliver_and_report(at(CUTOFF, 9))
    escalations = messages(mail_server.mailbox_dir, "Đề nghị đôn đốc trả lời giấy mời")
    to = {str(m["Subject"]).split(" – ")[1].split(" (")[0]: str(m["To"]) for m in escalations}
    # The head's own address: his unit's focal person is told. The honouree's invitation went
    # to the focal person already: the unit's head is told.
    assert "thidua@vu-bc.example.gov.vn" in to[HEAD]
    assert "lanhdao@vu-bc.example.gov.vn" in to[TWICE]
    with session_scope() as session:
        assert remind_invitees(session, CODE, now=at(date(2019, 3, 29), 8)).reminders == 0


def test_one_certificate_per_honouree_quotes_the_signed_decision(signed: date) -> None:
    with session_scope() as session:
        made = write_certificates(session, CODE, at(signed, 17))
    assert len(made.files) == 3  # the person honoured twice has one document
    with session_scope() as session:
        stored = session.exec(
            select(CampaignDocument).where(CampaignDocument.kind == DocumentKind.CERTIFICATE)
        ).all()
        texts = {
            row.file_name: "\n".join(
                p.text for p in docx.Document(io.BytesIO(row.content)).paragraphs
            )
            for row in stored
        }
    [twice] = [t for name, t in texts.items() if "nguyen-thi-huong" in name]
    assert "CHIẾN SĨ THI ĐUA CƠ SỞ" in twice and "BẰNG KHEN CỦA BỘ TRƯỞNG" in twice
    assert all(f"Quyết định số {NUMBER} ngày" in t for t in texts.values())
    assert any(COLLECTIVE in t for t in texts.values())


def test_a_wrong_guest_list_stores_nothing_and_names_line_and_column(signed: date) -> None:
    broken = GUESTS + "phong_vien,Ai Đó,,Báo X,khong-phai-email,\nbao_chi,,,,a@b.vn,vu_khong\n"
    with session_scope() as session, pytest.raises(OperatorError) as refused:
        import_guests(session, CODE, broken, "khach.csv", now=at(signed, 9), actor="t")
    assert refused.value.code == "guests_invalid"
    for where in ("Dòng 5, cột category", "Dòng 5, cột email", "Dòng 6, cột full_name"):
        assert where in refused.value.vi
    assert "Dòng 6, cột unit: không có đơn vị mã 'vu_khong'" in refused.value.vi
    with session_scope() as session:
        assert session.exec(select(Invitee)).all() == []
