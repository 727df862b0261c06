"""The conference's attendee list and its seating and badge list, as XLSX.

The attendee list has four sheets: who comes (a deputy named with the person they stand in
for), everyone invited with their answer, the count per delegation with the seats left, and the
programme. The programme is a sheet of this workbook rather than a Word document of its own:
its one changing part — who is called on stage, in which order — is the attendee list itself,
so both are refreshed together with every answer and cannot disagree; the speeches and the
printed programme for the delegates are the organising committee's own Word work.

Rows come in seating order (grouped by delegation, honourees first: the caller orders them). As
in the honourees list, every total is a value, not a formula, and a name is never a formula.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, Side

from documents.honourees import HEADER_ROW, _header, _titles
from documents.sheets import print_on_a4_landscape
from documents.text import vn_date

ATTENDING_SHEET = "Đại biểu dự"
INVITED_SHEET = "Toàn bộ khách mời"
SUMMARY_SHEET = "Tổng hợp theo đoàn"
PROGRAMME_SHEET = "Chương trình"
SEATING_SHEET = "Xếp chỗ - thẻ đại biểu"
ATTENDING_HEADERS = (
    "STT",
    "Đoàn / Đơn vị",
    "Họ tên người dự",
    "Chức vụ",
    "Dự thay cho",
    "Diện mời",
    "Khen thưởng",
    "Khu ghế",
)
INVITED_HEADERS = ("STT", "Đoàn / Đơn vị", "Họ tên khách mời", "Chức vụ", "Diện mời", "Trả lời")
SUMMARY_HEADERS = (
    "STT",
    "Đoàn / Đơn vị",
    "Được mời",
    "Tham dự",
    "Cử người dự thay",
    "Không tham dự",
    "Chưa trả lời",
    "Danh sách chờ",
)
SEATING_HEADERS = ("Khu ghế", "Số ghế", "Họ tên", "Chức vụ", "Đoàn / Đơn vị", "Thẻ")

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
CELL_STYLE = "tonvinh-cell"


@dataclass(frozen=True)
class AttendeeRow:
    """One invitee as the lists show them (who they are, their answer, who comes)."""

    delegation: str
    category: str  # as read: "Cá nhân được khen thưởng", "Báo chí", …
    invitee_name: str
    invitee_position: str
    answer: str  # as read: "Tham dự", "Cử người dự thay", …
    attending: bool  # someone comes (the invitee or the deputy)
    attendee_name: str
    attendee_position: str
    deputy: bool
    honours: tuple[str, ...]
    seat_area: str
    badge: str  # the badge's line: "ĐẠI BIỂU", "BÁO CHÍ", …


@dataclass(frozen=True)
class DelegationCount:
    delegation: str
    invited: int  # everyone emailed an invitation (answered or not)
    attending: int
    deputies: int
    declined: int
    no_answer: int
    waitlisted: int


@dataclass(frozen=True)
class AttendeeBook:
    campaign_name: str
    decision_number: str
    decision_date: date | None
    conference_date: date
    starts: str  # "08:00"
    venue: str
    capacity: int
    seats_left: int
    rows: Sequence[AttendeeRow]  # in seating order
    counts: Sequence[DelegationCount]
    programme: Sequence[tuple[str, str]]  # (time, item)


def _subtitle(book: AttendeeBook) -> str:
    decision = (
        f"Quyết định khen thưởng số {book.decision_number} ngày {vn_date(book.decision_date)}"
        if book.decision_number and book.decision_date
        else "Quyết định khen thưởng chưa ký"
    )
    return (
        f"{book.starts}, ngày {vn_date(book.conference_date)} tại {book.venue} — {decision}; "
        f"sức chứa {book.capacity} chỗ, còn trống {book.seats_left}"
    )


def _rows(sheet: Any, values: Sequence[Sequence[object]]) -> None:
    """Data rows under the header, every cell in the book's one named style: set by name, a
    cell's style costs a lookup instead of hashing a border and an alignment per cell (the list
    is rewritten with every answer)."""
    for offset, row in enumerate(values, start=1):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=HEADER_ROW + offset, column=column, value=value)
            cell.style = CELL_STYLE
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # a name is never a formula


def _workbook() -> Workbook:
    book = Workbook()
    book.remove(book.active)
    style = NamedStyle(name=CELL_STYLE)
    style.border = _BORDER
    style.alignment = Alignment(vertical="top", wrap_text=True)
    book.add_named_style(style)
    return book


def _sheet(book: Workbook, title: str, heading: str, subtitle: str, campaign: str) -> Any:
    sheet = book.create_sheet(title)
    _titles(sheet, heading, campaign, subtitle, 8)
    return sheet


def _finish(book: Workbook, path: Path, title: str) -> Path:
    for sheet in book.worksheets:
        print_on_a4_landscape(sheet, HEADER_ROW)
        sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    book.properties.creator = "tonvinh"
    book.properties.title = title
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def write_attendee_xlsx(path: Path, book: AttendeeBook) -> Path:
    """The attendee list: who comes, everyone invited, the count per delegation, the programme."""
    workbook = _workbook()
    subtitle = _subtitle(book)
    coming = [r for r in book.rows if r.attending]
    sheet = _sheet(
        workbook, ATTENDING_SHEET, "DANH SÁCH ĐẠI BIỂU DỰ HỘI NGHỊ", subtitle, book.campaign_name
    )
    _header(sheet, ATTENDING_HEADERS, (6, 30, 28, 26, 26, 22, 40, 30))
    _rows(
        sheet,
        [
            (
                number,
                r.delegation,
                r.attendee_name,
                r.attendee_position,
                f"{r.invitee_name}, {r.invitee_position}".strip(", ") if r.deputy else "",
                r.category,
                "; ".join(r.honours),
                r.seat_area,
            )
            for number, r in enumerate(coming, start=1)
        ],
    )
    sheet = _sheet(
        workbook, INVITED_SHEET, "DANH SÁCH KHÁCH MỜI VÀ TRẢ LỜI", subtitle, book.campaign_name
    )
    _header(sheet, INVITED_HEADERS, (6, 30, 28, 26, 26, 30))
    _rows(
        sheet,
        [
            (number, r.delegation, r.invitee_name, r.invitee_position, r.category, r.answer)
            for number, r in enumerate(book.rows, start=1)
        ],
    )
    sheet = _sheet(
        workbook, SUMMARY_SHEET, "TỔNG HỢP TRẢ LỜI THEO ĐOÀN", subtitle, book.campaign_name
    )
    _header(sheet, SUMMARY_HEADERS, (6, 36, 12, 12, 14, 14, 14, 14))
    counts = [
        (n, c.delegation, c.invited, c.attending, c.deputies, c.declined, c.no_answer, c.waitlisted)
        for n, c in enumerate(book.counts, start=1)
    ]
    totals: list[object] = [None, "Tổng cộng"]
    totals += [sum(int(str(row[i])) for row in counts) for i in range(2, 8)]
    _rows(sheet, [*counts, totals, (None, "Số chỗ còn trống", book.seats_left)])
    for column in range(1, 9):
        sheet.cell(row=HEADER_ROW + len(counts) + 1, column=column).font = Font(bold=True)
    sheet = _sheet(workbook, PROGRAMME_SHEET, "CHƯƠNG TRÌNH HỘI NGHỊ", subtitle, book.campaign_name)
    _header(sheet, ("Thời gian", "Nội dung"), (12, 90))
    lines: list[tuple[object, ...]] = [(at, item) for at, item in book.programme]
    lines.append(("", "Thứ tự trao khen thưởng (theo danh sách xếp chỗ):"))
    lines += [
        ("", f"{n}. {r.attendee_name} ({r.delegation}) — {'; '.join(r.honours)}")
        for n, r in enumerate((r for r in coming if r.honours), start=1)
    ]
    _rows(sheet, lines)
    return _finish(workbook, path, f"Danh sách đại biểu – {book.campaign_name}")


def write_seating_xlsx(path: Path, book: AttendeeBook) -> Path:
    """Who sits where and what each badge says: those who come, in seating order, numbered
    within their seat area."""
    workbook = _workbook()
    sheet = _sheet(
        workbook,
        SEATING_SHEET,
        "SƠ ĐỒ CHỖ NGỒI VÀ THẺ ĐẠI BIỂU",
        _subtitle(book),
        book.campaign_name,
    )
    _header(sheet, SEATING_HEADERS, (36, 8, 28, 28, 30, 22))
    numbers: dict[str, int] = {}
    values = []
    for row in book.rows:
        if not row.attending:
            continue
        numbers[row.seat_area] = numbers.get(row.seat_area, 0) + 1
        values.append(
            (
                row.seat_area,
                numbers[row.seat_area],
                row.attendee_name,
                row.attendee_position,
                row.delegation,
                row.badge,
            )
        )
    _rows(sheet, values)
    return _finish(workbook, path, f"Xếp chỗ và thẻ đại biểu – {book.campaign_name}")
