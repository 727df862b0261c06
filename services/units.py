"""Unit administration: the ministry's unit register (a CSV validated whole, saved
all-or-nothing), one unit's deadline and reminders in a campaign, and the holiday calendar's
late announcements. Every change is audited."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ValidationError
from sqlmodel import Session, select

from documents.nomination_list import ErrorCode, RowError
from documents.nomination_list.errors import ErrorLog
from models import audit
from models.audit import AuditEntity
from models.campaign import HolidayOverride
from models.rules.calendar import WorkCalendar, format_en_date, format_vn_date
from models.unit import Unit, UnitCreate
from services.campaigns import calendar_for, find_part, load_campaign
from services.csv_rows import read_csv_rows, report_empty, report_invalid
from services.errors import OperatorError

UNIT_COLUMNS = (
    "code",
    "name_vi",
    "abbreviation",
    "kind",
    "parent_code",
    "focal_name",
    "focal_email",
    "head_name",
    "head_email",
    "lang",
)
REQUIRED = ("code", "name_vi", "focal_name", "focal_email", "head_name", "head_email")
# A ministry's register is a few thousand units: far bigger files are refused, not read.
UNITS_CSV_MAX_ROWS = 50_000


def parse_units_csv(
    data: bytes, file_name: str, *, max_rows: int = UNITS_CSV_MAX_ROWS
) -> list[UnitCreate]:
    """Read and validate every row; raise with the problems, naming row and field.

    At most ``max_rows`` units are read (the caller caps the bytes): a ministry's register is a
    few thousand lines, so anything bigger is refused with the reason instead of being read
    for minutes.
    """
    sheet = file_name
    rows = read_csv_rows(
        data, file_name, required=REQUIRED, max_rows=max_rows, rows_vi="đơn vị", rows_en="units"
    )
    errors = ErrorLog()
    units: list[tuple[int, UnitCreate]] = []
    seen: dict[str, int] = {}
    for row_number, row in rows:
        empty = report_empty(errors, sheet, row_number, row, REQUIRED)
        code = row.get("code", "")
        if code in seen:
            errors.add(
                RowError(
                    sheet,
                    row_number,
                    "code",
                    ErrorCode.DUPLICATE,
                    f"Mã đơn vị trùng với dòng {seen[code]}",
                    f"duplicate of row {seen[code]}",
                )
            )
        seen.setdefault(code, row_number)
        try:
            unit = UnitCreate.model_validate(
                {
                    "code": code,
                    "name": row.get("name_vi", ""),
                    "abbreviation": row.get("abbreviation") or None,
                    "kind": row.get("kind") or "khac",
                    "parent_code": row.get("parent_code") or None,
                    "focal_name": row.get("focal_name", ""),
                    "focal_email": row.get("focal_email", ""),
                    "head_name": row.get("head_name", ""),
                    "head_email": row.get("head_email", ""),
                    "lang": (row.get("lang") or "vi").lower(),
                }
            )
            if not empty:
                units.append((row_number, unit))
        except ValidationError as exc:
            report_invalid(errors, sheet, row_number, exc, empty)
    known = set(seen)
    for row_number, unit in units:
        if unit.parent_code and unit.parent_code not in known:
            errors.add(
                RowError(
                    sheet,
                    row_number,
                    "parent_code",
                    ErrorCode.UNKNOWN_PARENT,
                    f"Đơn vị cấp trên '{unit.parent_code}' không có trong danh sách",
                    "unknown parent unit",
                )
            )
    if errors:
        raise errors.rejection()
    return [unit for _, unit in units]


def upsert_units(session: Session, units: list[UnitCreate]) -> tuple[int, int]:
    """Insert new units and update known ones by code; returns (created, updated).

    Prefer ``import_units``, which also records who imported what."""
    existing = {u.code: u for u in session.exec(select(Unit)).all()}
    created = updated = 0
    for unit in units:
        current = existing.get(unit.code)
        if current is None:
            session.add(Unit.model_validate(unit))
            created += 1
            continue
        changes = unit.model_dump(exclude_unset=False)
        if any(getattr(current, key) != value for key, value in changes.items()):
            current.sqlmodel_update(changes)
            session.add(current)
            updated += 1
    return created, updated


class UnitsImported(BaseModel):
    units: int
    created: int
    updated: int


def import_units(
    session: Session, data: bytes, file_name: str, *, now: datetime, actor: str
) -> UnitsImported:
    """The unit register from a CSV: every row checked first (a ``SubmissionRejected`` lists every
    problem with its row and column), then saved in the caller's transaction, audited."""
    units = parse_units_csv(data, file_name)
    created, updated = upsert_units(session, units)
    audit.record(
        session,
        at=now,
        actor=actor,
        entity=AuditEntity.UNIT,
        entity_id=0,
        action="register_imported",
        details={"file": file_name, "rows": len(units), "created": created, "updated": updated},
    )
    return UnitsImported(units=len(units), created=created, updated=updated)


