"""When a unit may still send its list (or say it has none, or add attachments): while the
campaign takes lists and until the unit's own deadline — the operator's extension, or the
resubmission date a return gave it, whichever is later."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from models.campaign import Campaign, CampaignUnit, ParticipationStatus
from models.rules.calendar import format_en_date, format_vn_date
from services.errors import OperatorError
from services.intake import OPEN_STAGES


class ListWindow(BaseModel):
    open: bool
    closes_on: date  # the last day a list is taken (inclusive)
    deadline: date  # the unit's own deadline (the campaign's, or an operator's extension)
    campaign_deadline: date  # the deadline the call gave every unit
    extended: bool  # an operator moved this unit's deadline
    resubmission_due: date | None  # a return gave the unit until then
    closed_because: str | None  # "stage" (the campaign moved on) or "deadline"; None if open


def list_window(campaign: Campaign, part: CampaignUnit, today: date) -> ListWindow:
    closes_on = part.deadline
    resubmission = part.resubmission_due if part.status == ParticipationStatus.RETURNED else None
    if resubmission is not None and resubmission > closes_on:
        closes_on = resubmission
    if campaign.stage not in OPEN_STAGES:
        closed: str | None = "stage"
    elif today > closes_on:
        closed = "deadline"
    else:
        closed = None
    return ListWindow(
        open=closed is None,
        closes_on=closes_on,
        deadline=part.deadline,
        campaign_deadline=campaign.submission_due,
        extended=part.deadline != campaign.submission_due,
        resubmission_due=part.resubmission_due,
        closed_because=closed,
    )


def check_open(campaign: Campaign, part: CampaignUnit, today: date) -> ListWindow:
    """The window, or the refusal a unit reads when it is closed."""
    window = list_window(campaign, part, today)
    if window.closed_because == "stage":
        raise OperatorError(
            "list_closed",
            "Đợt thi đua đã qua giai đoạn nhận hồ sơ; trang này chỉ còn để xem.",
            "The campaign no longer takes lists; this page is for reading only.",
            stage=str(campaign.stage),
        )
    if window.closed_because == "deadline":
        raise OperatorError(
            "list_closed",
            f"Đã hết hạn nhận hồ sơ ({format_vn_date(window.closes_on)}); nếu cần gia hạn, "
            "xin liên hệ Vụ Thi đua – Khen thưởng.",
            f"The deadline has passed ({format_en_date(window.closes_on)}); to ask for an "
            "extension, contact the emulation and commendation department.",
            closes_on=window.closes_on.isoformat(),
        )
    return window
