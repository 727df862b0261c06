"""Writing the list: each unit's own template, and filled lists for the demo and the tests.

The writer only lays the sheets out; what goes in each cell, the dropdowns and Excel's checks
come from the columns' codecs, the same ones the reader decodes with.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.protection import WorkbookProtection

from documents.nomination_list.dropdowns import CATEGORIES, Dropdown
from documents.nomination_list.layout import (
    FIRST_DATA_ROW,
    FORMATTED_ROWS,
    HEADER_ROW,
    INFO_ROW,
    META_FORMAT,
    SHEET_COLLECTIVES,
    SHEET_INDIVIDUALS,
    SHEET_LISTS,
    SHEET_META,
    SPECS,
    TEMPLATE_VERSION,
    TITLE_ROW,
    AwardChoice,
    AwardIndex,
    ListHeader,
    SheetSpec,
)
from documents.sheets import print_on_a4_landscape
from documents.text import vn_date
from models.nomination import NominationCreate

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")

# Stand-ins in a campaign's prototype list, replaced per unit (``write_unit_templates``).
_PROTO_CODE = "ZZTONVINHUNITCODEZZ"
_PROTO_NAME = "ZZTONVINHUNITNAMEZZ"
_PROTO_DEADLINE = date(1901, 2, 3)


def write_unit_template(path: Path, header: ListHeader, awards: Sequence[AwardChoice]) -> Path:
    """Write the blank list one unit fills in: its own code inside, the campaign's awards in
    the dropdowns."""
    return write_filled_list(path, header, awards, [])


def write_unit_templates(
    targets: Sequence[tuple[Path, ListHeader]], awards: Sequence[AwardChoice]
) -> list[Path]:
    """``write_unit_template`` for many units: the same files, ~10x faster.

    The workbook is laid out once per campaign with stand-ins for the unit's code, name and
    deadline; each unit's copy is that file with its own values put in (a zip rewrite of the
    few parts that carry them). 10,000 units took ~15 ms each through openpyxl.
    """
    prototypes: dict[tuple[str, str], tuple[dict[str, bytes], list[zipfile.ZipInfo]]] = {}
    written: list[Path] = []
    for path, header in targets:
        key = (header.campaign_code, header.campaign_name)
        if key not in prototypes:
            prototypes[key] = _prototype(header, awards)
        members, infos = prototypes[key]
        stand_ins = {
            _PROTO_CODE.encode(): _xml_text(header.unit_code),
            _PROTO_NAME.encode(): _xml_text(header.unit_name),
            vn_date(_PROTO_DEADLINE).encode(): _xml_text(vn_date(header.deadline)),
            _PROTO_DEADLINE.isoformat().encode(): _xml_text(header.deadline.isoformat()),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for info in infos:
                data = members[info.filename]
                if _PROTO_CODE.encode() in data or _PROTO_NAME.encode() in data:
                    for stand_in, value in stand_ins.items():
                        data = data.replace(stand_in, value)
                archive.writestr(info, data)
        written.append(path)
    return written


def _xml_text(value: str) -> bytes:
    return xml_escape(value).encode("utf-8")


def _prototype(
    header: ListHeader, awards: Sequence[AwardChoice]
) -> tuple[dict[str, bytes], list[zipfile.ZipInfo]]:
    stand_in = ListHeader(
        header.campaign_code, header.campaign_name, _PROTO_CODE, _PROTO_NAME, _PROTO_DEADLINE
    )
    buffer = io.BytesIO()
    book = _filled_workbook(stand_in, awards, [])
    book.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        infos = archive.infolist()
        members = {info.filename: archive.read(info) for info in infos}
    return members, infos


def write_filled_list(
    path: Path,
    header: ListHeader,
    awards: Sequence[AwardChoice],
    rows: Sequence[NominationCreate],
) -> Path:
    """The same layout as the template, filled with ``rows`` as a careful unit would fill it.

    Used by the demo's simulated units and by tests. Rows go to their sheet by ``kind`` in the
    given order (their ``row_number`` is ignored: position decides it). A title or form code
    that is not among ``awards`` is written as the raw code, so a simulated unit can submit a
    title the campaign does not offer and see it rejected.
    """
    book = _filled_workbook(header, awards, rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def fill_list(
    data: bytes, awards: Sequence[AwardChoice], rows: Sequence[NominationCreate]
) -> bytes:
    """A downloaded list (``data``) with ``rows`` typed into it, as a unit fills it in Excel:
    the header, the dropdowns and the unit's identity stay as downloaded; whatever rows it held
    (a pre-filled list shows the unit's dossiers) are replaced, each sheet in ``rows`` order."""
    index = AwardIndex(awards)
    book = load_workbook(io.BytesIO(data))
    for title, spec in zip((SHEET_INDIVIDUALS, SHEET_COLLECTIVES), SPECS, strict=True):
        sheet = book[title]
        for line in sheet.iter_rows(min_row=FIRST_DATA_ROW, max_col=len(spec.columns)):
            for cell in line:
                cell.value = None
        data_rows = [row for row in rows if row.kind == spec.kind]
        for offset, nomination in enumerate(data_rows):
            for position, column in enumerate(spec.columns, start=1):
                value = column.codec.encode(getattr(nomination, column.key, None), index)
                sheet.cell(row=FIRST_DATA_ROW + offset, column=position).value = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _filled_workbook(
    header: ListHeader, awards: Sequence[AwardChoice], rows: Sequence[NominationCreate]
) -> Workbook:
    index = AwardIndex(awards)
    book = Workbook()
    individuals = book.active
    individuals.title = SHEET_INDIVIDUALS
    collectives = book.create_sheet(SHEET_COLLECTIVES)
    _write_lists(book, book.create_sheet(SHEET_LISTS), index)
    _write_meta(book.create_sheet(SHEET_META), header)

    for sheet, spec in zip((individuals, collectives), SPECS, strict=True):
        data = [row for row in rows if row.kind == spec.kind]
        last_row = FIRST_DATA_ROW + max(FORMATTED_ROWS, len(data) + 200) - 1
        _lay_out(sheet, spec, header, index, last_row)
        for nomination in data:
            sheet.append(
                [column.codec.encode(getattr(nomination, column.key, None), index)
                 for column in spec.columns]
            )  # fmt: skip
        _format_data_cells(sheet, spec, len(data))

    book.security = WorkbookProtection(lockStructure=True)
    book.properties.creator = "tonvinh"
    book.properties.title = f"Danh sách đề nghị khen thưởng – {header.unit_name}"
    return book


def _dropdowns(index: AwardIndex) -> list[Dropdown]:
    """Every list of choices the sheets' columns offer, each once, in their place."""
    found: dict[str, Dropdown] = {}
    for spec in SPECS:
        for column in spec.columns:
            for dropdown in column.codec.dropdowns(spec.kind, index):
                found.setdefault(dropdown.name, dropdown)
    return sorted(found.values(), key=lambda dropdown: dropdown.rank)


def _write_lists(book: Workbook, sheet: Any, index: AwardIndex) -> None:
    """The "Danh mục" sheet: the dropdown lists (as defined names) and a code reference table."""
    dropdowns = _dropdowns(index)
    bold = Font(bold=True)
    for number, dropdown in enumerate(dropdowns, start=1):
        letter = get_column_letter(number)
        sheet.cell(row=1, column=number, value=dropdown.heading).font = bold
        sheet.column_dimensions[letter].width = dropdown.width
        for row, value in enumerate(dropdown.values, start=2):
            sheet.cell(row=row, column=number, value=value)
        if dropdown.values:
            reference = f"'{SHEET_LISTS}'!${letter}$2:${letter}${len(dropdown.values) + 1}"
            book.defined_names[dropdown.name] = DefinedName(dropdown.name, attr_text=reference)

    # The reference table: what each name means to the system (helps the department answer
    # questions; the parser reads names, never this table).
    start = len(dropdowns) + 2
    for offset, heading in enumerate(("Mã", "Tên", "Loại", "Đối tượng")):
        sheet.cell(row=1, column=start + offset, value=heading).font = bold
    nominee_vi = {"individual": "Cá nhân", "collective": "Tập thể", "both": "Cá nhân, tập thể"}
    for row, award in enumerate(index.by_code.values(), start=2):
        sheet.cell(row=row, column=start, value=award.code)
        sheet.cell(row=row, column=start + 1, value=award.name_vi)
        sheet.cell(row=row, column=start + 2, value=CATEGORIES[award.category].capitalize())
        sheet.cell(row=row, column=start + 3, value=nominee_vi[award.nominee])
    sheet.column_dimensions[get_column_letter(start + 1)].width = 40
    sheet.column_dimensions[get_column_letter(start + 2)].width = 22
    sheet.protection.sheet = True  # no password: it only prevents accidental edits


def _write_meta(sheet: Any, header: ListHeader) -> None:
    """The machine-readable identity of the list, in a sheet Excel's menus cannot unhide."""
    values = [
        ("format", META_FORMAT),
        ("template_version", TEMPLATE_VERSION),
        ("campaign_code", header.campaign_code),
        ("campaign_name", header.campaign_name),
        ("unit_code", header.unit_code),
        ("unit_name", header.unit_name),
        ("deadline", header.deadline.isoformat()),
    ]
    for row, (key, value) in enumerate(values, start=1):
        sheet.cell(row=row, column=1, value=key)
        cell = sheet.cell(row=row, column=2, value=value)
        cell.data_type = "s"  # a code such as "001" must stay text
    sheet.sheet_state = "veryHidden"
    sheet.protection.sheet = True


def _lay_out(
    sheet: Any, spec: SheetSpec, header: ListHeader, index: AwardIndex, last_row: int
) -> None:
    """Title, the unit's line and the note, the header row, widths, dropdowns and print setup."""
    width = len(spec.columns)
    last_letter = get_column_letter(width)
    sheet.cell(row=TITLE_ROW, column=1, value=spec.title)
    sheet.merge_cells(f"A{TITLE_ROW}:{last_letter}{TITLE_ROW}")
    title = sheet.cell(row=TITLE_ROW, column=1)
    title.font = Font(bold=True, size=14)
    title.alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[TITLE_ROW].height = 24

    info = (
        f"Đơn vị: {header.unit_name} (mã {header.unit_code}) · Đợt thi đua: "
        f"{header.campaign_name} · Hạn nộp: {vn_date(header.deadline)}\n{spec.note}"
    )
    sheet.cell(row=INFO_ROW, column=1, value=info)
    sheet.merge_cells(f"A{INFO_ROW}:{last_letter}{INFO_ROW}")
    sheet.cell(row=INFO_ROW, column=1).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.cell(row=INFO_ROW, column=1).font = Font(italic=True)
    sheet.row_dimensions[INFO_ROW].height = 48

    for number, column in enumerate(spec.columns, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=number, value=column.header)
        cell.font = Font(bold=True)
        cell.fill = _REQUIRED_FILL if column.required else _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = _BORDER
        if column.prompt:
            cell.comment = Comment(column.prompt, "tonvinh", width=260, height=90)
        letter = get_column_letter(number)
        sheet.column_dimensions[letter].width = column.width
        if column.codec.number_format:
            # A column style: Excel applies it to cells typed later (dates show dd/mm/yyyy).
            sheet.column_dimensions[letter].number_format = column.codec.number_format
        rule = column.codec.validation(spec.kind, index)
        if rule is not None:
            rule.add(f"{letter}{FIRST_DATA_ROW}:{letter}{last_row}")
            sheet.add_data_validation(rule)
    sheet.row_dimensions[HEADER_ROW].height = 62
    sheet.freeze_panes = f"C{FIRST_DATA_ROW}"  # header and the name stay in view

    print_on_a4_landscape(sheet, HEADER_ROW)


def _format_data_cells(sheet: Any, spec: SheetSpec, count: int) -> None:
    """Number the rows, format the cells as their codecs ask, and keep text that starts with
    "=" as text.

    Cells are addressed one by one: ``sheet[row]`` recomputes the sheet's width on every call,
    which turns 10,000 rows into minutes.
    """
    formats = [
        (number, column.codec.number_format)
        for number, column in enumerate(spec.columns, start=1)
        if column.codec.number_format
    ]
    wrapped = [n for n, column in enumerate(spec.columns, start=1) if column.codec.wrap]
    wrap = Alignment(wrap_text=True, vertical="top")
    width = len(spec.columns)
    for offset in range(count):
        row = FIRST_DATA_ROW + offset
        sheet.cell(row=row, column=1, value=offset + 1)  # STT
        for column, number_format in formats:
            sheet.cell(row=row, column=column).number_format = number_format
        for column in wrapped:
            sheet.cell(row=row, column=column).alignment = wrap
        for column in range(2, width + 1):
            cell = sheet.cell(row=row, column=column)
            if cell.data_type == "f":  # openpyxl reads a string starting with "=" as a formula
                cell.data_type = "s"
