"""The one clock. Rules and flows take ``now`` from here, so tests and the demo can set time.

All times are Asia/Ho_Chi_Minh; naive datetimes never enter the domain.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_fixed_now: datetime | None = None


def set_now(moment: datetime | None) -> None:
    """Freeze the clock at ``moment`` (None returns to the wall clock)."""
    global _fixed_now
    _fixed_now = to_vn(moment) if moment is not None else None


def now() -> datetime:
    """The current moment in Vietnam: a frozen value, ``TONVINH_NOW``, or the wall clock."""
    if _fixed_now is not None:
        return _fixed_now
    env_now = os.environ.get("TONVINH_NOW")
    if env_now:
        return to_vn(datetime.fromisoformat(env_now))
    return datetime.now(VN_TZ)


def today() -> date:
    return now().date()


def to_vn(moment: datetime) -> datetime:
    """Attach or convert to Vietnam time; a naive value is taken to be Vietnam time already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=VN_TZ)
    return moment.astimezone(VN_TZ)


def resolve(moment: datetime | None) -> datetime:
    """A flow parameter ``now`` if given, else the clock: the single way flows read time."""
    return to_vn(moment) if moment is not None else now()
