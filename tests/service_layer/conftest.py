"""A campaign taking lists, built through the services alone: no Prefect, no SMTP delivery
(the call waits in the outbox), a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from documents.nomination_list import ListHeader, write_filled_list
from models.campaign import Campaign
from models.db import session_scope
from models.nomination import NominationCreate
from services.campaigns import award_choices, load_campaign
from services.dispatch import enqueue_calls, write_unit_templates
from services.plan import CampaignPlan, plan
from services.units import import_units
from tests.flows.conftest import CODE, CONFERENCE, SAMPLE, at

UNITS = 4


def plan_and_call() -> CampaignPlan:
    """Four sample units imported, the 2018 campaign planned, each unit's own list written and
    the call queued (not yet delivered): the start every service and portal test shares."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()[: UNITS + 1]
    with session_scope() as session:
        import_units(
            session,
            ("\n".join(lines) + "\n").encode(),
            "units.csv",
            now=at(date(2019, 1, 18)),
            actor="test",
        )
    with session_scope() as session:
        planned = plan(
            session,
            code=CODE,
            year=2018,
            name="Tôn vinh điển hình tiên tiến năm 2018",
            conference_date=CONFERENCE,
            rule_pack="nd91-2017",
            now=at(date(2019, 1, 21)),
            actor="test",
        )
    with session_scope() as session:
        # What the call carries, as dispatch writes it.
        write_unit_templates(session, CODE, at(planned.deadlines["dispatch_on"], 8))
        enqueue_calls(session, CODE, at(planned.deadlines["dispatch_on"], 8), "test")
    return planned


@pytest.fixture
def calling(database: str) -> Campaign:
    """The campaign of ``plan_and_call``, taking lists."""
    plan_and_call()
    with session_scope() as session:
        return load_campaign(session, CODE)


def unit_codes() -> list[str]:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()[1 : UNITS + 1]
    return [line.split(",")[0] for line in lines]


def list_bytes(tmp_path: Path, unit_code: str, rows: list[NominationCreate], name: str) -> bytes:
    """A unit's own Excel list, filled in as its focal contact would, as uploaded bytes."""
    with session_scope() as session:
        campaign = load_campaign(session, CODE)
        choices = award_choices(campaign)
    header = ListHeader(CODE, campaign.name, unit_code, unit_code, campaign.submission_due)
    return write_filled_list(tmp_path / name, header, choices, rows).read_bytes()
