"""The list of honourees with their cash awards, as the finance office and the ceremony team use it.

The finance office pays from this sheet and the ceremony team calls names from it, often on a
phone or in a viewer that does not recalculate formulas; so every total is a computed value, not
a formula. Rows follow the decision's annex order (individuals, then collectives; higher awards
first) so the two documents can be checked line by line.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from documents.decision import KIND_HEADINGS, Honouree, group_honourees
from documents.sheets import print_on_a4_landscape
from documents.text import vn_date

LIST_SHEET = "Danh sách khen thưởng"
SUMMARY_SHEET = "Tổng hợp"
LIST_HEADERS = (
    "STT",
    "Họ tên / Tập thể",
    "Loại (Cá nhân/Tập thể)",
    "Chức vụ",
    "Đơn vị",
    "Danh hiệu / Hình thức",
    "Số tiền (VND)",
)
SUMMARY_HEADERS = ("STT", "Danh hiệu / Hình thức", "Mã", "Loại", "Số lượng", "Thành tiền (VND)")
HEADER_ROW = 5  # rows 1-3: title, campaign, decision; row 4 blank
AMOUNT_FORMAT = "#,##0"
TOTAL_LABEL = "Tổng cộng"

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")


def write_honourees_xlsx(
    path: Path,
    campaign_name: str,
    decision_number: str | None,
    decision_date: date | None,
    honourees: Sequence[Honouree],
) -> Path:
    """Write the list (one row per honouree, with a total) and the per-award summary; with no
    decision number yet, it says it goes with the draft (nobody pays from an unsigned list)."""
    groups = group_honourees(honourees)
    book = Workbook()
    listing = book.active
    listing.title = LIST_SHEET
    if decision_number and decision_date:
        subtitle = f"(Kèm theo Quyết định số {decision_number} ngày {vn_date(decision_date)})"
    else:
        subtitle = "(DỰ THẢO — kèm theo dự thảo Quyết định, chưa ký, chưa có số)"
    _titles(listing, "DANH SÁCH CÁ NHÂN, TẬP THỂ ĐƯỢC KHEN THƯỞNG", campaign_name, subtitle, 7)
    _header(listing, LIST_HEADERS, (6, 32, 14, 24, 34, 34, 16))
    row = HEADER_ROW + 1
    number = 0
    for group in groups:
        for member in group.members:
            number += 1
            _data_row(
                listing,
                row,
                [
                    number,
                    member.full_name,
                    KIND_HEADINGS[member.kind],
                    member.position,
                    member.workplace,
                    member.award_name,
                    member.amount,
                ],
            )
            row += 1
    total = sum(member.amount for member in honourees)
    counts = ", ".join(
        f"{sum(len(g.members) for g in groups if g.kind == kind)} {heading.lower()}"
        for kind, heading in KIND_HEADINGS.items()
    )
    _total_row(listing, row, [None, TOTAL_LABEL, counts], total, 7)
    listing.freeze_panes = f"A{HEADER_ROW + 1}"

    summary = book.create_sheet(SUMMARY_SHEET)
    _titles(summary, "TỔNG HỢP KHEN THƯỞNG THEO DANH HIỆU, HÌNH THỨC", campaign_name, subtitle, 6)
    _header(summary, SUMMARY_HEADERS, (6, 38, 14, 12, 12, 18))
    row = HEADER_ROW + 1
    for number, group in enumerate(groups, start=1):
        _data_row(
            summary,
            row,
            [
                number,
                group.award_name,
                group.award_code,
                KIND_HEADINGS[group.kind],
                len(group.members),
                group.amount,
            ],
        )
        row += 1
    _total_row(summary, row, [None, TOTAL_LABEL, None, None, len(honourees)], total, 6)

    for sheet in (listing, summary):
        print_on_a4_landscape(sheet, HEADER_ROW)
    book.properties.creator = "tonvinh"
    book.properties.title = f"Danh sách khen thưởng – Quyết định {decision_number or 'dự thảo'}"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _titles(sheet: Any, title: str, campaign_name: str, subtitle: str, width: int) -> None:
    last = get_column_letter(width)
    for row, (text, font) in enumerate(
        (
            (title, Font(bold=True, size=14)),
            (campaign_name, Font(bold=True)),
            (subtitle, Font(italic=True)),
        ),
        start=1,
    ):
        cell = sheet.cell(row=row, column=1, value=text)
        cell.font = font
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.merge_cells(f"A{row}:{last}{row}")


def _header(sheet: Any, headers: Sequence[str], widths: Sequence[float]) -> None:
    for column, (text, width) in enumerate(zip(headers, widths, strict=True), start=1):
        cell = sheet.cell(row=HEADER_ROW, column=column, value=text)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.row_dimensions[HEADER_ROW].height = 32


def _data_row(sheet: Any, row: int, values: Sequence[object]) -> None:
    last = len(values)
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column, value=value)
        cell.border = _BORDER
        if isinstance(value, str) and value.startswith("="):
            cell.data_type = "s"  # a name is never a formula
        if column == last:
            cell.number_format = AMOUNT_FORMAT
        elif column == 1 or isinstance(value, int):
            cell.alignment = Alignment(horizontal="center")


def _total_row(sheet: Any, row: int, values: Sequence[object], total: int, width: int) -> None:
    """The total as a value: viewers that do not recalculate still show the right figure."""
    for column in range(1, width + 1):
        value = values[column - 1] if column - 1 < len(values) else None
        cell = sheet.cell(row=row, column=column, value=value)
        cell.font = Font(bold=True)
        cell.fill = _TOTAL_FILL
        cell.border = _BORDER
    amount = sheet.cell(row=row, column=width, value=total)
    amount.number_format = AMOUNT_FORMAT
