"""The council's dossier pack: one XLSX row per dossier on the ballot, attached to the
convocation so each member can read the dossiers before voting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

PACK_SHEET = "Hồ sơ trình Hội đồng"
PACK_HEADERS = (
    "STT",
    "Đơn vị",
    "Họ tên / Tập thể",
    "Danh hiệu / Hình thức đề nghị",
    "Tóm tắt thành tích",
    "Kết quả thẩm định",
    "Căn cứ",
)
_WIDTHS = (6, 30, 28, 34, 60, 50, 40)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


@dataclass(frozen=True)
class PackRow:
    unit_name: str
    full_name: str
    awards: str
    achievements: str
    findings: str
    citations: str


def write_ballot_pack(path: Path, campaign_name: str, rows: Sequence[PackRow]) -> Path:
    """Write the pack (values only, no formulas: members read it on phones too)."""
    book = Workbook()
    sheet = book.active
    sheet.title = PACK_SHEET
    sheet.cell(row=1, column=1, value="HỒ SƠ TRÌNH HỘI ĐỒNG THI ĐUA - KHEN THƯỞNG").font = Font(
        bold=True, size=13
    )
    sheet.cell(row=2, column=1, value=campaign_name)
    for column, (header, width) in enumerate(zip(PACK_HEADERS, _WIDTHS, strict=True), start=1):
        cell = sheet.cell(row=4, column=column, value=header)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        sheet.column_dimensions[cell.column_letter].width = width
    for index, row in enumerate(rows, start=1):
        values = (
            index,
            row.unit_name,
            row.full_name,
            row.awards,
            row.achievements,
            row.findings,
            row.citations,
        )
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=4 + index, column=column, value=value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A5"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
