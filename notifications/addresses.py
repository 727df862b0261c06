"""Mailbox strings ("Name <addr>") that survive Vietnamese names and hostile input."""

from __future__ import annotations

from email.utils import formataddr, getaddresses
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

from notifications.render import clean_header, nfc


class InvalidAddress(ValueError):
    """An address the system refuses to send to; the message names it, Vietnamese first."""

    def __init__(self, address: str, reason: str = "") -> None:
        self.address = address
        detail = f" ({reason})" if reason else ""
        super().__init__(
            f"Địa chỉ email không hợp lệ: {address!r}{detail} / "
            f"Invalid email address: {address!r}{detail}"
        )


# A pure function of its argument, checked when a nudge is queued and again when it is sent
# (often in the same process): remember a national campaign's worth of addresses.
@lru_cache(maxsize=65_536)
def normalise_address(email: str) -> str:
    """The ASCII form of a valid address (punycode domain), or ``InvalidAddress``.

    We send plain ASCII messages without SMTPUTF8, so a non-ASCII local part is refused here,
    at the boundary, instead of by some server three weeks into the campaign.
    """
    candidate = email.strip()
    try:
        checked = validate_email(candidate, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise InvalidAddress(email, str(exc)) from None
    return checked.ascii_email or checked.normalized


def mailbox(name: str, email: str) -> str:
    """``formataddr`` of a cleaned NFC display name and a validated address.

    ``formataddr`` encodes a non-ASCII name as an RFC 2047 encoded word, which every client
    decodes back to the exact Vietnamese name.
    """
    return formataddr((clean_header(nfc(name)), normalise_address(email)))


def parse_mailbox(value: str) -> tuple[str, str]:
    """(display name, normalised address) of one mailbox string, or ``InvalidAddress``.

    Used on stored outbox recipients, so a row written by an older version or by hand is
    validated again before anything goes on the wire.
    """
    parsed = getaddresses([clean_header(value)])
    if len(parsed) != 1 or not parsed[0][1]:
        raise InvalidAddress(value, "not exactly one mailbox / không phải đúng một địa chỉ")
    name, address = parsed[0]
    return name, normalise_address(address)
