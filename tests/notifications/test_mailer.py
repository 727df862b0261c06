"""The mailer against a real aiosmtpd server: one connection, clean headers, honest outcomes."""

from __future__ import annotations

import base64
import logging
import unicodedata
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest

from models.settings import Settings
from notifications.addresses import mailbox
from notifications.mailer import DeliveryOutcome, Mailer, OutgoingEmail
from notifications.render import render_email
from notifications.smtp_server import (
    ARRIVAL_HEADER,
    ENVELOPE_FROM_HEADER,
    ENVELOPE_TO_HEADER,
    MailboxServer,
    free_port,
    read_mailbox,
)

PASSWORD = "s3cr3t-pw"
SERVER_HEADERS = {ENVELOPE_FROM_HEADER, ENVELOPE_TO_HEADER, ARRIVAL_HEADER}


def _message(to: list[str], cc: list[str] | None = None, **fields: Any) -> OutgoingEmail:
    values: dict[str, Any] = {
        "to": to,
        "cc": cc or [],
        "subject": "Nhắc hạn gửi hồ sơ – Cục Viễn thông",
        "text": "Kính gửi: chị Hoa\nDòng thứ hai.\n",
        "html": "<p>Kính gửi: <strong>chị Hoa</strong></p>",
        "message_id": make_msgid(domain="example.gov.vn"),
    }
    values.update(fields)
    return OutgoingEmail(**values)


