"""A campaign taken to leadership's approval through the services alone (no Prefect): one unit's
list of two people received, reviewed, passed by a council of 15, approved."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlmodel import select

from models.council import CouncilMemberCreate, CouncilRole
from models.db import session_scope
from models.nomination import Nomination, NominationCreate
from services.approval import ApprovalRequest, record_approval
from services.campaigns import calendar_for, load_campaign
from services.council import BallotInput, hold_council
from services.honour import write_documents
from services.intake import receive_list
from services.review import review_round
from tests.documents.builders import individual
from tests.flows.conftest import CODE, at
from tests.service_layer.conftest import list_bytes, plan_and_call, unit_codes

NAMES = ("Nguyễn Thị Hương", "Lê Thị Mai")
MEMBERS = [CouncilMemberCreate(name="Phan Tâm", role=CouncilRole.CHAIR)] + [
    CouncilMemberCreate(name=f"Ủy viên {i}") for i in range(2, 16)
]


def approve_through_services(tmp_path: Path) -> None:
    """The 2018 campaign planned and called, one unit's two dossiers approved by leadership."""
    plan_and_call()
    approve_called_campaign(tmp_path)


def approve_called_campaign(tmp_path: Path, rows: list[NominationCreate] | None = None) -> None:
    """The called 2018 campaign (``plan_and_call`` done): one unit's dossiers (two people, or
    ``rows``) received, reviewed, passed by the council and approved by leadership."""
    with session_scope() as session:
        campaign = load_campaign(session, CODE)
        calendar = calendar_for(session, campaign)
    unit = unit_codes()[0]
    rows = rows or [individual(name, "CSTDCS", 1) for name in NAMES]
    data = list_bytes(tmp_path, unit, rows, "list.xlsx")
    received_on = calendar.add_working_days(campaign.submission_due, -3)
    with session_scope() as session:
        receive_list(session, CODE, data, "list.xlsx", now=at(received_on), actor="test")
    with session_scope() as session:
        review_round(
            session, CODE, [], at(campaign.review_due), "test", force_reason="chỉ một đơn vị"
        )
    with session_scope() as session:
        ids = [n.id for n in session.exec(select(Nomination)).all() if n.id is not None]
    ballots = [
        BallotInput(nomination_id=i, member_name=member.name, in_favour=True)
        for i in ids
        for member in MEMBERS
    ]
    with session_scope() as session:
        hold_council(session, CODE, MEMBERS, ballots, at(campaign.council_on, 14), "test")
    with session_scope() as session:
        record_approval(
            session,
            CODE,
            ApprovalRequest(approver="Bộ trưởng"),
            at(campaign.approval_due, 10),
            None,
        )


def draft_decision() -> date:
    """The approved campaign's decision drafted (the day after the approval's due date);
    returns a working day to sign it on, two working days after that date."""
    with session_scope() as session:
        campaign = load_campaign(session, CODE)
        day = calendar_for(session, campaign).add_working_days(campaign.approval_due, 2)
        write_documents(session, CODE, at(campaign.approval_due, 15))
    return day
