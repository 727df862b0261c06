"""The operator's administration as flows, so nothing an operator does is CLI-only: each has a
deployment whose parameter form the Prefect UI shows (typed; each field described in
Vietnamese from the ``Args`` of its docstring, which is where Prefect takes descriptions)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from prefect import flow
from pydantic import Field

from flows.common import deliver_outbox
from flows.monitor import publish_campaign_artifacts
from models.clock import resolve
from models.db import session_scope
from services.council_members import import_members
from services.links import LinkRotated, rotate_link
from services.units import (
    CalendarOverride,
    UnitPart,
    UnitsImported,
    extend_deadline,
    import_units,
    override_calendar_day,
    pause_reminders,
)

Required = Annotated[str, Field(min_length=1)]


@flow(name="import-units", log_prints=True)
def import_units_flow(
    csv_content: Required,
    file_name: str = "units.csv",
    actor: Required = "operator",
    now: datetime | None = None,
) -> UnitsImported:
    """Import the unit register: every row checked first; an error in any row saves nothing.

    Args:
        csv_content: Nội dung tệp CSV danh sách đơn vị, UTF-8 (the unit register's CSV)
        file_name: Tên tệp, để báo lỗi theo tệp (file name, for the error lines)
        actor: Người thực hiện, ghi vào nhật ký (who, for the audit log)
        now: Thời điểm coi là bây giờ; để trống là đồng hồ hệ thống (moment taken as now)
    """
    with session_scope() as session:
        return import_units(
            session, csv_content.encode("utf-8"), file_name, now=resolve(now), actor=actor
        )


@flow(name="import-council-members", log_prints=True)
def import_council_members_flow(
    campaign_code: Required,
    csv_content: Required,
    file_name: str = "hoi-dong.csv",
    actor: Required = "operator",
    now: datetime | None = None,
) -> int:
    """Import the council's members (name, position, unit_code, email, role); all or nothing.

    Args:
        campaign_code: Mã đợt thi đua (campaign code)
        csv_content: CSV thành viên, UTF-8: name,position,unit_code,email,role (members CSV)
        file_name: Tên tệp, để báo lỗi theo tệp (file name, for the error lines)
        actor: Người thực hiện, ghi vào nhật ký (who, for the audit log)
        now: Thời điểm coi là bây giờ; để trống là đồng hồ hệ thống (moment taken as now)
    """
    with session_scope() as session:
        return import_members(
            session, campaign_code, csv_content.encode("utf-8"), file_name, resolve(now), actor
        )


@flow(name="extend-unit-deadline", log_prints=True)
def extend_deadline_flow(
    campaign_code: Required,
    unit_code: Required,
    deadline: date,
    reason: Required,
    actor: Required = "operator",
    now: datetime | None = None,
) -> UnitPart:
    """Give one unit a new deadline; the reminder ladder follows it.

    Args:
        campaign_code: Mã đợt thi đua (campaign code)
        unit_code: Mã đơn vị (unit code)
        deadline: Hạn mới: một ngày làm việc, không trước hôm nay (new deadline: a working day)
        reason: Lý do gia hạn (reason)
        actor: Người thực hiện, ghi vào nhật ký (who, for the audit log)
        now: Thời điểm coi là bây giờ; để trống là đồng hồ hệ thống (moment taken as now)
    """
    moment = resolve(now)
    with session_scope() as session:
        part = extend_deadline(
            session, campaign_code, unit_code, deadline, reason=reason, now=moment, actor=actor
        )
    publish_campaign_artifacts(campaign_code, moment)
    return part


@flow(name="pause-unit-reminders", log_prints=True)
def pause_reminders_flow(
    campaign_code: Required,
    unit_code: Required,
    paused: bool = True,
    reason: str = "",
    actor: Required = "operator",
    now: datetime | None = None,
) -> UnitPart:
    """Pause (or resume) one unit's reminders.

    Args:
        campaign_code: Mã đợt thi đua (campaign code)
        unit_code: Mã đơn vị (unit code)
        paused: Tạm dừng nhắc; bỏ chọn để nhắc lại (pause; untick to resume)
        reason: Lý do (reason)
        actor: Người thực hiện, ghi vào nhật ký (who, for the audit log)
        now: Thời điểm coi là bây giờ; để trống là đồng hồ hệ thống (moment taken as now)
    """
    moment = resolve(now)
    with session_scope() as session:
        part = pause_reminders(
            session, campaign_code, unit_code, paused=paused, reason=reason, now=moment, actor=actor
        )
    publish_campaign_artifacts(campaign_code, moment)
    return part


@flow(name="override-calendar-day", log_prints=True)
def override_calendar_flow(
    day: date,
    name: Required,
    working_day: bool = False,
    source: str = "",
    actor: Required = "operator",
    now: datetime | None = None,
) -> CalendarOverride:
    """Record a late government announcement: a day off or a make-up working day.

    Args:
        day: Ngày được công bố (the day)
        name: Tên ngày nghỉ hoặc ngày làm bù (name of the day)
        working_day: Ngày làm bù; bỏ chọn nếu là ngày nghỉ (make-up working day; else a day off)
        source: Văn bản công bố (the announcement)
        actor: Người thực hiện, ghi vào nhật ký (who, for the audit log)
        now: Thời điểm coi là bây giờ; để trống là đồng hồ hệ thống (moment taken as now)
    """
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


@flow(name="rotate-unit-link", log_prints=True)
def rotate_link_flow(
    campaign_code: Required,
    unit_code: Required,
    reason: str = "",
    actor: Required = "operator",
    now: datetime | None = None,
) -> LinkRotated:
    """Revoke every personal link of one unit and email it a fresh one at once.

    Args:
        campaign_code: Mã đợt thi đua (campaign code)
        unit_code: Mã đơn vị (unit code)
        reason: Lý do, ví dụ đường dẫn bị lộ (reason, e.g. the link leaked)
        actor: Người thực hiện, ghi vào nhật ký (who, for the audit log)
        now: Thời điểm coi là bây giờ; để trống là đồng hồ hệ thống (moment taken as now)
    """
    moment = resolve(now)
    with session_scope() as session:
        rotated = rotate_link(
            session, campaign_code, unit_code, reason=reason, now=moment, actor=actor
        )
    # The unit has no working link until this email arrives: deliver now.
    deliver_outbox(moment)
    return rotated
