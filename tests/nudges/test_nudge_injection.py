"""Hostile unit data cannot add a header or a recipient, and the letter still says it all."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from flows.remind import send_reminders
from models.access import LINK_PLACEHOLDER
from notifications.attachments import MIME_TYPES
from notifications.smtp_server import ARRIVAL_HEADER, ENVELOPE_FROM_HEADER, ENVELOPE_TO_HEADER
from tests.nudges.support import (
    CODE,
    DEADLINE_VI,
    DEPARTMENT_HEAD,
    Called,
    UnitSpec,
    addresses,
    at,
    envelope_to,
    expected_recipients,
    kind_of,
    outbox_rows,
    plain,
)

ATTACKER = "attacker@example.com"
CRLF = UnitSpec(
    "cuc_hq",
    f"Cục Hải quan\r\nBcc: {ATTACKER}",
    f"Lê Văn Tám\r\nBcc: {ATTACKER}",
    "thidua@cuc-hq.example.gov.vn",
    "Đỗ Thị Lan",
    "lanhdao@cuc-hq.example.gov.vn",
)
BLANK_LINE = UnitSpec(
    "tt_dl",
    "Trung tâm Dữ liệu\n\nX-Injected: yes\n\nNội dung giả mạo",
    "Phan Minh Châu",
    "thidua@tt-dl.example.gov.vn",
    "Vũ Quốc Hưng",
    "lanhdao@tt-dl.example.gov.vn",
)
# What the subject shows instead: each run of line breaks became one space.
SHOWN = {
    CRLF.code: f"Cục Hải quan Bcc: {ATTACKER}",
    BLANK_LINE.code: "Trung tâm Dữ liệu X-Injected: yes Nội dung giả mạo",
}
HEADERS = {
    "content-type",
    "mime-version",
    "date",
    "auto-submitted",
    "subject",
    "from",
    "to",
    "cc",
    "message-id",
}
SERVER_HEADERS = {h.lower() for h in (ENVELOPE_FROM_HEADER, ENVELOPE_TO_HEADER, ARRIVAL_HEADER)}


def test_hostile_unit_names_add_no_header_and_no_recipient(
    call_campaign: Callable[..., Called],
) -> None:
    called = call_campaign(CRLF, BLANK_LINE)  # the calls already went through the same path
    send_reminders(CODE, now=at(date(2027, 1, 27), 8))  # reminder: To the focal contact
    send_reminders(CODE, now=at(date(2027, 2, 17), 8))  # escalation: To + two Cc

    received = called.inbox.all()
    rows = {r.message_id: r for r in outbox_rows()}
    assert sorted(kind_of(m) for m in received) == sorted(
        ["call", "reminder", "escalation_department"] * 2
    )
    for message in received:
        names = {name.lower() for name in message} - SERVER_HEADERS
        # All our headers and nothing else: a blank line smuggled into a header would have
        # cut the header block short (and turned the rest into body).
        assert HEADERS - {"cc"} <= names <= HEADERS, names
        # A text and an HTML part; the call also carries the unit's own list.
        assert [p.get_content_type() for p in message.walk() if not p.is_multipart()] == [
            "text/plain",
            "text/html",
            *([MIME_TYPES[".xlsx"]] if kind_of(message) == "call" else []),
        ]
        assert message["Bcc"] is None and message["X-Injected"] is None
        subject = str(message["Subject"])
        assert "\n" not in subject and "\r" not in subject
        [unit] = [u for u in (CRLF, BLANK_LINE) if SHOWN[u.code] in subject]

        # Nobody was added: the envelope holds exactly the unit's people for this kind.
        kind = kind_of(message)
        to, cc = expected_recipients(kind, unit)
        assert addresses(message, "To") == to and addresses(message, "Cc") == cc
        assert sorted(envelope_to(message)) == sorted(to + cc)
        assert ATTACKER not in envelope_to(message)
        if unit is CRLF and kind != "escalation_department":
            assert message["To"].addresses[0].display_name == f"Lê Văn Tám Bcc: {ATTACKER}"
        if kind == "escalation_department":
            assert to == [DEPARTMENT_HEAD]

        # The body is intact: exactly what was rendered, hostile text and all.
        row = rows[str(message["Message-ID"])]
        body = plain(message)
        # The unit's link is minted at delivery: the stored copy keeps it redacted.
        stored = re.sub(r"/nop/[A-Za-z0-9_-]{43}", f"/nop/{LINK_PLACEHOLDER}", body)
        assert stored == row.text_body  # byte for byte, CR LF included (the part is base64)
        assert unit.name in body
        if kind != "call":
            assert DEADLINE_VI in body
