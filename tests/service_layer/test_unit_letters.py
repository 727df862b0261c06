"""What a unit is told when its list arrives and when review refuses its dossiers: a receipt,
the located errors of a list the operator's intake refused, the reasons and legal basis of an
ineligible dossier. Each read back from a real SMTP server, in the unit's own language, once."""

from __future__ import annotations

import io
import shutil
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import openpyxl
from sqlmodel import col, func, select

from documents.nomination_list import SHEET_META
from models.audit import AuditEvent
from models.campaign import Campaign
from models.db import session_scope
from models.nomination import Nomination, NominationStatus, ReviewFinding, Submission
from models.outbox import EmailKind, OutboxMessage
from models.unit import Language, Unit
from notifications.smtp_server import MailboxServer, read_mailbox
from services.campaigns import templates_dir
from services.documents import list_documents, open_document
from services.intake import IntakeOutcome, IntakeResult, receive_list
from services.mail import deliver_and_report
from services.review import ReviewAction, ReviewDecision, review_round
from tests.documents.builders import individual, person
from tests.flows.conftest import CODE, at
from tests.service_layer.conftest import list_bytes, unit_codes

FROZEN_CITATION = "Nghị định 91/2017/NĐ-CP"


def _receive(data: bytes, day: date, name: str, unit_code: str | None = None) -> IntakeResult:
    with session_scope() as session:
        return receive_list(
            session, CODE, data, name, now=at(day, 16), actor="test", unit_code=unit_code
        )


def _deliver(day: date, server: MailboxServer) -> list[EmailMessage]:
    """Send what is queued; every message the server has received, in arrival order."""
    deliver_and_report(at(day, 17))
    return read_mailbox(server.mailbox_dir)


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def _kinds() -> list[tuple[str, str, int]]:
    with session_scope() as session:
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        codes = dict(session.exec(select(Unit.id, Unit.code)).all())
        return [(r.kind, codes.get(r.unit_id, "-"), r.tier) for r in rows]


def _set_lang(unit_code: str, lang: Language) -> None:
    with session_scope() as session:
        unit = session.exec(select(Unit).where(Unit.code == unit_code)).one()
        unit.lang = lang
        session.add(unit)


def _for(messages: list[EmailMessage], unit_code: str) -> list[EmailMessage]:
    domain = unit_code.replace("_", "-")
    return [m for m in messages if f"@{domain}." in str(m["To"])]


def test_the_call_carries_the_units_own_list(calling: Campaign, mail_server: MailboxServer) -> None:
    calls = _deliver(calling.dispatch_on, mail_server)
    assert len(calls) == len(unit_codes())
    for code in unit_codes():
        [call] = _for(calls, code)
        [attached] = list(call.iter_attachments())
        assert attached.get_filename() == f"{CODE}_{code}.xlsx"
        book = openpyxl.load_workbook(io.BytesIO(attached.get_content()))
        meta = book[SHEET_META]
        assert meta.sheet_state in ("hidden", "veryHidden")
        values = {key: value for key, value, *_ in meta.iter_rows(values_only=True)}
        assert values["unit_code"] == code and values["campaign_code"] == CODE


def test_a_worker_on_another_host_sends_the_call_with_the_list_kept_in_the_database(
    calling: Campaign, mail_server: MailboxServer
) -> None:
    """The worker that delivers is not the one that wrote the units' lists: its output folder
    has none of them, and each call still carries its unit's list, from the database's copy."""
    shutil.rmtree(templates_dir(CODE))
    calls = _deliver(calling.dispatch_on, mail_server)
    with session_scope() as session:
        kept = {d.file_name: d for d in list_documents(session, CODE)}
    for code in unit_codes():
        [call] = _for(calls, code)
        [attached] = list(call.iter_attachments())
        name = f"{CODE}_{code}.xlsx"
        assert attached.get_filename() == name
        with session_scope() as session:
            stored = open_document(session, CODE, name)
            assert stored is not None and attached.get_content() == stored.content
        assert kept[name].kind == "unit_template"


