"""The campaign plan, counted backwards from the conference in working days."""

from __future__ import annotations

from datetime import date

import pytest

from models.rules.calendar import vietnam_calendar
from models.rules.deadlines import PlanOffsets, plan_deadlines


def test_the_2019_seed_plan_skips_tet():
    calendar = vietnam_calendar(range(2018, 2021))
    plan = plan_deadlines(date(2019, 3, 29), calendar)
    assert plan.conference_date == date(2019, 3, 29)
    assert plan.approval_due == date(2019, 3, 22)
    assert plan.council_on == date(2019, 3, 19)
    assert plan.review_due == date(2019, 3, 12)
    assert plan.submission_due == date(2019, 2, 26)
    # 15 working days before 26 February reach back over the Tết week to 29 January.
    assert plan.dispatch_on == date(2019, 1, 29)
    milestones = [
        plan.dispatch_on,
        plan.submission_due,
        plan.review_due,
        plan.council_on,
        plan.approval_due,
    ]
    assert milestones == sorted(milestones)
    assert all(calendar.is_working_day(day) for day in milestones)


def test_a_late_announced_day_off_moves_the_deadlines_before_it():
    plain = plan_deadlines(date(2019, 3, 29), vietnam_calendar([2019]))
    shifted = plan_deadlines(
        date(2019, 3, 29),
        vietnam_calendar([2019], [(date(2019, 3, 18), False, "Nghỉ đột xuất")]),
    )
    assert shifted.council_on == plain.council_on == date(2019, 3, 19)
    assert plain.review_due == date(2019, 3, 12)
    assert shifted.review_due == date(2019, 3, 11)
    assert shifted.submission_due < plain.submission_due


def test_a_saturday_conference_counts_back_from_the_working_days_before_it():
    calendar = vietnam_calendar([2019])
    plan = plan_deadlines(date(2019, 3, 30), calendar, PlanOffsets(approval_before_conference=1))
    assert plan.approval_due == date(2019, 3, 29)


def test_custom_offsets_are_applied_milestone_by_milestone():
    calendar = vietnam_calendar([2025])
    plan = plan_deadlines(date(2025, 12, 19), calendar, PlanOffsets(1, 1, 1, 1, 1))
    assert plan.approval_due == date(2025, 12, 18)
    assert plan.council_on == date(2025, 12, 17)
    assert plan.review_due == date(2025, 12, 16)
    assert plan.submission_due == date(2025, 12, 15)
    assert plan.dispatch_on == date(2025, 12, 12)


@pytest.mark.parametrize("field", ["approval_before_conference", "dispatch_before_submission"])
def test_offsets_below_one_are_refused_in_vietnamese_then_english(field):
    offsets = PlanOffsets(**{field: 0})
    with pytest.raises(ValueError, match=r"Ngày hội nghị .* / Conference date") as error:
        plan_deadlines(date(2019, 3, 29), vietnam_calendar([2019]), offsets)
    assert field in str(error.value)
