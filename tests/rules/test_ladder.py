"""The reminder ladder and "who is behind", as the department sees them."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest

from models.clock import VN_TZ
from models.rules.calendar import WorkCalendar, vietnam_calendar
from models.rules.ladder import (
    Audience,
    LadderConfig,
    ProgressState,
    UnitProgress,
    due_reminders,
    plan_ladder,
    standing,
    units_behind,
)

DEADLINE = date(2027, 2, 3)  # Wednesday, the day before Tết 2027 starts


@pytest.fixture(scope="module")
def calendar() -> WorkCalendar:
    return vietnam_calendar([2026, 2027])


def at(day: date, hour: int = 8, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=VN_TZ)


def unit(unit_id: int = 1, deadline: date = DEADLINE, **changes: object) -> UnitProgress:
    fields: dict[str, object] = {
        "submitted": False,
        "paused": False,
        "sent_tiers": frozenset(),
    }
    fields.update(changes)
    return UnitProgress(unit_id=unit_id, deadline=deadline, **fields)  # type: ignore[arg-type]


def test_ladder_for_a_deadline_just_before_tet_skips_the_holiday(calendar):
    steps = plan_ladder(DEADLINE, calendar)
    assert [(s.tier, s.offset, s.day, s.kind, s.audience) for s in steps] == [
        (1, -5, date(2027, 1, 27), "reminder", Audience.FOCAL),
        (2, -2, date(2027, 2, 1), "reminder", Audience.FOCAL),
        (3, 1, date(2027, 2, 11), "overdue", Audience.FOCAL),  # first working day after Tết
        (4, 3, date(2027, 2, 15), "escalation_unit_head", Audience.UNIT_HEAD),
        (5, 5, date(2027, 2, 17), "escalation_department", Audience.DEPARTMENT_HEAD),
        (6, 7, date(2027, 2, 19), "escalation_department", Audience.DEPARTMENT_HEAD),
    ]
    assert all(calendar.is_working_day(s.day) for s in steps)
    assert steps[0].at == datetime(2027, 1, 27, 8, 0, tzinfo=VN_TZ)
    assert steps[0].at.utcoffset() == timedelta(hours=7)


def test_cap_is_honoured_across_all_tiers(calendar):
    assert len(plan_ladder(DEADLINE, calendar, LadderConfig(max_reminders=4))) == 4
    assert plan_ladder(DEADLINE, calendar, LadderConfig(max_reminders=4))[-1].kind == (
        "escalation_unit_head"
    )
    two = plan_ladder(DEADLINE, calendar, LadderConfig(max_reminders=2))
    assert [s.kind for s in two] == ["reminder", "reminder"]
    assert len(plan_ladder(DEADLINE, calendar, LadderConfig(max_reminders=50))) == 50


def test_offset_zero_is_the_deadline_and_send_hour_is_configurable(calendar):
    steps = plan_ladder(DEADLINE, calendar, LadderConfig(offsets=(0,), send_hour=14))
    assert steps[0].day == DEADLINE
    assert steps[0].kind == "reminder"
    assert steps[0].at.hour == 14


def test_without_positive_offsets_the_first_extra_step_goes_to_the_unit_head(calendar):
    steps = plan_ladder(
        DEADLINE, calendar, LadderConfig(offsets=(-3,), escalate_every=1, max_reminders=3)
    )
    assert [s.kind for s in steps] == [
        "reminder",
        "escalation_unit_head",
        "escalation_department",
    ]
    # escalations never fall before the deadline has passed
    assert [s.offset for s in steps] == [-3, 1, 2]


def test_later_positive_offsets_are_further_overdue_notices_to_the_focal_contact(calendar):
    steps = plan_ladder(DEADLINE, calendar, LadderConfig(offsets=(-2, 1, 2), max_reminders=4))
    assert [s.kind for s in steps] == ["reminder", "overdue", "overdue", "escalation_unit_head"]
    assert steps[3].offset == 4


@pytest.mark.parametrize(
    "config",
    [
        LadderConfig(offsets=(-2, -5, 1)),
        LadderConfig(offsets=(-2, -2, 1)),
        LadderConfig(escalate_every=0),
        LadderConfig(max_reminders=0),
        LadderConfig(send_hour=24),
    ],
)
def test_invalid_configuration_is_refused(calendar, config):
    with pytest.raises(ValueError, match="Cấu hình nhắc hạn không hợp lệ"):
        plan_ladder(DEADLINE, calendar, config)


def test_a_unit_that_submitted_or_is_paused_gets_nothing(calendar):
    now = at(date(2027, 2, 15), 9)
    units = [unit(1, submitted=True), unit(2, paused=True), unit(3)]
    assert [d.unit_id for d in due_reminders(now, units, calendar)] == [3]


def test_nothing_is_due_before_the_first_step(calendar):
    assert due_reminders(at(date(2027, 1, 27), 7, 59), [unit()], calendar) == []
    due = due_reminders(at(date(2027, 1, 27), 8, 0), [unit()], calendar)
    assert [(d.step.tier, d.working_days_left) for d in due] == [(1, 5)]


def test_a_scheduler_down_for_two_steps_sends_only_the_latest(calendar):
    # tier 1 went out; the scheduler was down over tiers 2 and 3 and comes back on 15 February.
    due = due_reminders(at(date(2027, 2, 15), 10), [unit(sent_tiers=frozenset({1}))], calendar)
    assert len(due) == 1
    assert due[0].step.tier == 4
    assert due[0].step.kind == "escalation_unit_head"
    assert due[0].step.audience is Audience.UNIT_HEAD
    assert due[0].working_days_left == -3


def test_a_step_is_sent_at_most_once_and_never_after_a_later_one(calendar):
    now = at(date(2027, 2, 15), 10)
    assert due_reminders(now, [unit(sent_tiers=frozenset({4}))], calendar) == []
    assert due_reminders(now, [unit(sent_tiers=frozenset({5}))], calendar) == []
    assert due_reminders(now, [unit(sent_tiers=frozenset({1, 2, 3}))], calendar)[0].step.tier == 4


def test_times_in_other_zones_and_naive_times_are_read_as_vietnam_time(calendar):
    utc = datetime(2027, 2, 11, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội
    assert due_reminders(utc, [unit(sent_tiers=frozenset({1, 2}))], calendar)[0].step.tier == 3
    naive = datetime(2027, 2, 11, 7, 59)
    assert due_reminders(naive, [unit(sent_tiers=frozenset({1, 2}))], calendar) == []


def test_due_reminders_are_sorted_by_unit(calendar):
    units = [unit(9), unit(2), unit(5, deadline=date(2027, 3, 31))]
    assert [d.unit_id for d in due_reminders(at(date(2027, 2, 1)), units, calendar)] == [2, 9]


def test_ten_thousand_units_are_quick(calendar):
    deadlines = [DEADLINE + timedelta(days=i) for i in range(20)]
    units = [
        unit(i, deadline=deadlines[i % 20], submitted=i % 7 == 0, sent_tiers=frozenset({1}))
        for i in range(10_000)
    ]
    started = time.perf_counter()
    due = due_reminders(at(date(2027, 2, 12), 9), units, calendar)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0
    assert 0 < len(due) < 10_000


def test_standing_through_the_life_of_a_unit(calendar):
    def state(now: datetime, **changes: object) -> ProgressState:
        return standing(now, unit(**changes), calendar).state

    assert state(at(date(2027, 1, 20))) is ProgressState.ON_TRACK
    assert state(at(date(2027, 1, 27), 9)) is ProgressState.DUE_SOON
    assert state(at(DEADLINE, 17)) is ProgressState.DUE_SOON  # the deadline day itself
    assert state(at(date(2027, 2, 4))) is ProgressState.OVERDUE
    assert state(at(date(2027, 2, 4)), submitted=True) is ProgressState.SUBMITTED
    assert state(at(date(2027, 2, 4)), paused=True) is ProgressState.OVERDUE
    assert standing(at(date(2027, 2, 16)), unit(), calendar).working_days_left == -4
    assert standing(at(date(2027, 1, 20)), unit(), calendar).working_days_left == 10


def test_units_behind_lists_late_units_first_including_paused_ones(calendar):
    now = at(date(2027, 2, 15), 9)
    units = [
        unit(1, deadline=date(2027, 2, 12)),  # 1 working day late
        unit(2, deadline=date(2027, 2, 1), paused=True),  # 5 working days late, paused
        unit(3, deadline=date(2027, 2, 17)),  # due soon
        unit(4, deadline=date(2027, 2, 1), submitted=True),
        unit(5, deadline=date(2027, 3, 31)),  # on track
    ]
    behind = units_behind(now, units, calendar)
    assert [(s.unit_id, s.state, s.working_days_left) for s in behind] == [
        (2, ProgressState.OVERDUE, -5),
        (1, ProgressState.OVERDUE, -1),
        (3, ProgressState.DUE_SOON, 2),
    ]
