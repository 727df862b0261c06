"""The portal's two languages: Vietnamese first, English by a switch per request.

The language is the request's own: ``?lang=en`` (or ``vi``) chooses it and a cookie remembers
the choice; nothing else does — never the process's ``TONVINH_LANG``, which is the operator's
command line. Templates hold both texts side by side: ``{{ t("Hạn nộp", "Deadline") }}``.
"""

from __future__ import annotations

from datetime import date, datetime

from starlette.requests import Request

from models.attachment import ATTACHMENT_KIND_EN, ATTACHMENT_KIND_VI, AttachmentKind
from models.campaign import ParticipationStatus
from models.clock import to_vn
from models.nomination import NOMINATION_STATUS_VI, NominationStatus
from models.rules.calendar import format_en_date, format_vn_date
from services.changes import FIELD_LABELS_VI

LANGS = ("vi", "en")
LANG_COOKIE = "tv_lang"

NOMINATION_STATUS_EN = {
    NominationStatus.SUBMITTED: "Awaiting review",
    NominationStatus.ELIGIBLE: "Eligible",
    NominationStatus.INELIGIBLE: "Not eligible",
    NominationStatus.RETURNED: "Returned to the unit",
    NominationStatus.WITHDRAWN: "Withdrawn by the unit",
    NominationStatus.PASSED: "Passed by the council",
    NominationStatus.NOT_PASSED: "Not passed by the council",
    NominationStatus.APPROVED: "Awaiting commendation",
    NominationStatus.EXCLUDED: "Not approved",
    NominationStatus.HONOURED: "Commended",
}
PARTICIPATION_VI = {
    ParticipationStatus.INVITED: "Chưa nhận công văn",
    ParticipationStatus.CALLED: "Chưa nộp danh sách",
    ParticipationStatus.SUBMITTED: "Đã nộp danh sách",
    ParticipationStatus.RETURNED: "Có hồ sơ bị trả lại, chờ nộp lại",
    ParticipationStatus.RESUBMITTED: "Đã nộp lại",
    ParticipationStatus.REVIEWED: "Đã thẩm định",
    ParticipationStatus.NIL_RETURN: "Không đề nghị khen thưởng năm nay",
}
PARTICIPATION_EN = {
    ParticipationStatus.INVITED: "Call not yet sent",
    ParticipationStatus.CALLED: "No list sent yet",
    ParticipationStatus.SUBMITTED: "List sent",
    ParticipationStatus.RETURNED: "Dossiers returned, awaiting resubmission",
    ParticipationStatus.RESUBMITTED: "List sent again",
    ParticipationStatus.REVIEWED: "Reviewed",
    ParticipationStatus.NIL_RETURN: "No nominations this year",
}
FIELD_LABELS_EN = {
    "kind": "Individual / collective",
    "full_name": "Full name",
    "gender": "Gender",
    "birth_date": "Date of birth",
    "position": "Position",
    "department": "Department",
    "workplace": "Workplace",
    "address": "Address",
    "category": "Category",
    "proposed_title": "Emulation title",
    "proposed_form": "Form of commendation",
    "achievement_summary": "Achievements",
    "consecutive_base_years": "Consecutive years as grassroots emulation fighter",
    "consecutive_ministry_years": "Consecutive ministry-level emulation fighter titles",
    "initiative_level": "Initiative",
    "excellent_completion": "Excellent completion of duties",
    "under_discipline": "Under discipline or investigation",
    "women_share": "Share of women",
    "attachments": "Attached files",
}


def request_lang(request: Request) -> str:
    """``?lang=`` first, then the cookie, then Vietnamese."""
    asked = request.query_params.get("lang", "")
    if asked in LANGS:
        return asked
    remembered = request.cookies.get(LANG_COOKIE, "")
    return remembered if remembered in LANGS else "vi"


class Texts:
    """What a template needs of the language: ``t(vi, en)`` and the formats."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGS else "vi"

    def __call__(self, vi: str, en: str) -> str:
        return en if self.lang == "en" else vi

    def long_date(self, day: date | None) -> str:
        if day is None:
            return "—"
        return format_en_date(day) if self.lang == "en" else format_vn_date(day)

    def short_date(self, day: date | None) -> str:
        return "—" if day is None else f"{day:%d/%m/%Y}"

    def moment(self, value: datetime | None) -> str:
        if value is None:
            return "—"
        local = to_vn(value)
        return f"{local:%H:%M} {local:%d/%m/%Y}"

    def days_left(self, days: int) -> str:
        if days > 0:
            return self(f"còn {days} ngày làm việc", f"{days} working day(s) left")
        if days == 0:
            return self("hôm nay là ngày cuối cùng", "today is the last day")
        return self(f"đã quá {-days} ngày làm việc", f"{-days} working day(s) ago")

    def nomination_status(self, status: str) -> str:
        value = NominationStatus(status)
        return NOMINATION_STATUS_EN[value] if self.lang == "en" else NOMINATION_STATUS_VI[value]

    def participation(self, status: str) -> str:
        value = ParticipationStatus(status)
        return PARTICIPATION_EN[value] if self.lang == "en" else PARTICIPATION_VI[value]

    def field(self, name: str) -> str:
        if self.lang == "en":
            return FIELD_LABELS_EN.get(name, name)
        return FIELD_LABELS_VI.get(name, name)

    def attachment_kind(self, kind: str) -> str:
        try:
            value = AttachmentKind(kind)
        except ValueError:
            value = AttachmentKind.OTHER
        return ATTACHMENT_KIND_EN[value] if self.lang == "en" else ATTACHMENT_KIND_VI[value]

    def size(self, size: int) -> str:
        if size >= 1024 * 1024:
            return f"{size / 1024 / 1024:.1f} MB"
        return f"{max(1, round(size / 1024))} KB"
