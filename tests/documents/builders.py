"""Builders for the documents' tests: nominees, and editing a list the way a user does in Excel."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from documents.nomination_list import (
    AwardChoice,
    ParsedList,
    SubmissionRejected,
    read_nomination_list,
)
from models.nomination import InitiativeLevel, NominationCreate, NomineeKind

CAMPAIGN = "TV2018"
UNIT = "VU_BUU_CHINH"
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


def rejected(path: Path, awards: list[AwardChoice], **expected: str) -> SubmissionRejected:
    """Parse and return the rejection; fail if the file was accepted."""
    try:
        parsed: ParsedList = read_nomination_list(path, awards, **expected)
    except SubmissionRejected as rejection:
        return rejection
    raise AssertionError(f"accepted with {len(parsed.nominations)} rows, expected a rejection")
