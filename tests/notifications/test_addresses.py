"""Mailbox strings: Vietnamese names survive RFC 2047, hostile names cannot inject headers."""

from __future__ import annotations

import email.policy
from email import message_from_string

import pytest

from notifications.addresses import InvalidAddress, mailbox, normalise_address, parse_mailbox


def _parsed_to(value: str) -> tuple[str, str]:
    """How a receiving client reads the value as a To header."""
    message = message_from_string(f"To: {value}\n\nbody\n", policy=email.policy.default)
    address = message["To"].addresses[0]
    return address.display_name, address.addr_spec


@pytest.mark.parametrize(
    "name",
    [
        "Nguyễn Thị Hoa",
        "Trần Văn Đức",
        "Vụ Thi đua - Khen thưởng",
        'Lê, Văn "Tư" (Phó Vụ trưởng)',
        "Plain Ascii",
    ],
)
def test_vietnamese_names_round_trip(name: str) -> None:
    value = mailbox(name, "hoa@cvt.example.gov.vn")
    assert value.isascii()
    assert _parsed_to(value) == (name, "hoa@cvt.example.gov.vn")


def test_name_is_nfc_and_cannot_break_the_header() -> None:
    value = mailbox("Nguye\u0302\u0303n\r\nBcc: evil@example.com", "a@example.vn")
    assert "\n" not in value and "\r" not in value
    name, address = _parsed_to(value)
    assert name == "Nguyễn Bcc: evil@example.com"
    assert address == "a@example.vn"


def test_empty_name_gives_bare_address() -> None:
    assert mailbox("", "a@example.vn") == "a@example.vn"


@pytest.mark.parametrize(
    "bad", ["", "khong-co-a-cong", "a@", "@b.vn", "a b@c.vn", "a@b@c.vn", "nguyễn@example.vn"]
)
def test_invalid_address_is_refused_in_vietnamese_first(bad: str) -> None:
    with pytest.raises(InvalidAddress) as caught:
        mailbox("Ai đó", bad)
    text = str(caught.value)
    assert text.startswith("Địa chỉ email không hợp lệ")
    assert "Invalid email address" in text
    assert repr(bad) in text
    assert caught.value.address == bad
    assert isinstance(caught.value, ValueError)


def test_international_domain_is_sent_as_punycode() -> None:
    assert normalise_address("thidua@bộ.vn") == "thidua@xn--b-8xm.vn"


def test_parse_mailbox_reads_what_mailbox_wrote() -> None:
    assert parse_mailbox(mailbox("Phạm Thu Hà", "Ha@Example.VN"))[1] == "Ha@example.vn"
    with pytest.raises(InvalidAddress):
        parse_mailbox("a@example.vn, b@example.vn")
    with pytest.raises(InvalidAddress):
        parse_mailbox("not an address")
