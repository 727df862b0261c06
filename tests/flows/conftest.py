"""A small campaign (six sample units) planned in a real database, for the flow tests."""

from __future__ import annotations

import csv
from datetime import date, datetime, time
from pathlib import Path

import pytest

from documents.nomination_list import ListHeader, write_filled_list
from models.campaign import Campaign
from models.clock import VN_TZ
from models.db import session_scope
from models.nomination import NominationCreate
from services.campaigns import award_choices, load_campaign
from services.units import parse_units_csv, upsert_units

SAMPLE = Path(__file__).resolve().parents[2] / "cli" / "sample" / "units.csv"
CODE = "tdkt-2018"
CONFERENCE = date(2019, 3, 29)


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=VN_TZ)


@pytest.fixture
def units_csv(tmp_path: Path) -> Path:
    """The first six sample units as the operator's CSV."""
    with SAMPLE.open(encoding="utf-8") as handle:
        lines = handle.read().splitlines()[:7]
    path = tmp_path / "units.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def planned(database: str, mail_server: object, prefect_server: None, units_csv: Path) -> dict:
    from flows.plan import plan_campaign

    with session_scope() as session:
        upsert_units(session, parse_units_csv(units_csv.read_bytes(), units_csv.name))
    result = plan_campaign(
        code=CODE,
        year=2018,
        name="Tôn vinh điển hình tiên tiến năm 2018",
        conference_date=CONFERENCE,
        rule_pack="nd91-2017",
        now=at(date(2019, 1, 21)),
    )
    codes = [row["code"] for row in csv.DictReader(units_csv.open(encoding="utf-8"))]
    return {"plan": result, "codes": codes}


def campaign_row() -> Campaign:
    """The test campaign as it stands in the database now."""
    with session_scope() as session:
        return load_campaign(session, CODE)


def filled_list(tmp_path: Path, unit_code: str, rows: list[NominationCreate], name: str) -> str:
    """A unit's own Excel list, filled in as the unit's focal contact would."""
    campaign = campaign_row()
    with session_scope() as session:
        choices = award_choices(load_campaign(session, CODE))
    header = ListHeader(CODE, campaign.name, unit_code, unit_code, campaign.submission_due)
    return str(write_filled_list(tmp_path / name, header, choices, rows))