def test_a_receipt_for_every_stored_list_and_none_for_an_unchanged_one(
    calling: Campaign, mail_server: MailboxServer, tmp_path: Path
) -> None:
    first, second = unit_codes()[:2]
    _set_lang(second, Language.EN)
    day = calling.dispatch_on
    rows = [individual("Nguyễn Thị Hương", "CSTDCS", 1), individual("Trần Văn Minh", "CSTD_BO", 3)]
    data = list_bytes(tmp_path, first, rows, "a.xlsx")
    assert _receive(data, day, "Danh sách đợt 1.xlsx").outcome is IntakeOutcome.ACCEPTED
    assert _receive(data, day, "Danh sách đợt 1.xlsx").outcome is IntakeOutcome.UNCHANGED
    # The list again, one dossier dropped and one added: created 1, updated 1, withdrawn 1.
    revised = [rows[0], individual("Lê Thị Mai", "CSTDCS", 1)]
    data2 = list_bytes(tmp_path, first, revised, "a2.xlsx")
    assert _receive(data2, day, "Danh sách đợt 2.xlsx").outcome is IntakeOutcome.ACCEPTED
    english = list_bytes(tmp_path, second, [individual("Hồ Văn Tâm", "CSTDCS", 1)], "b.xlsx")
    assert _receive(english, day, "b.xlsx", unit_code=second).outcome is IntakeOutcome.ACCEPTED

    received = _deliver(day, mail_server)
    receipts = [m for m in received if "Xác nhận đã nhận" in str(m["Subject"])]
    assert len(receipts) == 2  # the unchanged list got none
    one, two = (_text(m) for m in receipts)
    assert "Danh sách đợt 1.xlsx" in one and "Hồ sơ mới: 2; hồ sơ cập nhật: 0" in one
    assert "1. Nguyễn Thị Hương – Chiến sĩ thi đua cơ sở (mới)" in one
    assert "2. Trần Văn Minh – Chiến sĩ thi đua cấp Bộ (mới)" in one
    with session_scope() as session:
        shas = session.exec(select(Submission.sha256).order_by(col(Submission.id))).all()
    assert f"Mã kiểm tra (SHA-256): {shas[0][:12]}" in one
    assert "Hồ sơ mới: 1; hồ sơ cập nhật: 1; hồ sơ rút khỏi danh sách: 1" in two
    assert "1. Nguyễn Thị Hương – Chiến sĩ thi đua cơ sở\n" in two
    assert "2. Lê Thị Mai – Chiến sĩ thi đua cơ sở (mới)" in two
    assert "16:00, " in one and "Kính gửi" in one
    # The English unit's receipt (its own portal upload gets one too), in English.
    [receipt_en] = [m for m in received if "Nomination list received" in str(m["Subject"])]
    text_en = _text(receipt_en)
    assert "Dear" in text_en and "1. Hồ Văn Tâm – Grassroots Emulation Fighter (new)" in text_en
    assert "New dossiers: 1; updated: 0; withdrawn from the list: 0" in text_en
    with session_scope() as session:
        submissions = session.exec(select(Submission.id).order_by(col(Submission.id))).all()
    assert [t for k, _u, t in _kinds() if k == EmailKind.RECEIPT] == list(submissions)
    # A second delivery finds nothing left to send.
    assert len(_deliver(day, mail_server)) == len(received)


def test_the_operators_intake_of_a_broken_list_tells_its_unit_where_the_errors_are(
    calling: Campaign, mail_server: MailboxServer, tmp_path: Path
) -> None:
    first = unit_codes()[0]
    day = calling.dispatch_on
    rows = [
        individual("Nguyễn Thị Hương", "CSTDCS", 1),
        person("Lê Thị Mai", date(2031, 5, 12), row_number=5),
        person("Đỗ Văn Nam", date(1890, 1, 1), row_number=6, gender="Nam"),
    ]
    data = list_bytes(tmp_path, first, rows, "bad.xlsx")
    with session_scope() as session:
        events_before = session.exec(select(func.count()).select_from(AuditEvent)).one()
    result = _receive(data, day, "Danh sách lỗi.xlsx")
    assert result.outcome is IntakeOutcome.REJECTED and result.unit == first
    assert len(result.errors) == 2
    # The same file again (a re-run of the batch) sends nothing new.
    assert _receive(data, day, "Danh sách lỗi.xlsx").outcome is IntakeOutcome.REJECTED
    # Nothing of the list is stored: one audit event says a letter went, and why.
    with session_scope() as session:
        assert session.exec(select(func.count()).select_from(Nomination)).one() == 0
        assert session.exec(select(func.count()).select_from(Submission)).one() == 0
        events = session.exec(select(AuditEvent).where(col(AuditEvent.id) > events_before)).all()
    assert [(e.action, e.details["errors"]) for e in events] == [("list_rejected", 2)]

    received = _deliver(day, mail_server)
    [letter] = [m for m in received if "chưa được tiếp nhận" in str(m["Subject"])]
    assert first.replace("_", "-") in str(letter["To"])
    text = _text(letter)
    assert "Danh sách lỗi.xlsx" in text and "Toàn bộ danh sách chưa được ghi nhận" in text
    assert '1. Sheet "Cá nhân", dòng 5, cột "Ngày sinh": ' in text
    assert '2. Sheet "Cá nhân", dòng 6, cột "Ngày sinh": ' in text
    assert result.errors[0].reason_vi in text
    assert "/nop/" in text  # the unit's link to send the corrected list
    html = letter.get_body(("html",))
    assert html is not None and "<td" in str(html.get_content())

    # Another broken file of the same unit is the unit's second letter (tier 2).
    worse = list_bytes(tmp_path, first, rows[1:2], "worse.xlsx")
    assert _receive(worse, day, "lan2.xlsx").outcome is IntakeOutcome.REJECTED
    assert [t for k, _u, t in _kinds() if k == EmailKind.LIST_REJECTED] == [1, 2]


