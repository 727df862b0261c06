"""The reminder ladder: when each unit is nudged, who is nudged, and who is behind.

A unit's ladder is a short list of steps in working days around its deadline. The scheduler may
run at any moment (or be down for a while): ``due_reminders`` answers "which single step is due
for each unit right now", never a backlog, never the same step twice.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum

from models.clock import VN_TZ, to_vn
from models.rules.calendar import WorkCalendar


class Audience(StrEnum):
    FOCAL = "focal"
    UNIT_HEAD = "unit_head"
    DEPARTMENT_HEAD = "department_head"


KIND_REMINDER = "reminder"
KIND_OVERDUE = "overdue"
KIND_ESCALATION_UNIT_HEAD = "escalation_unit_head"
KIND_ESCALATION_DEPARTMENT = "escalation_department"


@dataclass(frozen=True)
class LadderConfig:
    offsets: tuple[int, ...] = (-5, -2, 1)  # working days relative to the deadline (neg = before)
    escalate_every: int = 2  # after the last offset, a further step every N working days
    max_reminders: int = 6  # cap of steps per unit (all tiers included)
    send_hour: int = 8  # local time of day a step falls due

    def validate(self) -> None:
        """Raise ValueError (Vietnamese, then English) for a configuration that makes no ladder."""
        problems: list[str] = []
        if any(b <= a for a, b in zip(self.offsets, self.offsets[1:], strict=False)):
            problems.append(
                f"các mốc nhắc phải tăng dần {list(self.offsets)} / "
                f"offsets must be strictly increasing {list(self.offsets)}"
            )
        if self.escalate_every < 1:
            problems.append(
                f"chu kỳ leo thang phải ≥ 1 ngày làm việc ({self.escalate_every}) / "
                f"escalate_every must be >= 1 ({self.escalate_every})"
            )
        if self.max_reminders < 1:
            problems.append(
                f"số lần nhắc tối đa phải ≥ 1 ({self.max_reminders}) / "
                f"max_reminders must be >= 1 ({self.max_reminders})"
            )
        if not 0 <= self.send_hour <= 23:
            problems.append(
                f"giờ gửi phải trong 0–23 ({self.send_hour}) / "
                f"send_hour must be within 0-23 ({self.send_hour})"
            )
        if problems:
            raise ValueError("Cấu hình nhắc hạn không hợp lệ: " + "; ".join(problems))


@dataclass(frozen=True)
class ReminderStep:
    tier: int  # 1-based, in order
    offset: int  # working days relative to the deadline
    day: date
    at: datetime  # ``day`` at ``send_hour``, Asia/Ho_Chi_Minh
    audience: Audience
    kind: str  # reminder | overdue | escalation_unit_head | escalation_department


def plan_ladder(
    deadline: date, calendar: WorkCalendar, config: LadderConfig = LadderConfig()
) -> list[ReminderStep]:
    """The steps of one unit's ladder, in order, at most ``config.max_reminders`` of them.

    - each configured offset is a step to the focal contact: offsets <= 0 are reminders
      (offset 0 is the deadline itself), positive ones overdue notices;
    - after the last configured offset, a further step every ``escalate_every`` working days:
      the first goes to the unit head, all later ones to the department head. Escalations only
      ever fall after the deadline: if the last configured offset is not positive, they are
      counted from the deadline.
    """
    config.validate()
    planned: list[tuple[int, Audience, str]] = []
    for offset in config.offsets:
        kind = KIND_REMINDER if offset <= 0 else KIND_OVERDUE
        planned.append((offset, Audience.FOCAL, kind))
    last = max(config.offsets[-1], 0) if config.offsets else 0
    extra = 0
    while len(planned) < config.max_reminders:
        extra += 1
        offset = last + extra * config.escalate_every
        if extra == 1:
            planned.append((offset, Audience.UNIT_HEAD, KIND_ESCALATION_UNIT_HEAD))
        else:
            planned.append((offset, Audience.DEPARTMENT_HEAD, KIND_ESCALATION_DEPARTMENT))
    send_at = time(config.send_hour, tzinfo=VN_TZ)
    steps: list[ReminderStep] = []
    for tier, (offset, audience, kind) in enumerate(planned[: config.max_reminders], start=1):
        day = calendar.add_working_days(deadline, offset)
        steps.append(
            ReminderStep(
                tier=tier,
                offset=offset,
                day=day,
                at=datetime.combine(day, send_at),
                audience=audience,
                kind=kind,
            )
        )
    return steps


@dataclass(frozen=True)
class UnitProgress:
    unit_id: int
    deadline: date
    submitted: bool  # the unit answered: a list, or a nil return ("no nominations this year")
    paused: bool
    sent_tiers: frozenset[int]


@dataclass(frozen=True)
class DueReminder:
    unit_id: int
    step: ReminderStep
    working_days_left: int  # negative when overdue


class _LadderCache:
    """plan_ladder and working days left, computed once per distinct deadline."""

    def __init__(self, today: date, calendar: WorkCalendar, config: LadderConfig) -> None:
        config.validate()
        self.today = today
        self.calendar = calendar
        self.config = config
        self._steps: dict[date, tuple[list[ReminderStep], list[datetime]]] = {}
        self._left: dict[date, int] = {}

    def steps(self, deadline: date) -> tuple[list[ReminderStep], list[datetime]]:
        cached = self._steps.get(deadline)
        if cached is None:
            steps = plan_ladder(deadline, self.calendar, self.config)
            cached = (steps, [s.at for s in steps])
            self._steps[deadline] = cached
        return cached

    def working_days_left(self, deadline: date) -> int:
        left = self._left.get(deadline)
        if left is None:
            left = self.calendar.working_days_between(self.today, deadline)
            self._left[deadline] = left
        return left


def due_reminders(
    now: datetime,
    units: Iterable[UnitProgress],
    calendar: WorkCalendar,
    config: LadderConfig = LadderConfig(),
) -> list[DueReminder]:
    """For each unit still owing its submission, the one step due now, if any; by unit_id.

    The due step is the latest step whose time has come; it is sent only if it is newer than
    every step already sent (a scheduler that was down sends the latest step, not a backlog).
    Submitted and paused units get nothing.
    """
    moment = to_vn(now)
    cache = _LadderCache(moment.date(), calendar, config)
    due: list[DueReminder] = []
    for unit in units:
        if unit.submitted or unit.paused:
            continue
        steps, times = cache.steps(unit.deadline)
        passed = bisect_right(times, moment)
        if passed == 0:
            continue
        step = steps[passed - 1]
        if step.tier in unit.sent_tiers or step.tier <= max(unit.sent_tiers, default=0):
            continue
        due.append(DueReminder(unit.unit_id, step, cache.working_days_left(unit.deadline)))
    due.sort(key=lambda d: d.unit_id)
    return due


class ProgressState(StrEnum):
    SUBMITTED = "submitted"
    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class UnitStanding:
    unit_id: int
    state: ProgressState
    working_days_left: int


def _standing(moment: datetime, unit: UnitProgress, cache: _LadderCache) -> UnitStanding:
    left = cache.working_days_left(unit.deadline)
    if unit.submitted:
        state = ProgressState.SUBMITTED
    elif moment.date() > unit.deadline:
        state = ProgressState.OVERDUE
    else:
        steps, _ = cache.steps(unit.deadline)
        first_due = steps[0].at if steps else None
        if first_due is not None and first_due <= moment:
            state = ProgressState.DUE_SOON
        else:
            state = ProgressState.ON_TRACK
    return UnitStanding(unit.unit_id, state, left)


def standing(
    now: datetime,
    unit: UnitProgress,
    calendar: WorkCalendar,
    config: LadderConfig = LadderConfig(),
) -> UnitStanding:
    """Where one unit stands: submitted, on track, due soon (first reminder passed) or overdue.

    Pausing reminders does not change the standing: a paused unit that is late is still late.
    """
    moment = to_vn(now)
    return _standing(moment, unit, _LadderCache(moment.date(), calendar, config))


def standings(
    now: datetime,
    units: Iterable[UnitProgress],
    calendar: WorkCalendar,
    config: LadderConfig = LadderConfig(),
) -> list[UnitStanding]:
    """``standing`` for many units at once, in the given order: the ladder and the working days
    left are computed once per distinct deadline, not once per unit."""
    moment = to_vn(now)
    cache = _LadderCache(moment.date(), calendar, config)
    return [_standing(moment, unit, cache) for unit in units]


def units_behind(
    now: datetime,
    units: Iterable[UnitProgress],
    calendar: WorkCalendar,
    config: LadderConfig = LadderConfig(),
) -> list[UnitStanding]:
    """Units due soon or overdue (paused ones included), the most overdue first."""
    moment = to_vn(now)
    cache = _LadderCache(moment.date(), calendar, config)
    behind = [
        s
        for s in (_standing(moment, unit, cache) for unit in units)
        if s.state in (ProgressState.DUE_SOON, ProgressState.OVERDUE)
    ]
    behind.sort(key=lambda s: (s.working_days_left, s.unit_id))
    return behind
