"""Vietnamese working days: weekends, public holidays, Tết, swapped days and make-up Saturdays.

The ``holidays`` package (pinned) knows the announced and rule-computed days off for Vietnam; an
operator's override table (late government announcements) wins over it. Counting is a plain loop
over two frozensets, a few microseconds per call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType

import holidays as holidays_package

_ONE_DAY = timedelta(days=1)

WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True)
class WorkCalendar:
    """Which days count as working days.

    ``holidays`` are days off (whatever weekday they fall on); ``makeup_workdays`` are weekend
    days that count (make-up Saturdays). The two sets are disjoint when built by
    ``vietnam_calendar``; if a day is in both, the make-up wins.
    """

    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    holiday_names: Mapping[date, str] = field(default_factory=dict, hash=False, compare=False)

    def is_working_day(self, day: date) -> bool:
        if day in self.makeup_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, day: date, n: int) -> date:
        """``n`` working days after ``day`` (before it if ``n`` < 0); ``day`` itself if ``n`` == 0.

        ``day`` need not be a working day: counting starts from the next (previous) day.
        """
        if n == 0:
            return day
        step = _ONE_DAY if n > 0 else -_ONE_DAY
        remaining = abs(n)
        off = self.holidays
        makeup = self.makeup_workdays
        current = day
        while remaining:
            current += step
            if current in makeup or (current.weekday() < 5 and current not in off):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; the negative of (end, start] if ``end`` < ``start``."""
        if end == start:
            return 0
        if end < start:
            return -self.working_days_between(end, start)
        off = self.holidays
        makeup = self.makeup_workdays
        count = 0
        current = start
        while current < end:
            current += _ONE_DAY
            if current in makeup or (current.weekday() < 5 and current not in off):
                count += 1
        return count

    def next_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, else the first working day after it."""
        current = day
        while not self.is_working_day(current):
            current += _ONE_DAY
        return current

    def holiday_name(self, day: date) -> str | None:
        """The Vietnamese name of the day off, if ``day`` is a holiday."""
        if day not in self.holidays:
            return None
        return self.holiday_names.get(day, "Ngày nghỉ")


def vietnam_calendar(
    years: Iterable[int], overrides: Iterable[tuple[date, bool, str]] = ()
) -> WorkCalendar:
    """The Vietnamese calendar for ``years``, with the operator's overrides applied last.

    Each override is ``(day, is_working_day, name)``: ``False`` declares a day off (e.g. a
    late-announced bridge day), ``True`` a working day (a make-up Saturday, or a holiday the
    government moved). Overrides apply even to days outside ``years``.

    Built once per distinct years and overrides (the calendar is immutable): the holidays
    package takes milliseconds to build a country's years, and the portal asks for the
    calendar on every page and upload.
    """
    return _vietnam_calendar(tuple(sorted(set(years))), tuple(overrides))


@lru_cache(maxsize=64)
def _vietnam_calendar(
    wanted: tuple[int, ...], overrides: tuple[tuple[date, bool, str], ...]
) -> WorkCalendar:
    source = holidays_package.country_holidays("VN", years=wanted, language="vi")
    names: dict[date, str] = {day: str(name) for day, name in source.items()}
    year_set = set(wanted)
    makeup = {
        day
        for day in getattr(source, "weekend_workdays", ())
        if day.year in year_set and day not in names
    }
    for day, is_working, name in overrides:
        if is_working:
            names.pop(day, None)
            if day.weekday() >= 5:
                makeup.add(day)
        else:
            makeup.discard(day)
            names[day] = name
    return WorkCalendar(
        holidays=frozenset(names),
        makeup_workdays=frozenset(makeup),
        holiday_names=MappingProxyType(names),
    )


def format_vn_date(day: date) -> str:
    """E.g. "Thứ Hai, ngày 15/02/2027" (Sunday is "Chủ nhật")."""
    return f"{WEEKDAYS_VI[day.weekday()]}, ngày {day:%d/%m/%Y}"


def format_en_date(day: date) -> str:
    """E.g. "Monday, 15 February 2027" (independent of the process locale)."""
    return f"{WEEKDAYS_EN[day.weekday()]}, {day.day} {MONTHS_EN[day.month - 1]} {day.year}"