def test_a_units_own_upload_of_a_broken_list_gets_no_letter(
    calling: Campaign, tmp_path: Path
) -> None:
    """The portal page shows the errors itself; a letter would say it twice."""
    first = unit_codes()[0]
    data = list_bytes(tmp_path, first, [person("Lê Thị Mai", date(2031, 5, 12))], "bad.xlsx")
    result = _receive(data, calling.dispatch_on, "bad.xlsx", unit_code=first)
    assert result.outcome is IntakeOutcome.REJECTED
    assert [k for k, _u, _t in _kinds() if k != EmailKind.CALL] == []


def test_the_english_unit_reads_its_errors_in_english(
    calling: Campaign, mail_server: MailboxServer, tmp_path: Path
) -> None:
    second = unit_codes()[1]
    _set_lang(second, Language.EN)
    data = list_bytes(tmp_path, second, [person("Lê Thị Mai", date(2031, 5, 12))], "bad.xlsx")
    result = _receive(data, calling.dispatch_on, "bad.xlsx")
    [letter] = [
        m for m in _deliver(calling.dispatch_on, mail_server) if "not accepted" in str(m["Subject"])
    ]
    text = _text(letter)
    assert "Dear" in text and "Kính gửi" not in text
    error = result.errors[0]
    where = f'1. Sheet "{error.sheet}", row {error.row}, column "{error.column}"'
    assert f"{where}: {error.reason_en}" in text


def test_review_tells_the_unit_why_a_dossier_is_not_eligible_and_on_what_basis(
    calling: Campaign, mail_server: MailboxServer, tmp_path: Path
) -> None:
    first, second = unit_codes()[:2]
    _set_lang(second, Language.EN)
    day = calling.dispatch_on
    frozen = person("Phạm Văn Kỷ", date(1980, 2, 3), row_number=5, under_discipline=True)
    lists = {
        first: [individual("Nguyễn Thị Hương", "CSTDCS", 1), frozen],
        second: [individual("Hồ Văn Tâm", "CSTDCS", 1)],
    }
    for code, rows in lists.items():
        data = list_bytes(tmp_path, code, rows, f"{code}.xlsx")
        assert _receive(data, day, f"{code}.xlsx").outcome is IntakeOutcome.ACCEPTED
    with session_scope() as session:
        ids = {n.full_name: n.id for n in session.exec(select(Nomination)).all()}
    rejected = ReviewDecision(
        nomination_id=ids["Hồ Văn Tâm"],
        action=ReviewAction.REJECT,
        reason="Thành tích trùng với hồ sơ đã được khen năm 2017",
    )
    review_day = calling.review_due
    with session_scope() as session:
        report = review_round(session, CODE, [rejected], at(review_day, 10), "Chuyên viên")
    assert report.ineligible == 2
    with session_scope() as session:
        report = review_round(session, CODE, [rejected], at(review_day, 11), "Chuyên viên")
    received = _deliver(review_day, mail_server)

    [vi] = [m for m in received if "không đủ điều kiện" in str(m["Subject"])]
    assert first.replace("_", "-") in str(vi["To"])
    text = _text(vi)
    assert "1. Phạm Văn Kỷ – đề nghị Chiến sĩ thi đua cơ sở" in text
    assert "Lý do: Không đề nghị khen thưởng khi đang bị xem xét kỷ luật" in text
    with session_scope() as session:
        [citation] = session.exec(
            select(ReviewFinding.citation).where(ReviewFinding.code == "frozen_nominee")
        ).all()
    assert FROZEN_CITATION in citation and f"Căn cứ: {citation}" in text
    assert "Nguyễn Thị Hương" not in text  # eligible: not in this letter
    [en] = [m for m in received if "not eligible" in str(m["Subject"])]
    text_en = _text(en)
    assert (
        "Dear" in text_en and "1. Hồ Văn Tâm – proposed for Grassroots Emulation Fighter" in text_en
    )
    assert "Reason: Thành tích trùng với hồ sơ đã được khen năm 2017" in text_en
    # One letter per unit and round: the second round moved nothing and queued nothing.
    kinds = [(k, u, t) for k, u, t in _kinds() if k == EmailKind.NOT_ELIGIBLE]
    assert sorted(kinds) == [
        (EmailKind.NOT_ELIGIBLE, first, 1),
        (EmailKind.NOT_ELIGIBLE, second, 1),
    ]
    with session_scope() as session:
        statuses = {n.full_name: n.status for n in session.exec(select(Nomination)).all()}
    assert statuses["Phạm Văn Kỷ"] == statuses["Hồ Văn Tâm"] == NominationStatus.INELIGIBLE
