"""Builders for the documents' tests: nominees, and editing a list the way a user does in Excel."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from documents.nomination_list import (
    AwardChoice,
    ListHeader,
    ListLimits,
    ParsedList,
    SubmissionRejected,
    read_nomination_list,
    read_upload_file,
)
from models.nomination import InitiativeLevel, NominationCreate, NomineeKind

CAMPAIGN = "TV2018"
# March 2019, when the seed campaign collected its lists: "future" means after this.
TODAY = date(2019, 3, 1)
UNIT = "VU_BUU_CHINH"
# The titles and forms a 2018 campaign offers (not every award exists in every campaign).
AWARDS = (
    AwardChoice("LDTT", "Lao động tiên tiến", "title", "individual"),
    AwardChoice("CSTDCS", "Chiến sĩ thi đua cơ sở", "title", "individual"),
    AwardChoice("CSTD_BO", "Chiến sĩ thi đua cấp Bộ", "title", "individual"),
    AwardChoice("TTLDTT", "Tập thể lao động tiên tiến", "title", "collective"),
    AwardChoice("TTLDXS", "Tập thể lao động xuất sắc", "title", "collective"),
    AwardChoice("CTD_BO", "Cờ thi đua cấp Bộ", "title", "collective"),
    AwardChoice("BK_BT", "Bằng khen của Bộ trưởng", "form", "both"),
    AwardChoice("KNC", "Kỷ niệm chương", "form", "individual"),
)
HEADER = ListHeader(
    campaign_code=CAMPAIGN,
    campaign_name="Biểu dương, tôn vinh điển hình tiên tiến ngành TT&TT năm 2018",
    unit_code=UNIT,
    unit_name="Vụ Bưu chính",
    deadline=date(2019, 3, 8),
)
# An achievement that meets every title's report requirement, for the pipeline's nominees.
ACHIEVEMENT = "Hoàn thành xuất sắc nhiệm vụ; sáng kiến được công nhận cấp Bộ."


def person(name: str, born: date, **fields: Any) -> NominationCreate:
    values: dict[str, Any] = {
        "row_number": 0,
        "kind": NomineeKind.INDIVIDUAL,
        "full_name": name,
        "gender": "Nữ",
        "birth_date": born,
        "position": "Chuyên viên chính",
        "department": "Phòng Quản lý bưu chính",
        "workplace": "Vụ Bưu chính",
        "address": "18 Nguyễn Du, Hai Bà Trưng, Hà Nội",
        "category": "Công chức",
        "proposed_title": "CSTDCS",
        "achievement_summary": "Hoàn thành xuất sắc nhiệm vụ năm 2018.",
        "consecutive_base_years": 1,
        "initiative_level": InitiativeLevel.BASE,
        "excellent_completion": True,
    }
    values.update(fields)
    return NominationCreate(**values)


def individual(name: str, title: str, base_years: int, gender: str = "Nữ") -> NominationCreate:
    """One person proposed for ``title`` with ``base_years`` consecutive base-level titles and a
    ministry-level initiative: eligible for the titles of the pipeline tests."""
    return person(
        name,
        date(1985, 5, 12),
        row_number=4,
        gender=gender,
        proposed_title=title,
        achievement_summary=ACHIEVEMENT,
        consecutive_base_years=base_years,
        initiative_level=InitiativeLevel.MINISTRY,
    )


def collective(name: str, **fields: Any) -> NominationCreate:
    values: dict[str, Any] = {
        "row_number": 0,
        "kind": NomineeKind.COLLECTIVE,
        "full_name": name,
        "category": "Phòng",
        "proposed_title": "TTLDXS",
        "achievement_summary": "Tập thể hoàn thành xuất sắc nhiệm vụ năm 2018.",
        "women_share": 0.72,
    }
    values.update(fields)
    return NominationCreate(**values)


def edit(path: Path, change: Callable[[Any], None]) -> Path:
    """Open the list as Excel would (formulas kept, not evaluated), change it, save it."""
    book = load_workbook(path)
    change(book)
    book.save(path)
    return path


def read(
    path: Path,
    awards: Sequence[AwardChoice],
    *,
    today: date = TODAY,
    limits: ListLimits | None = None,
    **expected: str,
) -> ParsedList:
    """What intake does with a file: read its bytes (capped), parse them as of ``today``."""
    limits = limits or ListLimits()
    data = read_upload_file(path, limits.max_file_bytes)
    return read_nomination_list(data, awards, today=today, limits=limits, **expected)


def rejected(
    path: Path,
    awards: Sequence[AwardChoice],
    *,
    today: date = TODAY,
    limits: ListLimits | None = None,
    **expected: str,
) -> SubmissionRejected:
    """Parse and return the rejection; fail if the file was accepted."""
    try:
        parsed = read(path, awards, today=today, limits=limits, **expected)
    except SubmissionRejected as rejection:
        return rejection
    raise AssertionError(f"accepted with {len(parsed.nominations)} rows, expected a rejection")
