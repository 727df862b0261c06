"""The operator's administration as flows, so nothing an operator does is CLI-only: each has a
deployment whose parameter form the Prefect UI shows (typed, with Vietnamese titles)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from prefect import flow
from pydantic import Field

from flows.monitor import publish_campaign_artifacts
from models.clock import resolve
from models.db import session_scope
from services.units import (
    CalendarOverride,
    UnitPart,
    UnitsImported,
    extend_deadline,
    import_units,
    override_calendar_day,
    pause_reminders,
)


@flow(name="import-units", log_prints=True)
def import_units_flow(
    csv_content: Annotated[
        str,
        Field(
            title="Nội dung tệp CSV đơn vị",
            description="Dán nội dung CSV (UTF-8) của danh sách đơn vị (unit register CSV content)",
        ),
    ],
    file_name: Annotated[str, Field(title="Tên tệp (file name)")] = "units.csv",
    actor: Annotated[str, Field(title="Người thực hiện (who)")] = "operator",
    now: datetime | None = None,
) -> UnitsImported:
    """Import the unit register: every row checked first; an error in any row saves nothing."""
    with session_scope() as session:
        return import_units(
            session, csv_content.encode("utf-8"), file_name, now=resolve(now), actor=actor
        )


@flow(name="extend-unit-deadline", log_prints=True)
def extend_deadline_flow(
    campaign_code: Annotated[str, Field(title="Mã đợt thi đua (campaign code)")],
    unit_code: Annotated[str, Field(title="Mã đơn vị (unit code)")],
    deadline: Annotated[
        date, Field(title="Hạn mới (new deadline): ngày làm việc, không trước hôm nay")
    ],
    reason: Annotated[str, Field(min_length=1, title="Lý do gia hạn (reason)")],
    actor: Annotated[str, Field(title="Người thực hiện (who)")] = "operator",
    now: datetime | None = None,
) -> UnitPart:
    """Give one unit a new deadline; the reminder ladder follows it."""
    moment = resolve(now)
    with session_scope() as session:
        part = extend_deadline(
            session, campaign_code, unit_code, deadline, reason=reason, now=moment, actor=actor
        )
    publish_campaign_artifacts(campaign_code, moment)
    return part


@flow(name="pause-unit-reminders", log_prints=True)
def pause_reminders_flow(
    campaign_code: Annotated[str, Field(title="Mã đợt thi đua (campaign code)")],
    unit_code: Annotated[str, Field(title="Mã đơn vị (unit code)")],
    paused: Annotated[bool, Field(title="Tạm dừng nhắc (pause); bỏ chọn để nhắc lại")] = True,
    reason: Annotated[str, Field(title="Lý do (reason)")] = "",
    actor: Annotated[str, Field(title="Người thực hiện (who)")] = "operator",
    now: datetime | None = None,
) -> UnitPart:
    """Pause (or resume) one unit's reminders."""
    moment = resolve(now)
    with session_scope() as session:
        part = pause_reminders(
            session, campaign_code, unit_code, paused=paused, reason=reason, now=moment, actor=actor
        )
    publish_campaign_artifacts(campaign_code, moment)
    return part


@flow(name="override-calendar-day", log_prints=True)
def override_calendar_flow(
    day: Annotated[date, Field(title="Ngày (day)")],
    name: Annotated[str, Field(min_length=1, title="Tên ngày nghỉ / làm bù (name of the day)")],
    working_day: Annotated[
        bool, Field(title="Ngày làm bù (make-up working day); bỏ chọn: ngày nghỉ")
    ] = False,
    source: Annotated[str, Field(title="Văn bản công bố (announcement)")] = "",
    actor: Annotated[str, Field(title="Người thực hiện (who)")] = "operator",
    now: datetime | None = None,
) -> CalendarOverride:
    """Record a late government announcement: a day off or a make-up working day."""
    with session_scope() as session:
        return override_calendar_day(
            session,
            day,
            working_day=working_day,
            name=name,
            source=source,
            now=resolve(now),
            actor=actor,
        )
