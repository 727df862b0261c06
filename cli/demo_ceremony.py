"""The demo's commendation conference: the signed decision's honourees and the sample guest list
invited, and the invitees answering through the portal as people would.

The sample guest list (``deploy/guests/khach-moi-hoi-nghi.csv``: the ministry's leaders, four
units' heads, the press, a guest) is imported and everyone invited on the signing day; each
invitee takes their link from the invitation in the Maildir and answers over HTTP at the running
portal that evening or the next day: most attend, a few decline, one sends a named deputy, and a
few never answer — reminded the day before the cut-off, and on the cut-off day their unit's
focal person is told. The attendee list, the seating list and the certificates are among the
outputs, and the conference's artifact shows the answers per delegation.

Call ``run_ceremony_demo`` inside ``running_portal()`` with ``TONVINH_SUBMISSION_BASE_URL``
pointing at it (as ``cli.demo`` sets up), after the decision is signed.
"""

from __future__ import annotations

import email.policy
import random
import re
from collections.abc import Callable
from datetime import date, datetime
from datetime import time as clock_time
from email import message_from_bytes
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from mailbox import Maildir
from pathlib import Path

import httpx
from pydantic import BaseModel
from sqlmodel import select

from cli.demo_units import CSRF_FIELD, play_in_order
from flows.ceremony import (
    import_ceremony_guests,
    invite_ceremony_guests,
    remind_ceremony_invitees,
)
from flows.common import checkout_path
from models.clock import VN_TZ
from models.db import session_scope
from models.rules.ceremony import parse_guests
from models.rules.ladder import plan_ladder
from models.unit import Unit
from notifications.smtp_server import plain_text
from services.campaigns import calendar_for, load_campaign, outputs_dir
from services.ceremony import ceremony_of, rules_for
from services.ceremony_outputs import attendees_file_name, ceremony_status

SAMPLE_GUESTS = "deploy/guests/khach-moi-hoi-nghi.csv"
RSVP_LINK = re.compile(r"https?://[^\s\"'<>]+/moi/[A-Za-z0-9_-]+")
INVITATION = "Giấy mời dự Hội nghị biểu dương – "
DEPARTMENT = "Chuyên viên Vụ Thi đua - Khen thưởng"
DEPUTY = {"deputy_name": "Trần Quang Vinh", "deputy_position": "Phó Trưởng phòng Tổng hợp"}
DECLINING = 3  # invitees who cannot come
SILENT = 3  # invitees who never answer


class CeremonyDemo(BaseModel):
    invitations: int
    rsvp_attending: int
    deputies: int
    declined: int
    no_answer: int
    reminders: int
    escalations: int
    seats_left: int
    attendees_xlsx: str
    certificates: int


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, clock_time(hour, minute), tzinfo=VN_TZ)


def invitation_links(mailbox: Path) -> list[tuple[str, str]]:
    """(invitee's name, link) of every invitation in the Maildir, by name (names may repeat
    across units: each link is its own invitee). Each email's headers are read first and only
    an invitation is parsed whole: the Maildir holds the whole campaign's mail by then."""
    headers = BytesHeaderParser(policy=email.policy.default)
    folder = Maildir(mailbox, create=False)
    found = []
    for key in folder.iterkeys():
        with folder.get_file(key) as handle:
            raw = handle.read()
        subject = str(headers.parsebytes(raw)["Subject"] or "")
        if INVITATION not in subject:
            continue
        message = message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        link = RSVP_LINK.search(plain_text(message))
        if link is not None:
            found.append((subject.rsplit(INVITATION, 1)[1], link.group(0)))
    return sorted(found)


class RsvpRefused(RuntimeError):
    """The portal said no where the demo expected a yes."""


def answer(link: str, fields: dict[str, str]) -> None:
    """An invitee opens the page under the link, then sends its form with ``fields`` (the
    answer is taken when the portal redirects to the page with its "recorded" notice)."""
    with httpx.Client(timeout=30) as client:
        page = client.get(link + "/")
        found = CSRF_FIELD.search(page.text)
        if page.status_code != 200 or found is None:
            raise RsvpRefused(f"invitation page: {page.status_code}")
        sent = client.post(link + "/tra-loi", data={"csrf": found.group(1), **fields})
        if sent.status_code != 303 or "?ok=" not in sent.headers.get("location", ""):
            raise RsvpRefused(f"answer: {sent.status_code}")


def guests_registered() -> bool:
    """Whether every unit the sample guest list names is in the register (``tonvinh demo
    --units 2`` has fewer: then the conference has no guest list to simulate)."""
    parsed = parse_guests(checkout_path(SAMPLE_GUESTS).read_text(encoding="utf-8"))
    with session_scope() as session:
        registered = set(session.exec(select(Unit.code)).all())
    return {g.unit_code for g in parsed.guests if g.unit_code} <= registered


def run_ceremony_demo(
    mailbox: Path, campaign_code: str, signed_on: date, rnd: random.Random
) -> CeremonyDemo:
    """Import, invite, answer and remind, from the signing day to the conference morning."""
    import_ceremony_guests(campaign_code, SAMPLE_GUESTS, actor=DEPARTMENT, now=_at(signed_on, 15))
    invited = invite_ceremony_guests(campaign_code, actor=DEPARTMENT, now=_at(signed_on, 16))
    with session_scope() as session:
        campaign = load_campaign(session, campaign_code)
        calendar = calendar_for(session, campaign)
        ceremony = ceremony_of(session, campaign)
        assert ceremony is not None
        ladder = plan_ladder(ceremony.rsvp_cutoff_on, calendar, rules_for(campaign).ladder())
    wd = calendar.add_working_days
    links = [link for _name, link in invitation_links(mailbox)]
    order = links[:]
    rnd.shuffle(order)
    deputy, declining = order[0], set(order[1 : 1 + DECLINING])
    silent = set(order[1 + DECLINING : 1 + DECLINING + SILENT])
    late = set(order[1 + DECLINING + SILENT : 4 + DECLINING + SILENT])  # after the reminder

    def reply(link: str) -> Callable[[], None]:
        if link == deputy:
            return lambda: answer(link, {"answer": "deputy", **DEPUTY})
        choice = "decline" if link in declining else "attend"
        return lambda: answer(link, {"answer": choice})

    events: list[tuple[datetime, Callable[[], object]]] = []
    for number, link in enumerate(links):
        if link in silent:
            continue
        day, hour = (wd(signed_on, 1), 10) if link in late else (signed_on, 17)
        events.append((_at(day, hour, number % 60), reply(link)))
    reminders = {"reminders": 0, "escalations": 0}
    for step in ladder:

        def remind(moment: datetime = step.at) -> None:
            run = remind_ceremony_invitees(campaign_code, now=moment)
            reminders["reminders"] += run.reminders
            reminders["escalations"] += run.escalations

        events.append((step.at, remind))
    play_in_order(events)
    with session_scope() as session:
        status = ceremony_status(session, campaign_code, _at(campaign.conference_date, 7))
    return CeremonyDemo(
        invitations=status.invited,
        rsvp_attending=status.attending,
        deputies=status.deputies,
        declined=status.declined,
        no_answer=status.no_answer,
        reminders=reminders["reminders"],
        escalations=reminders["escalations"],
        seats_left=status.seats_left,
        attendees_xlsx=str(outputs_dir(campaign_code) / attendees_file_name(campaign_code)),
        certificates=invited.certificates,
    )
