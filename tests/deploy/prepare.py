"""Campaign preparation for the deployment tests, run as a child process (`python -m
tests.deploy.prepare …`) with the stack's environment, so its flows record real runs on the
test's Prefect server and write to the same database the worker uses.

    lists CODE DIR UNIT…         write each unit's filled Excel list into DIR; print the paths
    to-approval CODE N           plan CODE for the first N sample units, dispatch, intake two
                                 lists, review, council: the campaign waits for approval
    stage CODE                   print the campaign's stage
    approvals CODE               print the approval rows and their audit events as JSON
    bulk-units N                 register N synthetic units
    bulk-campaign CODE N         N synthetic units in a campaign already called (overhead check)
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, time
from pathlib import Path

from sqlalchemy import func, update
from sqlmodel import col, select

from documents.nomination_list import ListHeader, write_filled_list
from flows.council import council_tally
from flows.dispatch import dispatch_call
from flows.intake import intake_submissions
from flows.plan import plan_campaign
from flows.review import review_nominations
from models.audit import AuditEvent
from models.campaign import CampaignStage, CampaignUnit, ParticipationStatus
from models.clock import VN_TZ
from models.council import Approval, CouncilMemberCreate, CouncilRole
from models.db import session_scope
from models.migrate import upgrade
from models.nomination import Nomination, NominationCreate
from models.settings import get_settings
from models.unit import UnitCreate
from services.campaigns import award_choices, calendar_for, load_campaign
from services.council import BallotInput
from services.units import parse_units_csv, upsert_units
from tests.documents.builders import individual

SAMPLE = Path(__file__).resolve().parents[2] / "cli" / "sample" / "units.csv"
CONFERENCE = date(2019, 3, 29)

PEOPLE = [
    ("Nguyễn Thị Hương", "CSTDCS", 1, "Nữ"),
    ("Trần Văn Dũng", "CSTD_BO", 3, "Nam"),
    ("Lê Thị Thu Hà", "CSTDCS", 1, "Nữ"),
]


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=VN_TZ)


def nominee(index: int) -> NominationCreate:
    name, title, years, gender = PEOPLE[index % len(PEOPLE)]
    return individual(name, title, years, gender)


def write_lists(code: str, folder: Path, units: list[str]) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    with session_scope() as session:
        campaign = load_campaign(session, code)
        choices = award_choices(campaign)
    paths = []
    for index, unit in enumerate(units):
        header = ListHeader(code, campaign.name, unit, unit, campaign.submission_due)
        path = folder / f"{code}-{unit}.xlsx"
        paths.append(str(write_filled_list(path, header, choices, [nominee(index)])))
    return paths


def sample_units(count: int) -> list[str]:
    units = parse_units_csv(SAMPLE.read_bytes(), SAMPLE.name)[:count]
    with session_scope() as session:
        upsert_units(session, units)
    return [u.code for u in units]


def to_approval(code: str, count: int) -> dict[str, object]:
    codes = sample_units(count)
    plan_campaign(
        code=code,
        year=2018,
        name=f"Tôn vinh điển hình tiên tiến ({code})",
        conference_date=CONFERENCE,
        rule_pack="nd91-2017",
        now=at(date(2019, 1, 21)),
    )
    with session_scope() as session:
        campaign = load_campaign(session, code)
        calendar = calendar_for(session, campaign)
    dispatch_call(code, now=at(campaign.dispatch_on, 8))
    paths = write_lists(code, get_settings().var_dir / "inbox" / code, codes[:2])
    intake_submissions(code, paths, now=at(calendar.add_working_days(campaign.submission_due, -3)))
    review_nominations(code, now=at(campaign.review_due, 10), reviewer="Chuyên viên Lê Thị Mai")
    members = [CouncilMemberCreate(name="Phan Tâm", role=CouncilRole.CHAIR)] + [
        CouncilMemberCreate(name=f"Ủy viên {i}") for i in range(2, 11)
    ]
    with session_scope() as session:
        eligible = session.exec(
            select(Nomination.id).where(
                Nomination.campaign_id == campaign.id, col(Nomination.status) == "eligible"
            )
        ).all()
    ballots = [
        BallotInput(nomination_id=n, member_name=m.name, in_favour=True)
        for n in eligible
        if n is not None
        for m in members
    ]
    tally = council_tally(code, members, ballots, now=at(campaign.council_on, 14))
    return {"campaign": code, "units": codes, "eligible": len(eligible), **tally.model_dump()}


def approvals(code: str) -> dict[str, object]:
    with session_scope() as session:
        campaign = load_campaign(session, code)
        rows = session.exec(select(Approval).where(Approval.campaign_id == campaign.id)).all()
        events = session.exec(
            select(AuditEvent).where(
                AuditEvent.campaign_id == campaign.id, AuditEvent.entity == "approval"
            )
        ).all()
        return {
            "stage": str(campaign.stage),
            "approvals": [r.model_dump(mode="json") for r in rows],
            "audit": [e.model_dump(mode="json") for e in events],
        }


def bulk_units(count: int) -> int:
    """Synthetic units ``bulk_00001``… with focal addresses on a loopback test domain."""
    rows = [
        UnitCreate(
            code=f"bulk_{i:05d}",
            name=f"Đơn vị thử {i:05d}",
            kind="vu",
            focal_name=f"Đầu mối {i:05d}",
            focal_email=f"focal{i:05d}@bulk.example.gov.vn",
            head_name=f"Thủ trưởng {i:05d}",
            head_email=f"head{i:05d}@bulk.example.gov.vn",
        )
        for i in range(1, count + 1)
    ]
    with session_scope() as session:
        upsert_units(session, rows)
    return count


def bulk_campaign(code: str, count: int) -> dict[str, object]:
    """A campaign of ``count`` synthetic units, already called (dispatch's 10,000 Excel files
    are not what this checks), so the reminder run that follows finds every unit overdue."""
    bulk_units(count)
    plan_campaign(
        code=code,
        year=2018,
        name=f"Đợt thử tải ({count} đơn vị)",
        conference_date=CONFERENCE,
        rule_pack="nd91-2017",
        now=at(date(2019, 1, 21)),
    )
    with session_scope() as session:
        campaign = load_campaign(session, code)
        session.exec(
            update(CampaignUnit)
            .where(col(CampaignUnit.campaign_id) == campaign.id)
            .values(status=ParticipationStatus.CALLED, called_at=at(campaign.dispatch_on))
        )
        campaign.stage = CampaignStage.CALLING
        session.add(campaign)
        enrolled = session.exec(
            select(func.count()).where(CampaignUnit.campaign_id == campaign.id)
        ).one()
    return {"campaign": code, "units": enrolled, "deadline": str(campaign.submission_due)}


def main(argv: list[str]) -> None:
    upgrade()
    command, args = argv[0], argv[1:]
    if command == "lists":
        result: object = write_lists(args[0], Path(args[1]), args[2:])
    elif command == "to-approval":
        result = to_approval(args[0], int(args[1]))
    elif command == "stage":
        with session_scope() as session:
            result = str(load_campaign(session, args[0]).stage)
    elif command == "approvals":
        result = approvals(args[0])
    elif command == "bulk-units":
        result = bulk_units(int(args[0]))
    elif command == "bulk-campaign":
        result = bulk_campaign(args[0], int(args[1]))
    else:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(result, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
