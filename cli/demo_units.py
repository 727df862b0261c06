"""The demo's units answer through the portal, as their focal people would.

Each takes its link from the latest email the department sent it (read from the Maildir the
local SMTP server writes), opens its page, downloads its own list, fills it in and uploads it
over HTTP to the running portal; the portal validates it with the same service as the
operator's intake. A unit whose list is refused reads the error table on the page; a unit that
has nobody to propose says so ("không đề nghị").
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import getaddresses
from pathlib import Path

import httpx
from openpyxl import load_workbook

from documents.nomination_list import AwardChoice, fill_list
from models import clock
from models.nomination import NominationCreate
from notifications.smtp_server import plain_text, read_mailbox

LINK = re.compile(r"https?://[^\s\"'<>]+/nop/[A-Za-z0-9_-]+")
CSRF_FIELD = re.compile(r'name="csrf" value="([0-9a-f]+)"')
UPLOAD_FORM = 'action="nop-danh-sach"'
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def latest_links(mailbox: Path, link: re.Pattern[str] = LINK) -> dict[str, str]:
    """Each recipient's ``link`` (a unit's by default) from the latest email that carried one
    (address → link)."""
    links: dict[str, str] = {}
    for message in read_mailbox(mailbox):  # arrival order: later emails overwrite
        found = link.search(plain_text(message))
        if found is None:
            continue
        for _name, address in getaddresses([str(message["To"] or "")]):
            links[address.lower()] = found.group(0)
    return links


class PortalRefused(RuntimeError):
    """The portal said no where the demo expected a yes (a bug in the demo or the portal)."""


@dataclass
class PortalTally:
    """What the units did on the portal, for the demo's summary."""

    uploads: int = 0  # lists the portal accepted (received, or unchanged)
    rejections: int = 0  # lists refused with an error table (nothing stored)
    closed: int = 0  # a late unit found the list closed and asked for an extension
    nil_returns: int = 0
    refused_pages: list[str] = field(default_factory=list)


class FocalPerson:
    """A unit's focal person with a browser: one cookie jar, following the emailed link."""

    def __init__(self, link: str) -> None:
        self.page = link + "/"
        self.client = httpx.Client(timeout=60, follow_redirects=True)

    def __enter__(self) -> FocalPerson:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.client.close()

    def open_page(self) -> str:
        response = self.client.get(self.page)
        if response.status_code != 200:
            raise PortalRefused(f"the unit's page answered {response.status_code}")
        return response.text

    def _csrf(self) -> str:
        match = CSRF_FIELD.search(self.open_page())
        if match is None:
            raise PortalRefused("the unit's page has no form")
        return match.group(1)

    def download_list(self) -> bytes:
        response = self.client.get(self.page + "danh-sach.xlsx")
        if response.status_code != 200 or not response.content.startswith(b"PK"):
            raise PortalRefused(f"the list download answered {response.status_code}")
        return response.content

    def upload(self, data: bytes, file_name: str) -> httpx.Response:
        return self.client.post(
            self.page + "nop-danh-sach",
            data={"csrf": self._csrf()},
            files={"file": (file_name, data, XLSX)},
        )

    def nil_return(self, name: str) -> httpx.Response:
        return self.client.post(
            self.page + "khong-de-nghi",
            data={"csrf": self._csrf(), "confirm": "yes", "name": name},
        )


def send_list(
    link: str,
    awards: Sequence[AwardChoice],
    rows: Sequence[NominationCreate],
    kept: Path,
    tally: PortalTally,
    spoil: bool = False,
) -> str:
    """Download the unit's list, fill it, upload it (a copy kept at ``kept`` for the user to
    open); "accepted", "rejected" or "closed"."""
    with FocalPerson(link) as person:
        if UPLOAD_FORM not in person.open_page():  # the page says the list is closed
            tally.closed += 1
            return "closed"
        filled = fill_list(person.download_list(), awards, rows)
        sent = spoil_list(filled) if spoil else filled
        kept.write_bytes(sent)
        response = person.upload(sent, kept.name)
    if response.status_code == 200:
        tally.uploads += 1
        return "accepted"
    if response.status_code == 422 and 'id="h-errors"' in response.text:  # the error table
        tally.rejections += 1
        return "rejected"
    raise PortalRefused(f"the upload answered {response.status_code}")


def say_no_nominations(link: str, name: str, tally: PortalTally) -> None:
    with FocalPerson(link) as person:
        response = person.nil_return(name)
    if response.status_code != 200 or 'id="h-nil"' not in response.text:
        raise PortalRefused(f"the nil return answered {response.status_code}")
    tally.nil_returns += 1


def spoil_list(data: bytes) -> bytes:
    """What a hurried unit does in Excel: types a date as text and invents a title."""
    book = load_workbook(io.BytesIO(data))
    sheet = book["Cá nhân"]
    sheet.cell(row=4, column=4).value = "12/05/1980"
    sheet.cell(row=4, column=11).value = "Chiến sĩ thi đua xuất sắc"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def play_in_order(events: list[tuple[datetime, Callable[[], object]]]) -> None:
    """Each of the demo's people and the department act at their moment, in time order, with
    the clock (the portal's too: it runs in this process) set to that moment."""
    for moment, event in sorted(events, key=lambda event: event[0]):
        clock.set_now(moment)
        try:
            event()
        finally:
            clock.set_now(None)
