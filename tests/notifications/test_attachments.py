"""Attachments: the file the recipient opens, its type and Vietnamese name read back from a real
SMTP server; a file that is gone fails its own message, never the run."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlmodel import Session, select

from models.outbox import OutboxMessage, OutboxStatus
from models.settings import Settings
from notifications.addresses import mailbox
from notifications.attachments import MIME_TYPES, MailAttachment
from notifications.mailer import DeliveryOutcome, Mailer, OutgoingEmail
from notifications.outbox import OutboxItem, deliver_pending, enqueue_many, key_for
from notifications.render import RenderedEmail
from notifications.smtp_server import MailboxServer, read_mailbox

XLSX = MIME_TYPES[".xlsx"]
NAME_VI = "Danh sách đề nghị khen thưởng – Cục Viễn thông (năm 2018).xlsx"


def _workbook(path: Path, marker: str) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Cá nhân"
    sheet["A1"] = marker
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _message(**fields: Any) -> OutgoingEmail:
    values: dict[str, Any] = {
        "to": [mailbox("Nguyễn Thị Hoa", "dau-moi@cvt.example.gov.vn")],
        "cc": [],
        "subject": "Công văn đề nghị lựa chọn, đề xuất khen thưởng – Cục Viễn thông",
        "text": "Kính gửi: chị Hoa\n",
        "html": "<p>Kính gửi: <strong>chị Hoa</strong></p>",
        "message_id": make_msgid(domain="example.gov.vn"),
    }
    values.update(fields)
    return OutgoingEmail(**values)


def test_an_attachment_arrives_whole_with_its_type_and_vietnamese_name(
    smtp_server: Callable[..., MailboxServer],
    make_settings: Callable[..., Settings],
    tmp_path: Path,
) -> None:
    server = smtp_server()
    settings = make_settings(server.port, var_dir=tmp_path / "var")
    _workbook(settings.output_dir / "tdkt-2018" / "templates" / "a.xlsx", "Danh sách của CVT")
    attachment = MailAttachment("tdkt-2018/templates/a.xlsx", NAME_VI)
    with Mailer(settings) as mailer:
        result = mailer.send(_message(attachments=(attachment,)))
    assert result.outcome is DeliveryOutcome.SENT
    [received] = read_mailbox(server.mailbox_dir)
    assert received.get_content_type() == "multipart/mixed"
    # The letter itself is untouched: text and HTML alternatives, then the file.
    assert "Kính gửi: chị Hoa" in received.get_body(("plain",)).get_content()
    [part] = list(received.iter_attachments())
    assert part.get_content_type() == XLSX
    assert part.get_content_disposition() == "attachment"
    assert part.get_filename() == NAME_VI
    book = openpyxl.load_workbook(io.BytesIO(part.get_content()))
    assert book["Cá nhân"]["A1"].value == "Danh sách của CVT"
    # The part's header lines stay within RFC 5322's 78 characters, encoded name included.
    built = Mailer(settings).build(_message(attachments=(attachment,))).decode("ascii")
    part_head = built.split("Content-Disposition: attachment", 1)[0].rsplit("\r\n--", 1)[1]
    disposition = built.split("Content-Disposition: ", 1)[1].split("\r\n\r\n", 1)[0]
    assert "filename*0*=utf-8''" in disposition
    assert max(len(line) for line in (part_head + disposition).splitlines()) <= 78


def test_a_message_without_attachments_is_built_as_before(
    make_settings: Callable[..., Settings],
) -> None:
    built = Mailer(make_settings(25)).build(_message()).decode()
    assert "multipart/alternative" in built and "multipart/mixed" not in built


def test_an_ascii_name_travels_as_typed(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(25, var_dir=tmp_path / "var")
    _workbook(settings.output_dir / "t.xlsx", "x")
    built = Mailer(settings).build(
        _message(attachments=(MailAttachment("t.xlsx", "tdkt-2018_CVT.xlsx"),))
    )
    assert b'filename="tdkt-2018_CVT.xlsx"' in built


@pytest.mark.parametrize("path", ["missing.xlsx", "../outside.xlsx", "/etc/hostname", ""])
def test_a_file_that_cannot_be_read_fails_that_message_clearly(
    smtp_server: Callable[..., MailboxServer],
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    path: str,
) -> None:
    server = smtp_server()
    settings = make_settings(server.port, var_dir=tmp_path / "var")
    (tmp_path / "outside.xlsx").write_bytes(b"not yours")
    with Mailer(settings) as mailer:
        result = mailer.send(_message(attachments=(MailAttachment(path, "a.xlsx"),)))
        assert mailer.send(_message()).outcome is DeliveryOutcome.SENT  # the connection lives on
    assert result.outcome is DeliveryOutcome.PERMANENT
    assert result.error and "tệp đính kèm" in result.error and "attachment" in result.error
    assert len(read_mailbox(server.mailbox_dir)) == 1


def test_the_outbox_keeps_attachments_and_a_missing_file_fails_only_its_row(
    session: Session,
    smtp_server: Callable[..., MailboxServer],
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    t0: datetime,
) -> None:
    server = smtp_server()
    settings = make_settings(server.port, var_dir=tmp_path / "var")
    _workbook(settings.output_dir / "c" / "templates" / "u1.xlsx", "u1")
    rendered = RenderedEmail("Công văn – Cục Viễn thông", "Kính gửi\n", "<p>Kính gửi</p>")
    to = [mailbox("Nguyễn Thị Hoa", "hoa@cvt.example.gov.vn")]
    items = [
        OutboxItem(key_for(None, 1, "call", 0), "call", 0, to, [], rendered,
                   attachments=(MailAttachment("c/templates/u1.xlsx", "u1.xlsx"),)),
        OutboxItem(key_for(None, 2, "call", 0), "call", 0, to, [], rendered,
                   attachments=(MailAttachment("c/templates/u2.xlsx", "u2.xlsx"),)),
        OutboxItem(key_for(None, 3, "reminder", 1), "reminder", 1, to, [], rendered),
    ]  # fmt: skip
    enqueue_many(session, items, t0)
    session.commit()
    rows = {r.idempotency_key: r for r in session.exec(select(OutboxMessage)).all()}
    assert rows[items[0].key].attachments == [{"path": "c/templates/u1.xlsx", "name": "u1.xlsx"}]
    assert rows[items[2].key].attachments is None  # no attachment: the column stays NULL

    report = deliver_pending(t0, settings)

    assert (report.sent, report.failed) == (2, 1)
    session.expire_all()
    failed = session.exec(
        select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
    ).one()
    assert failed.idempotency_key == items[1].key
    assert failed.last_error and "c/templates/u2.xlsx" in failed.last_error
    names = sorted(
        part.get_filename() or ""
        for message in read_mailbox(server.mailbox_dir)
        for part in message.iter_attachments()
    )
    assert names == ["u1.xlsx"]
