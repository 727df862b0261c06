"""The campaign's milestones, scheduled backwards from the conference in working days."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

from models.rules.calendar import WorkCalendar, format_vn_date


@dataclass(frozen=True)
class PlanOffsets:
    """Working days between consecutive milestones, counted backwards from the conference."""

    approval_before_conference: int = 5
    council_before_approval: int = 3
    review_before_council: int = 5
    submission_before_review: int = 10
    dispatch_before_submission: int = 15


@dataclass(frozen=True)
class DeadlinePlan:
    dispatch_on: date
    submission_due: date
    review_due: date
    council_on: date
    approval_due: date
    conference_date: date


def plan_deadlines(
    conference_date: date, calendar: WorkCalendar, offsets: PlanOffsets = PlanOffsets()
) -> DeadlinePlan:
    """Every milestone is a working day, ``offset`` working days before the next milestone.

    The conference itself may fall on any day (a Saturday ceremony is common).
    """
    bad = [
        f"{f.name}={getattr(offsets, f.name)}"
        for f in fields(offsets)
        if getattr(offsets, f.name) < 1
    ]
    if bad:
        raise ValueError(
            f"Ngày hội nghị {format_vn_date(conference_date)}: khoảng cách giữa các mốc phải từ "
            f"1 ngày làm việc trở lên ({', '.join(bad)}). / Conference date "
            f"{conference_date.isoformat()}: every offset between milestones must be at least "
            f"1 working day ({', '.join(bad)})."
        )
    approval_due = calendar.add_working_days(conference_date, -offsets.approval_before_conference)
    council_on = calendar.add_working_days(approval_due, -offsets.council_before_approval)
    review_due = calendar.add_working_days(council_on, -offsets.review_before_council)
    submission_due = calendar.add_working_days(review_due, -offsets.submission_before_review)
    dispatch_on = calendar.add_working_days(submission_due, -offsets.dispatch_before_submission)
    return DeadlinePlan(
        dispatch_on=dispatch_on,
        submission_due=submission_due,
        review_due=review_due,
        council_on=council_on,
        approval_due=approval_due,
        conference_date=conference_date,
    )
