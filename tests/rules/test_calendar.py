"""Vietnamese working days, as an operator checks them against the printed calendar."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest

from models.rules.calendar import (
    WorkCalendar,
    format_en_date,
    format_vn_date,
    vietnam_calendar,
)


@pytest.fixture(scope="module")
def calendar() -> WorkCalendar:
    return vietnam_calendar(range(2018, 2028))


def test_tet_2027_three_working_days_after_3_february_is_15_february(calendar):
    assert calendar.add_working_days(date(2027, 2, 3), 3) == date(2027, 2, 15)
    # Tết 2027 runs from Thursday 4 to Wednesday 10 February: none of it counts.
    for day in range(4, 11):
        assert not calendar.is_working_day(date(2027, 2, day))
    assert "Tết" in calendar.holiday_names[date(2027, 2, 5)]


def test_tet_2019_friday_plus_one_working_day_is_monday_11_february(calendar):
    assert calendar.add_working_days(date(2019, 2, 1), 1) == date(2019, 2, 11)


def test_counting_backwards_mirrors_counting_forwards(calendar):
    assert calendar.add_working_days(date(2027, 2, 15), -3) == date(2027, 2, 3)
    assert calendar.add_working_days(date(2019, 2, 11), -1) == date(2019, 2, 1)


def test_zero_working_days_is_the_day_itself_even_on_a_holiday(calendar):
    assert calendar.add_working_days(date(2027, 2, 6), 0) == date(2027, 2, 6)


def test_make_up_saturday_counts_and_the_swapped_monday_does_not(calendar):
    # 2019: Monday 29 April was given off in exchange for Saturday 4 May.
    assert calendar.is_working_day(date(2019, 5, 4))
    assert not calendar.is_working_day(date(2019, 4, 29))
    assert calendar.add_working_days(date(2019, 5, 3), 1) == date(2019, 5, 4)
    # an ordinary Saturday does not count
    assert not calendar.is_working_day(date(2019, 5, 11))


def test_make_up_days_of_other_years_are_not_imported():
    only_2019 = vietnam_calendar([2019])
    assert only_2019.makeup_workdays == frozenset({date(2019, 1, 5), date(2019, 5, 4)})


def test_working_days_between_counts_the_half_open_interval(calendar):
    assert calendar.working_days_between(date(2027, 2, 3), date(2027, 2, 15)) == 3
    assert calendar.working_days_between(date(2027, 2, 15), date(2027, 2, 3)) == -3
    assert calendar.working_days_between(date(2027, 2, 3), date(2027, 2, 3)) == 0


def test_working_days_between_agrees_with_add_working_days(calendar):
    start = date(2018, 12, 20)
    for offset in range(0, 80, 3):
        day = start + timedelta(days=offset)
        if not calendar.is_working_day(day):
            continue
        for n in (-12, -5, -1, 1, 5, 12):
            assert calendar.working_days_between(day, calendar.add_working_days(day, n)) == n


def test_next_working_day(calendar):
    assert calendar.next_working_day(date(2027, 2, 4)) == date(2027, 2, 11)
    assert calendar.next_working_day(date(2027, 2, 11)) == date(2027, 2, 11)
    assert calendar.next_working_day(date(2019, 5, 4)) == date(2019, 5, 4)


def test_override_declaring_an_extra_day_off_moves_the_count():
    base = vietnam_calendar([2027])
    extra = vietnam_calendar([2027], [(date(2027, 2, 11), False, "Nghỉ bù Tết (công bố muộn)")])
    assert base.add_working_days(date(2027, 2, 3), 3) == date(2027, 2, 15)
    assert extra.add_working_days(date(2027, 2, 3), 3) == date(2027, 2, 16)
    assert extra.holiday_names[date(2027, 2, 11)] == "Nghỉ bù Tết (công bố muộn)"


def test_override_wins_over_the_package_both_ways():
    calendar = vietnam_calendar(
        [2019],
        [
            (date(2019, 4, 29), True, "Đi làm (điều chỉnh)"),  # package: day off
            (date(2019, 5, 4), False, "Huỷ làm bù"),  # package: make-up Saturday
            (date(2019, 5, 11), True, "Làm bù"),  # an ordinary Saturday
        ],
    )
    assert calendar.is_working_day(date(2019, 4, 29))
    assert not calendar.is_working_day(date(2019, 5, 4))
    assert calendar.is_working_day(date(2019, 5, 11))


def test_dates_in_letters():
    assert format_vn_date(date(2027, 2, 15)) == "Thứ Hai, ngày 15/02/2027"
    assert format_vn_date(date(2027, 2, 14)) == "Chủ nhật, ngày 14/02/2027"
    assert format_vn_date(date(2019, 3, 29)) == "Thứ Sáu, ngày 29/03/2019"
    assert format_en_date(date(2027, 2, 15)) == "Monday, 15 February 2027"
    assert format_en_date(date(2019, 3, 9)) == "Saturday, 9 March 2019"


def test_calendar_is_hashable_for_caching(calendar):
    assert hash(calendar) == hash(vietnam_calendar(range(2018, 2028)))


def test_adding_working_days_is_fast(calendar):
    started = time.perf_counter()
    for _ in range(10_000):
        calendar.add_working_days(date(2027, 1, 25), 20)
    assert time.perf_counter() - started < 1.0  # measured ~10 µs per call
