"""The demo's council: members imported, convened, each member voting through the ballot page
of a portal running in this process (``portal.embedded``), one absent member's paper ballot
entered by the secretary, and the secretary's close with its minutes.

Each simulated member does what a person would: opens their convocation email in the Maildir,
follows the ballot link, reads the form's hidden fields and sends agree/disagree over HTTP.
"""

from __future__ import annotations

import random
import re
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import col, select

from cli.demo_units import CSRF_FIELD, latest_links
from flows.council_ballot import CloseRun, close_council_ballot, convene_council
from models import clock
from models.clock import VN_TZ
from models.council import CouncilMember
from models.db import session_scope
from models.nomination import Nomination, NominationStatus
from models.unit import Unit
from services.ballot import ballot_nominations, recusals_of
from services.council_members import import_members
from services.council_vote import enter_paper_ballots

BALLOT_LINK = re.compile(r"(https?://[^\s\"'<>]+/phieu/[A-Za-z0-9_-]+)")
_SEED = re.compile(r'name="seed" value="([^"]+)"')
_CHOICE = re.compile(r'name="(d-\d+)" value="1"')


def ballot_form(page_html: str) -> tuple[str, str, list[str]]:
    """(csrf, seed, the choice field names) of a ballot page's form."""
    csrf, seed = CSRF_FIELD.search(page_html), _SEED.search(page_html)
    if csrf is None or seed is None:
        raise ValueError("the page holds no open ballot form")
    return csrf.group(1), seed.group(1), _CHOICE.findall(page_html)


RECEIPT = re.compile(r'id="receipt">([A-Z0-9-]+)<')


def receipt_in(page_html: str) -> str:
    match = RECEIPT.search(page_html)
    return match.group(1) if match else ""


MEMBERS = 15
ABSENT = MEMBERS  # the last member is away and sends a paper ballot


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, clock_time(hour), tzinfo=VN_TZ)


def _members_csv(campaign_code: str) -> bytes:
    """Fifteen members; member 02 works in a unit with eligible dossiers (so is recused)."""
    with session_scope() as session:
        unit_code = session.exec(
            select(Unit.code)
            .join(Nomination, col(Nomination.unit_id) == Unit.id)
            .where(Nomination.status == NominationStatus.ELIGIBLE)
            .order_by(Unit.code)
        ).first()
    lines = ["name,position,unit_code,email,role"]
    lines.append("Phan Tâm,Thứ trưởng,,chu.tich@hoidong.example.gov.vn,chair")
    for index in range(2, MEMBERS + 1):
        role = "secretary" if index == 3 else "member"
        unit = unit_code if index == 2 and unit_code else ""
        lines.append(
            f"Thành viên {index:02d},Vụ trưởng,{unit},thanhvien{index:02d}@hoidong.example.gov.vn,"
            f"{role}"
        )
    return ("\n".join(lines) + "\n").encode()


def _vote(client: httpx.Client, link: str, rnd: random.Random) -> str:
    page = client.get(link)
    page.raise_for_status()
    csrf, seed, fields = ballot_form(page.text)
    # Mostly in favour; now and then a member disagrees on a dossier.
    data = {"csrf": csrf, "seed": seed} | {
        name: "0" if rnd.random() < 0.08 else "1" for name in fields
    }
    answer = client.post(link, data=data)
    answer.raise_for_status()
    return receipt_in(answer.text)


def _paper_csv(campaign_code: str, member_email: str) -> bytes:
    with session_scope() as session:
        member = session.exec(
            select(CouncilMember).where(CouncilMember.email == member_email)
        ).one()
        on_ballot = ballot_nominations(session, member.campaign_id)
        recused = recusals_of(session, member.campaign_id)
        rows = [
            f"{member_email},{n.id},đồng ý"
            for n, _unit in on_ballot
            if (member.id, n.id) not in recused
        ]
    return ("member,nomination_id,choice\n" + "\n".join(rows) + "\n").encode()


def council_through_portal(
    campaign_code: str, day: date, mailbox_dir: Path, rnd: random.Random, actor: str
) -> CloseRun:
    """The council of ``day``: members imported, convened at 08:00, fourteen vote through the
    portal the demo runs (``TONVINH_BALLOT_BASE_URL``) in the morning, the absent member's paper
    ballot entered, the close at 14:00."""
    with session_scope() as session:
        import_members(
            session, campaign_code, _members_csv(campaign_code), "hoi-dong.csv", _at(day, 7), actor
        )
    convene_council(campaign_code, now=_at(day, 8), actor=actor, early=True)
    links = latest_links(mailbox_dir, BALLOT_LINK)  # address → that member's ballot link
    absent = f"thanhvien{ABSENT:02d}@hoidong.example.gov.vn"
    clock.set_now(_at(day, 10))  # the portal's clock: the members vote in the morning
    try:
        with httpx.Client(timeout=30) as client:
            for address, link in sorted(links.items()):
                if address != absent:
                    _vote(client, link, rnd)
    finally:
        clock.set_now(None)
    with session_scope() as session:
        enter_paper_ballots(
            session, campaign_code, _paper_csv(campaign_code, absent), "phieu-giay.csv",
            _at(day, 11), actor,
        )  # fmt: skip
    return close_council_ballot(campaign_code, now=_at(day, 14), actor=actor)


def council_fields(run: CloseRun | None) -> dict[str, Any]:
    """What the demo's summary adds about the council."""
    if run is None:
        return {}
    return {
        "ballots_cast": run.ballots_cast,
        "recusals": run.recusals,
        "minutes_docx": run.minutes_docx,
    }