def _plain(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def _html(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def test_fifty_messages_over_one_connection(
    smtp_server: Callable[..., MailboxServer],
    make_settings: Callable[..., Settings],
    sample_context: dict[str, Any],
) -> None:
    server = smtp_server()
    settings = make_settings(server.port)
    names = [f"Nguyễn Thị Hoa {i}" for i in range(50)]
    rendered = render_email("reminder", sample_context)
    with Mailer(settings) as mailer:
        results = [
            mailer.send(
                _message(
                    [mailbox(name, f"dau-moi-{i}@donvi.example.vn")],
                    [mailbox("Trần Văn Bình", "thu-truong@donvi.example.vn")],
                    subject=rendered.subject,
                    text=rendered.text,
                    html=rendered.html,
                )
            )
            for i, name in enumerate(names)
        ]
        assert mailer.connections_opened == 1
    assert {r.outcome for r in results} == {DeliveryOutcome.SENT}
    assert results[0].recipient_results == {
        "dau-moi-0@donvi.example.vn": "accepted",
        "thu-truong@donvi.example.vn": "accepted",
    }
    assert server.connections == 1
    received = read_mailbox(server.mailbox_dir)
    assert len(received) == 50
    assert len({m["Message-ID"] for m in received}) == 50
    for i, message in enumerate(received):  # arrival order is sending order
        assert message["To"].addresses[0].display_name == names[i]
        assert message["Cc"].addresses[0].display_name == "Trần Văn Bình"
        assert message["From"].addresses[0].display_name == "Vụ Thi đua - Khen thưởng"
        assert message["From"].addresses[0].addr_spec == "thidua@example.gov.vn"
        assert message[ENVELOPE_TO_HEADER] == (
            f"dau-moi-{i}@donvi.example.vn, thu-truong@donvi.example.vn"
        )
    first = received[0]
    assert first["Subject"] == rendered.subject
    assert _plain(first) == rendered.text  # newlines intact, no <br> in the text part
    assert _html(first) == rendered.html
    assert first["Auto-Submitted"] == "auto-generated"


def test_vietnamese_arrives_nfc(
    smtp_server: Callable[..., MailboxServer],
    make_settings: Callable[..., Settings],
    sample_context: dict[str, Any],
) -> None:
    server = smtp_server()
    sample_context["unit_name"] = unicodedata.normalize(
        "NFD", "Sở Thông tin và Truyền thông Hà Tĩnh"
    )
    rendered = render_email("overdue", sample_context)
    with Mailer(make_settings(server.port)) as mailer:
        outcome = mailer.send(
            _message(
                [mailbox(unicodedata.normalize("NFD", "Đặng Thị Ngọc Ánh"), "anh@stttt.vn")],
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
            )
        ).outcome
    assert outcome is DeliveryOutcome.SENT
    (message,) = read_mailbox(server.mailbox_dir)
    subject, text, html = str(message["Subject"]), _plain(message), _html(message)
    display_name = message["To"].addresses[0].display_name
    for value in (subject, text, html, display_name):
        assert unicodedata.is_normalized("NFC", value)
    assert "Sở Thông tin và Truyền thông Hà Tĩnh" in subject
    assert "Sở Thông tin và Truyền thông Hà Tĩnh" in text
    assert display_name == "Đặng Thị Ngọc Ánh"
    assert "Kính gửi" in text and "Thứ Sáu, ngày 08/3/2019" in text


@pytest.mark.parametrize(
    "hostile",
    [
        "Cục A\r\nBcc: evil@example.com",
        "Cục A\n\nX-Injected: yes\n\nnew body",
        "Cục A\rX-Injected: yes",
    ],
)
def test_no_header_injection(
    hostile: str,
    smtp_server: Callable[..., MailboxServer],
    make_settings: Callable[..., Settings],
    sample_context: dict[str, Any],
) -> None:
    server = smtp_server()
    sample_context["unit_name"] = hostile
    rendered = render_email("reminder", sample_context)
    with Mailer(make_settings(server.port)) as mailer:
        # Through the templates, and straight into the mailer with a raw hostile subject.
        for subject in (rendered.subject, f"Nhắc hạn {hostile}"):
            result = mailer.send(
                _message(
                    [mailbox(hostile, "dau-moi@cuc-a.vn")],
                    subject=subject,
                    text=rendered.text,
                    html=rendered.html,
                )
            )
            assert result.outcome is DeliveryOutcome.SENT
    for message in read_mailbox(server.mailbox_dir):
        names = {name.lower() for name in message} - {h.lower() for h in SERVER_HEADERS}
        assert names == {
            "content-type",
            "mime-version",
            "date",
            "auto-submitted",
            "subject",
            "from",
            "to",
            "message-id",
        }
        assert message[ENVELOPE_TO_HEADER] == "dau-moi@cuc-a.vn"  # nobody added by Bcc
        assert "\n" not in str(message["Subject"])
        assert "X-Injected: yes" in str(message["Subject"]) or "Bcc:" in str(message["Subject"])
        assert message.is_multipart()
        assert _plain(message) == rendered.text  # the body is intact, hostile text and all


def test_one_refused_recipient_of_two_is_partial(
    smtp_server: Callable[..., MailboxServer], make_settings: Callable[..., Settings]
) -> None:
    server = smtp_server(fail_rcpt={"gone@donvi.vn": "550 5.1.1 Mailbox unavailable"})
    with Mailer(make_settings(server.port)) as mailer:
        result = mailer.send(
            _message([mailbox("Hoa", "hoa@donvi.vn")], [mailbox("Cũ", "gone@donvi.vn")])
        )
    assert result.outcome is DeliveryOutcome.PARTIAL
    assert result.recipient_results == {
        "hoa@donvi.vn": "accepted",
        "gone@donvi.vn": "refused: 550 5.1.1 Mailbox unavailable",
    }
    assert len(read_mailbox(server.mailbox_dir)) == 1


def test_all_recipients_refused(
    smtp_server: Callable[..., MailboxServer], make_settings: Callable[..., Settings]
) -> None:
    server = smtp_server(
        fail_rcpt={
            "a@donvi.vn": "550 5.1.1 No such user",
            "b@donvi.vn": "553 5.1.3 Bad address",
            "c@donvi.vn": "450 4.2.1 Mailbox busy",
        }
    )
    with Mailer(make_settings(server.port)) as mailer:
        permanent = mailer.send(_message(["a@donvi.vn"], ["b@donvi.vn"]))
        transient = mailer.send(_message(["a@donvi.vn"], ["c@donvi.vn"]))
        after = mailer.send(_message(["ok@donvi.vn"]))  # the connection is still good
    assert permanent.outcome is DeliveryOutcome.PERMANENT
    assert permanent.recipient_results == {
        "a@donvi.vn": "refused: 550 5.1.1 No such user",
        "b@donvi.vn": "refused: 553 5.1.3 Bad address",
    }
    assert transient.outcome is DeliveryOutcome.TRANSIENT  # one 4xx: worth trying again
    assert after.outcome is DeliveryOutcome.SENT
    assert server.connections == 1


def test_data_451_then_accepted(
    smtp_server: Callable[..., MailboxServer], make_settings: Callable[..., Settings]
) -> None:
    server = smtp_server(fail_data_times=1)
    with Mailer(make_settings(server.port)) as mailer:
        first = mailer.send(_message(["hoa@donvi.vn"]))
        second = mailer.send(_message(["hoa@donvi.vn"]))
    assert first.outcome is DeliveryOutcome.TRANSIENT
    assert first.error is not None and "451" in first.error
    assert first.recipient_results == {
        "hoa@donvi.vn": "refused: 451 4.3.0 Temporary failure, try again later"
    }
    assert second.outcome is DeliveryOutcome.SENT
    assert server.connections == 1


def test_data_550_is_permanent(
    smtp_server: Callable[..., MailboxServer], make_settings: Callable[..., Settings]
) -> None:
    server = smtp_server(fail_data_times=1, fail_code="550 5.7.1 Message rejected as spam")
    with Mailer(make_settings(server.port)) as mailer:
        result = mailer.send(_message(["hoa@donvi.vn"]))
    assert result.outcome is DeliveryOutcome.PERMANENT
    assert result.error == "SMTPDataError: 550 5.7.1 Message rejected as spam"


def test_invalid_address_is_permanent_without_touching_the_wire(
    smtp_server: Callable[..., MailboxServer], make_settings: Callable[..., Settings]
) -> None:
    server = smtp_server()
    with Mailer(make_settings(server.port)) as mailer:
        result = mailer.send(_message(["khong-phai-email"]))
    assert result.outcome is DeliveryOutcome.PERMANENT
    assert result.error is not None and "khong-phai-email" in result.error
    assert server.received == 0


def test_server_down_is_transient_and_reconnects_later(
    tmp_path: Any, make_settings: Callable[..., Settings]
) -> None:
    port = free_port()
    with Mailer(make_settings(port)) as mailer:
        down = mailer.send(_message(["hoa@donvi.vn"]))
        assert down.outcome is DeliveryOutcome.TRANSIENT
        assert not down.reached_server
        assert down.error is not None and "ConnectionRefusedError" in down.error
        with MailboxServer(tmp_path / "mb", port=port) as server:
            up = mailer.send(_message(["hoa@donvi.vn"]))  # lazily reconnects
            assert up.outcome is DeliveryOutcome.SENT
            assert server.received == 1


def test_password_never_leaks(
    smtp_server: Callable[..., MailboxServer],
    make_settings: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("TONVINH_SMTP_PASSWORD", PASSWORD)
    monkeypatch.setenv("TONVINH_SMTP_USER", "thidua")
    good = smtp_server(auth=("thidua", PASSWORD))
    wrong = smtp_server(auth=("thidua", "another-pw"))
    seen: list[str] = []
    for server in (good, wrong):
        settings = Settings(smtp_port=server.port, smtp_tls="none")
        assert settings.smtp_password.get_secret_value() == PASSWORD
        with Mailer(settings) as mailer:
            result = mailer.send(_message(["hoa@donvi.vn"], ["gone@donvi.vn"]))
            seen += [repr(result), str(result.error), repr(vars(mailer))]
    assert (good.logins, good.received) == (1, 1)
    assert (wrong.logins, wrong.received) == (0, 0)
    assert "535" in seen[-2]  # the refusal is reported ...
    text = "\n".join([*seen, caplog.text])
    assert PASSWORD not in text  # ... without the password, typed or base64
    for secret in (PASSWORD, f"\0thidua\0{PASSWORD}"):
        assert base64.b64encode(secret.encode()).decode() not in text


def test_redact_scrubs_every_form() -> None:
    mailer = Mailer(Settings(smtp_user="thidua", smtp_password=PASSWORD))
    plain = base64.b64encode(f"\0thidua\0{PASSWORD}".encode()).decode()
    assert mailer.redact(f"x {PASSWORD} y {plain} z") == "x *** y *** z"


@pytest.mark.parametrize(
    "subject",
    [
        "Nhắc việc lần 2: Sở Giao thông vận tải tỉnh Thừa Thiên Huế — hạn nộp hồ sơ thi đua "
        "khen thưởng năm 2027 còn 2 ngày làm việc, đề nghị đơn vị khẩn trương hoàn thiện",
        "Plain ASCII subject",
        "An ASCII subject quoting =?utf-8?b?SGk=?= literally",
        "Ở" * 200,  # every word boundary falls inside a three-byte character
    ],
)
def test_built_headers_read_back_exactly_and_stay_short(
    make_settings: Callable[..., Settings], subject: str
) -> None:
    """What a mail client shows is what was rendered: names and subject decode to the same
    text, and the subject is folded within RFC 5322's recommended 78 characters a line."""
    from email import message_from_bytes
    from email.policy import default

    name = "Ban Tổ chức cán bộ, Văn phòng Bộ Giao thông vận tải (đầu mối thi đua)"
    message = _message(
        [mailbox(name, "dau-moi@donvi.example.vn")],
        [mailbox("Trần Văn Bình", "thu-truong@donvi.example.vn")],
        subject=subject,
    )
    built = Mailer(make_settings(free_port())).build(message)
    header_block = built.decode("ascii").split("\r\n\r\n", 1)[0]
    subject_lines = header_block.split("\r\nDate: ")[0].split("Subject: ")[1].splitlines()
    assert max(len("Subject: ") + len(line) for line in subject_lines) <= 78
    parsed = message_from_bytes(built, policy=default)
    assert parsed["Subject"] == subject
    assert parsed["To"].addresses[0].display_name == name
    assert parsed["Cc"].addresses[0].display_name == "Trần Văn Bình"
    assert parsed.get_body(("plain",)).get_content() == message.text
    assert parsed.get_body(("html",)).get_content() == message.html
