"""The demo's council: members imported, convened, each member voting through the ballot page
of a portal running in this process (``portal.embedded``), one absent member's paper ballot
entered by the secretary, and the secretary's close with its minutes.

Each simulated member does what a person would: opens their convocation email in the Maildir,
follows the ballot link, reads the form's hidden fields and sends agree/disagree over HTTP.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

BALLOT_LINK = re.compile(r"(https?://[^\s\"'<>]+/phieu/[A-Za-z0-9_-]+)")
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')
_SEED = re.compile(r'name="seed" value="([^"]+)"')
_CHOICE = re.compile(r'name="(d-\d+)" value="1"')


def _plain(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return str(part.get_content()) if part is not None else ""


def ballot_links(messages: list[EmailMessage]) -> dict[str, str]:
    """Each member's ballot link (by email address) from the latest email carrying one."""
    found: dict[str, str] = {}
    for message in messages:
        match = BALLOT_LINK.search(_plain(message))
        if match:
            address = str(message["To"]).rsplit("<", 1)[-1].rstrip(">").strip()
            found[address] = match.group(1)
    return found


def ballot_form(page_html: str) -> tuple[str, str, list[str]]:
    """(csrf, seed, the choice field names) of a ballot page's form."""
    csrf, seed = _CSRF.search(page_html), _SEED.search(page_html)
    if csrf is None or seed is None:
        raise ValueError("the page holds no open ballot form")
    return csrf.group(1), seed.group(1), _CHOICE.findall(page_html)


RECEIPT = re.compile(r'id="receipt">([A-Z0-9-]+)<')


def receipt_in(page_html: str) -> str:
    match = RECEIPT.search(page_html)
    return match.group(1) if match else ""


__all__ = ["Path", "ballot_form", "ballot_links", "receipt_in"]
