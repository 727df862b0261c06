"""Refuse rather than ignore: a re-plan with other parameters, a review before the deadline with
units missing, a council before review is done — each refused with what is wrong, or done when
forced with a reason that the audit log keeps."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from models.audit import AuditEvent
from models.campaign import Campaign, CampaignUnit
from models.council import CouncilMemberCreate, CouncilRole
from models.db import session_scope
from services.campaigns import load_campaign
from services.council import hold_council
from services.errors import OperatorError
from services.intake import receive_list
from services.plan import plan
from services.review import review_round
from services.units import extend_deadline
from tests.documents.builders import individual
from tests.flows.conftest import CODE, CONFERENCE, at
from tests.service_layer.conftest import list_bytes, unit_codes


def _plan(**changes: object) -> object:
    values: dict = {
        "code": CODE,
        "year": 2018,
        "name": "Tôn vinh điển hình tiên tiến năm 2018",
        "conference_date": CONFERENCE,
        "rule_pack": "nd91-2017",
        "now": at(date(2019, 1, 22)),
        "actor": "op",
    } | changes
    with session_scope() as session:
        return plan(session, **values)


def _audit(action: str) -> list[AuditEvent]:
    with session_scope() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_the_same_plan_again_changes_nothing_and_another_is_refused(calling: Campaign) -> None:
    assert _plan().changed == {}  # idempotent
    with pytest.raises(OperatorError) as refused:
        _plan(name="Tên khác", conference_date=date(2019, 4, 5))
    assert refused.value.code == "plan_differs"
    assert set(refused.value.params["changes"]) == {"name", "conference_date"}
    assert "2019-03-29 → 2019-04-05" in refused.value.vi
    with session_scope() as session:
        assert load_campaign(session, CODE).name == calling.name
    assert _audit("replanned") == []


def test_update_recomputes_the_deadlines_but_keeps_a_units_extension(calling: Campaign) -> None:
    extended_unit = unit_codes()[0]
    with session_scope() as session:
        extend_deadline(
            session, CODE, extended_unit, date(2019, 3, 4), reason="Sáp nhập",
            now=at(date(2019, 1, 22)), actor="op",
        )  # fmt: skip
    replanned = _plan(conference_date=date(2019, 4, 5), update=True)
    assert replanned.changed == {"conference_date": ["2019-03-29", "2019-04-05"]}
    with session_scope() as session:
        campaign = load_campaign(session, CODE)
        deadlines = dict(
            session.exec(
                select(CampaignUnit.unit_id, CampaignUnit.deadline).where(
                    CampaignUnit.campaign_id == campaign.id
                )
            ).all()
        )
    assert campaign.submission_due > calling.submission_due
    assert set(deadlines.values()) == {campaign.submission_due, date(2019, 3, 4)}
    [event] = _audit("replanned")
    assert event.details["changes"]["conference_date"] == {"from": "2019-03-29", "to": "2019-04-05"}


def test_review_before_the_deadline_with_units_missing_needs_a_reason(
    calling: Campaign, tmp_path: Path
) -> None:
    early = at(calling.dispatch_on, 15)
    with pytest.raises(OperatorError) as refused, session_scope() as session:
        review_round(session, CODE, [], early, "op")
    assert refused.value.code == "review_before_deadline"
    assert refused.value.params["missing"] == 4 and "--force" in refused.value.vi
    with session_scope() as session:
        review_round(session, CODE, [], early, "op", force_reason="Rà soát sớm theo chỉ đạo")
    [forced] = _audit("precondition_forced")
    assert (forced.reason, forced.details["code"]) == (
        "Rà soát sớm theo chỉ đạo",
        "review_before_deadline",
    )
    # After the deadline nothing holds it back.
    with session_scope() as session:
        review_round(session, CODE, [], at(date(2019, 2, 27), 9), "op")
    assert len(_audit("precondition_forced")) == 1


def test_the_council_waits_for_review_unless_forced(calling: Campaign, tmp_path: Path) -> None:
    unit = unit_codes()[0]
    day = calling.submission_due
    rows = [individual("Nguyễn Thị Hương", "CSTDCS", 1)]
    with session_scope() as session:
        receive_list(
            session, CODE, list_bytes(tmp_path, unit, rows, "l.xlsx"), "l.xlsx",
            now=at(day, 9), actor="unit",
        )  # fmt: skip
    with session_scope() as session:
        campaign = load_campaign(session, CODE)
        campaign.stage = "review"  # type: ignore[assignment]
        session.add(campaign)
    members = [CouncilMemberCreate(name="Phan Tâm", role=CouncilRole.CHAIR)]
    with pytest.raises(OperatorError) as refused, session_scope() as session:
        hold_council(session, CODE, members, [], at(calling.council_on, 14), "op")
    assert (refused.value.code, refused.value.params["waiting"]) == ("review_unfinished", 1)
    with session_scope() as session:
        hold_council(
            session, CODE, members, [], at(calling.council_on, 14), "op", force_reason="Họp gấp"
        )
    assert [e.details["code"] for e in _audit("precondition_forced")] == ["review_unfinished"]


def _count(model: type) -> int:
    from sqlmodel import func

    with session_scope() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_a_council_refused_for_one_ballot_saves_no_member(calling: Campaign) -> None:
    """Members, ballots and tally are one transaction: a ballot on a dossier that is not before
    the council refuses the lot, and the members typed with it are not kept either."""
    from models.council import CouncilMember
    from services.council import BallotInput

    with session_scope() as session:
        campaign = load_campaign(session, CODE)
        campaign.stage = "review"  # type: ignore[assignment]
        session.add(campaign)
    members = [
        CouncilMemberCreate(name="Phan Tâm", role=CouncilRole.CHAIR),
        CouncilMemberCreate(name="Lê Văn Hai"),
    ]
    ballot = BallotInput(nomination_id=999, member_name="Lê Văn Hai", in_favour=True, line=3)
    with pytest.raises(OperatorError) as refused, session_scope() as session:
        hold_council(session, CODE, members, [ballot], at(calling.council_on, 14), "op")
    assert refused.value.code == "ballots_refused" and "Dòng 3" in refused.value.vi
    assert _count(CouncilMember) == 0


def test_a_plan_that_fails_midway_leaves_no_campaign(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The campaign and every unit's part are one transaction: a failure while enrolling the
    units (here, forced) leaves no half-planned campaign behind."""
    import services.plan as planning
    from models.campaign import Campaign as CampaignRow

    def broken(*_args: object, **_kwargs: object) -> int:
        raise RuntimeError("the database went away while enrolling")

    monkeypatch.setattr(planning, "enrol_units", broken)
    with pytest.raises(RuntimeError), session_scope() as session:
        plan(
            session, code=CODE, year=2018, name="Tôn vinh 2018", conference_date=CONFERENCE,
            rule_pack="nd91-2017", now=at(date(2019, 1, 21)), actor="op",
        )  # fmt: skip
    assert _count(CampaignRow) == 0 and _audit("planned") == []


def test_a_units_import_that_fails_midway_saves_no_unit(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import services.units as administration
    from models.unit import Unit
    from services.units import import_units

    csv = (
        "code,name_vi,focal_name,focal_email,head_name,head_email\n"
        "vu_a,Vụ A,Nguyễn Văn A,a@example.gov.vn,Trần B,b@example.gov.vn\n"
    )
    real_record = administration.audit.record

    def failing_audit(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the audit insert failed")

    monkeypatch.setattr(administration.audit, "record", failing_audit)
    with pytest.raises(RuntimeError), session_scope() as session:
        import_units(session, csv.encode(), "units.csv", now=at(date(2019, 1, 18)), actor="op")
    monkeypatch.setattr(administration.audit, "record", real_record)
    assert _count(Unit) == 0
