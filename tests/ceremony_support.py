"""The commendation conference in tests: a campaign whose signed decision honours one person
twice (a title and a form), another person and a collective of the first sample unit; a guest
list (the ministry's leader, that unit's head again, a press office); invitations sent."""

from __future__ import annotations

import re
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path

from sqlmodel import Session, select

from models.ceremony import Invitee
from models.db import session_scope
from notifications.smtp_server import plain_text, read_mailbox
from services.ceremony import import_guests, invite, setup_ceremony
from services.rsvp import InviteLink
from services.signing import sign_decision
from tests.documents.builders import collective, individual
from tests.flows.conftest import CODE, CONFERENCE, at
from tests.service_layer.conftest import plan_and_call
from tests.service_layer.honour_support import approve_called_campaign, draft_decision

NUMBER = "125/QĐ-BTTTT"
TWICE = "Nguyễn Thị Hương"  # Chiến sĩ thi đua cơ sở and Bằng khen của Bộ trưởng
ONCE = "Lê Thị Mai"
COLLECTIVE = "Phòng Tổng hợp, Vụ Bưu chính"
ROWS = [
    individual(TWICE, "CSTDCS", 2).model_copy(update={"proposed_form": "BK_BO"}),
    individual(ONCE, "CSTDCS", 1),
    collective(COLLECTIVE),
]
HEAD = "Ngô Đức Tiến"  # vu_bc's head: the collective's representative, and in the guest list
GUESTS = """category,full_name,position,organisation,email,unit
lanh_dao,Nguyễn Mạnh Hùng,Bộ trưởng,Lãnh đạo Bộ,bo-truong@mic.example.gov.vn,
thu_truong,Ngô Đức Tiến,Vụ trưởng Vụ Bưu chính,Vụ Bưu chính,lanhdao@vu-bc.example.gov.vn,vu_bc
bao_chi,Đỗ Thu Trang,Phóng viên,Báo VietNamNet,phongvien@vnn.example.vn,
"""
RSVP_LINK = re.compile(r"https?://[^\s\"'<>]+/moi/[A-Za-z0-9_-]+")
CUTOFF = date(2019, 3, 28)  # one working day before the conference
assert date(2019, 3, 29) == CONFERENCE


def signed_campaign(tmp_path: Path) -> date:
    """The 2018 campaign with ``ROWS`` approved and the decision signed; the signing day."""
    plan_and_call()
    approve_called_campaign(tmp_path, ROWS)
    day = draft_decision()
    with session_scope() as session:
        sign_decision(session, CODE, NUMBER, day, now=at(day, 15), actor="văn thư")
    return day


def invite_all(day: date, capacity: int | None = None, guests: str = GUESTS) -> None:
    """The guest list imported, the hall set, the invitations queued at 16:00 on ``day``."""
    moment = at(day, 16)
    with session_scope() as session:
        import_guests(session, CODE, guests, "khach-moi.csv", now=moment, actor="test")
    with session_scope() as session:
        setup_ceremony(session, CODE, now=moment, actor="test", capacity=capacity)
    with session_scope() as session:
        invite(session, CODE, now=moment, actor="test")


def invitees() -> dict[str, Invitee]:
    with session_scope() as session:
        return {i.full_name: i for i in session.exec(select(Invitee)).all()}


def link_for(session: Session, name: str) -> InviteLink:
    """What an invitee's link opens, without an email (for tests of the services alone)."""
    invitee = session.exec(select(Invitee).where(Invitee.full_name == name)).one()
    assert invitee.id is not None
    return InviteLink(token_id=0, invitee_id=invitee.id, campaign_id=invitee.campaign_id)


def invitation_links(mailbox: Path, subject_part: str = "Giấy mời dự Hội nghị") -> dict[str, str]:
    """Each invitee's link from their latest email whose subject holds ``subject_part`` (the
    invitee is named at the end of the subject)."""
    found: dict[str, str] = {}
    for message in read_mailbox(mailbox):
        subject = str(message["Subject"] or "")
        link = RSVP_LINK.search(plain_text(message))
        if subject_part in subject and link is not None:
            found[subject.rsplit(" – ", 1)[1]] = link.group(0)
    return found


def messages(mailbox: Path, subject_part: str) -> list[EmailMessage]:
    return [m for m in read_mailbox(mailbox) if subject_part in str(m["Subject"] or "")]


def at_cutoff(hour: int) -> datetime:
    return at(CUTOFF, hour)
