"""A campaign ready for its council, built through the services: two units' lists received and
reviewed (four eligible dossiers), five council members imported from CSV (the chair from the
first unit, so recused on its two dossiers), and the council convened (voting open)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import text
from sqlmodel import select

from models.access import mint_ballot_token
from models.council import CouncilMember
from models.db import session_scope
from services.ballot import BallotLink, open_ballot_link
from services.campaigns import load_campaign
from services.council_members import import_members
from services.council_vote import convene, convocation_due_on
from services.intake import receive_list
from services.review import review_round
from tests.documents.builders import individual
from tests.flows.conftest import CODE, at
from tests.service_layer.conftest import list_bytes, plan_and_call, unit_codes

MEMBER_NAMES = ["Phan Tâm", "Lê Thư Ký", "Trần Ba", "Nguyễn Bốn", "Đỗ Năm"]


def members_csv(first_unit: str) -> bytes:
    rows = [
        "name,position,unit_code,email,role",
        f"Phan Tâm,Thứ trưởng,{first_unit},chu.tich@example.gov.vn,chair",
        "Lê Thư Ký,Vụ trưởng,,thu.ky@example.gov.vn,secretary",
        "Trần Ba,Phó Vụ trưởng,,tran.ba@example.gov.vn,member",
        "Nguyễn Bốn,Chánh Văn phòng,,nguyen.bon@example.gov.vn,member",
        "Đỗ Năm,Vụ trưởng,,do.nam@example.gov.vn,thành viên",
    ]
    return ("\n".join(rows) + "\n").encode()


@dataclass
class Council:
    council_on: date
    voting_day: date
    first_unit: str


def ready_council(tmp_path: Path, *, convene_it: bool = True, members: bool = True) -> Council:
    planned = plan_and_call()
    due = planned.deadlines["submission_due"]
    codes = unit_codes()
    for index, code in enumerate(codes[:2]):
        rows = [
            individual(f"Người Thứ {index * 2 + 1}", "CSTDCS", 1),
            individual(f"Người Thứ {index * 2 + 2}", "CSTDCS", 1, gender="Nam"),
        ]
        with session_scope() as session:
            receive_list(
                session, CODE, list_bytes(tmp_path, code, rows, f"{code}.xlsx"), f"{code}.xlsx",
                now=at(due, 9), actor="unit",
            )  # fmt: skip
    with session_scope() as session:
        review_round(session, CODE, [], at(due, 16), "reviewer", force_reason="test")
    if members:
        with session_scope() as session:
            import_members(session, CODE, members_csv(codes[0]), "members.csv", at(due, 17), "op")
    with session_scope() as session:
        campaign = load_campaign(session, CODE)
        voting_day = convocation_due_on(session, campaign)
        council_on = campaign.council_on
    if convene_it:
        with session_scope() as session:
            convene(session, CODE, at(voting_day, 8), "secretary")
    return Council(council_on, voting_day, codes[0])


def ballot_links() -> dict[str, tuple[str, BallotLink]]:
    """A token minted for each member (as delivery would) and what it opens, by name."""
    found: dict[str, tuple[str, BallotLink]] = {}
    with session_scope() as session:
        members = session.exec(select(CouncilMember)).all()
        tokens = {
            m.name: mint_ballot_token(session.connection(), m.id or 0, at(date(2019, 1, 1)))
            for m in members
        }
    with session_scope() as session:
        for name, token in tokens.items():
            link = open_ballot_link(session, token, at(date(2019, 1, 1)))
            assert link is not None
            found[name] = (token, link)
    return found


def table_columns(table: str) -> list[str]:
    with session_scope() as session:
        rows = session.exec(text(f"SELECT * FROM {table} LIMIT 0"))  # type: ignore[call-overload]
        return list(rows.keys())