class UnitPart(BaseModel):
    """One unit's deadline and reminder switch in a campaign, after a change."""

    unit: str
    deadline: date
    reminders_paused: bool


def deadline_refusal(day: date, today: date, calendar: WorkCalendar) -> OperatorError | None:
    """Why ``day`` cannot be a unit's new deadline, or None.

    A deadline in the past would make the unit overdue at once and fire the ladder's late
    steps; one on a day off could not be met, and the letters would name a holiday.
    """
    if day < today:
        return OperatorError(
            "deadline_in_past",
            f"Hạn mới {format_vn_date(day)} đã qua (hôm nay là {format_vn_date(today)}); "
            "không thay đổi gì.",
            f"The new deadline {format_en_date(day)} is before today ({format_en_date(today)}); "
            "nothing changed.",
            deadline=day.isoformat(),
            today=today.isoformat(),
        )
    if calendar.is_working_day(day):
        return None
    holiday = calendar.holiday_name(day)
    suggestion = calendar.next_working_day(day)
    why_vi = f"ngày nghỉ {holiday}" if holiday else "ngày nghỉ cuối tuần"
    why_en = f"a day off ({holiday})" if holiday else "a weekend day"
    return OperatorError(
        "deadline_on_day_off",
        f"Hạn mới {format_vn_date(day)} là {why_vi}, không phải ngày làm việc; ngày làm việc "
        f"tiếp theo là {format_vn_date(suggestion)} ({suggestion.isoformat()}). "
        "Không thay đổi gì.",
        f"The new deadline {format_en_date(day)} is {why_en}, not a working day; the next "
        f"working day is {format_en_date(suggestion)} ({suggestion.isoformat()}). "
        "Nothing changed.",
        deadline=day.isoformat(),
        next_working_day=suggestion.isoformat(),
    )


def extend_deadline(
    session: Session,
    campaign_code: str,
    unit_code: str,
    deadline: date,
    *,
    reason: str,
    now: datetime,
    actor: str,
) -> UnitPart:
    """Give one unit a new deadline (a working day, not before today); the reminder ladder
    follows it at the scheduler's next sync."""
    if not reason.strip():
        raise OperatorError(
            "reason_required", "Cần ghi lý do gia hạn.", "Say why the deadline is extended."
        )
    campaign = load_campaign(session, campaign_code)
    part, _unit = find_part(session, campaign, unit_code)
    assert part.id is not None
    refusal = deadline_refusal(deadline, now.date(), calendar_for(session, campaign))
    if refusal is not None:
        raise refusal
    audit.record(
        session,
        at=now,
        actor=actor,
        entity=AuditEntity.CAMPAIGN_UNIT,
        entity_id=part.id,
        campaign_id=campaign.id,
        action="deadline_extended",
        from_state=part.deadline.isoformat(),
        to_state=deadline.isoformat(),
        reason=reason.strip(),
    )
    part.deadline = deadline
    session.add(part)
    return UnitPart(unit=unit_code, deadline=part.deadline, reminders_paused=part.reminders_paused)


def pause_reminders(
    session: Session,
    campaign_code: str,
    unit_code: str,
    *,
    paused: bool,
    reason: str,
    now: datetime,
    actor: str,
) -> UnitPart:
    """Stop (or resume) one unit's reminders, audited with the reason."""
    campaign = load_campaign(session, campaign_code)
    part, _unit = find_part(session, campaign, unit_code)
    assert part.id is not None
    audit.record(
        session,
        at=now,
        actor=actor,
        entity=AuditEntity.CAMPAIGN_UNIT,
        entity_id=part.id,
        campaign_id=campaign.id,
        action="reminders_paused" if paused else "reminders_resumed",
        reason=reason,
    )
    part.reminders_paused = paused
    session.add(part)
    return UnitPart(unit=unit_code, deadline=part.deadline, reminders_paused=part.reminders_paused)


class CalendarOverride(BaseModel):
    day: date
    is_working_day: bool
    name: str


def override_calendar_day(
    session: Session,
    day: date,
    *,
    working_day: bool,
    name: str,
    source: str,
    now: datetime,
    actor: str,
) -> CalendarOverride:
    """Record a late government announcement (a day off or a make-up working day); it wins over
    the holidays package in every calendar from now on."""
    if not name.strip():
        raise OperatorError("name_required", "Cần ghi tên ngày nghỉ/làm bù.", "Name the day.")
    override = session.get(HolidayOverride, day) or HolidayOverride(
        day=day, is_working_day=working_day, name=name
    )
    override.sqlmodel_update({"is_working_day": working_day, "name": name, "source": source})
    session.add(override)
    audit.record(
        session,
        at=now,
        actor=actor,
        entity=AuditEntity.HOLIDAY_OVERRIDE,
        entity_id=day.toordinal(),
        action="set",
        to_state="working_day" if working_day else "day_off",
        reason=f"{name} {source}".strip(),
    )
    return CalendarOverride(day=day, is_working_day=working_day, name=name)
