"""The unit's Excel list of nominees: the system writes each unit its own copy and reads it back.

Owning the template is what makes intake reliable. The list a unit fills in is generated for that
unit, with dropdowns fed from the campaign's own titles and forms, and a very hidden sheet
("_tonvinh") that says whose list it is; the same module parses it back. Parsing is all or
nothing and reports *every* problem with its sheet, row and column, because a focal contact who
fixes one error only to be told about the next one, upload after upload, stops trusting the
system. Nothing typed by a person is trusted: strings are NFC-normalised (a list saved on a Mac
may spell "Nguyễn" in decomposed form), dates must be real date cells (text such as "12/05/1980"
is ambiguous between dd/mm and mm/dd), and formulas are refused because the value stored is not
necessarily the value the unit saw.
"""

from __future__ import annotations

import functools
import hashlib
import io
import itertools
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from openpyxl import Workbook, load_workbook
from openpyxl.cell.read_only import EMPTY_CELL
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import ValidationError

from documents.text import CLEANED_AWAY, DASHES, clean_text, match_key, vn_date
from models.nomination import Attachment, InitiativeLevel, NominationCreate, NomineeKind

SHEET_INDIVIDUALS = "Cá nhân"
SHEET_COLLECTIVES = "Tập thể"
SHEET_LISTS = "Danh mục"
SHEET_META = "_tonvinh"
META_FORMAT = "tonvinh.nomination_list"
TEMPLATE_VERSION = "1"
# Versions intake still reads. A layout change bumps the version; lists already sent out keep
# working only if their version stays in this set.
SUPPORTED_VERSIONS = frozenset({TEMPLATE_VERSION})

TITLE_ROW, INFO_ROW, HEADER_ROW, FIRST_DATA_ROW = 1, 2, 3, 4
# A blank template carries dropdowns and validation on this many rows (more than any unit sends).
FORMATTED_ROWS = 1000
MAX_FILE_BYTES = 50 * 1024 * 1024
_HEADER_SEARCH = 5  # rows below the header row searched for a header moved by inserted rows
MIN_AGE_YEARS = 15  # the minimum working age: a younger birth date is a typo in the year

YES, NO = "Có", "Không"
GENDERS = ("Nam", "Nữ")
INITIATIVE_LABELS: dict[InitiativeLevel, str] = {
    InitiativeLevel.NONE: "Không",
    InitiativeLevel.BASE: "Cơ sở",
    InitiativeLevel.MINISTRY: "Bộ",
    InitiativeLevel.NATIONAL: "Toàn quốc",
}
# What people actually type for the initiative level, beyond the dropdown's wording.
_INITIATIVE_BY_KEY: dict[str, InitiativeLevel] = {
    **{match_key(label): level for level, label in INITIATIVE_LABELS.items()},
    "cấp cơ sở": InitiativeLevel.BASE,
    "cấp bộ": InitiativeLevel.MINISTRY,
    "cấp toàn quốc": InitiativeLevel.NATIONAL,
}
_YES_NO_BY_KEY = {match_key(YES): True, match_key(NO): False}
_GENDER_BY_KEY = {match_key(g): g for g in GENDERS}
_DEFAULT_ATTACHMENT_KIND = Attachment(file_name="x").kind

CATEGORIES = {"title": "danh hiệu thi đua", "form": "hình thức khen thưởng"}
NOMINEES = ("individual", "collective", "both")
_KIND_VI = {NomineeKind.INDIVIDUAL: "cá nhân", NomineeKind.COLLECTIVE: "tập thể"}


# --------------------------------------------------------------------------------------------
# Public data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AwardChoice:
    """A title or form the campaign offers, as the list shows it (``name_vi``) and stores it."""

    code: str
    name_vi: str
    category: str  # "title" | "form"
    nominee: str  # "individual" | "collective" | "both"


@dataclass(frozen=True)
class ListHeader:
    """Whose list this is; written into the hidden sheet so intake never has to guess."""

    campaign_code: str
    campaign_name: str
    unit_code: str
    unit_name: str
    deadline: date


@dataclass(frozen=True)
class RowError:
    """One problem in a submitted file, located the way the unit sees it in Excel.

    ``row`` is the Excel row number (0 for problems with the file as a whole) and ``column`` the
    header text of the column without the "(*)" marker (empty for file-level problems).
    """

    sheet: str
    row: int
    column: str
    reason_vi: str
    reason_en: str
    code: str = "invalid"

    def __str__(self) -> str:
        where = []
        if self.sheet:
            where.append(f'Sheet "{self.sheet}"')
        if self.row:
            where.append(f"dòng {self.row}")
        if self.column:
            where.append(f'cột "{self.column}"')
        reason = f"{self.reason_vi} ({self.reason_en})"
        return f"{', '.join(where)}: {reason}" if where else reason


class SubmissionRejected(Exception):
    """The whole file is refused; ``errors`` lists every problem found, in sheet/row order."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


@dataclass(frozen=True)
class ParsedList:
    """A list that passed every check: whose it is, its rows, and the file's fingerprint.

    ``sha256`` lets intake recognise a re-upload of the very same file.
    """

    header: ListHeader
    nominations: list[NominationCreate]
    sha256: str


# --------------------------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------------------------

# The keys of the dropdown lists on "Danh mục" (also the workbook's defined names).
_LIST_GENDER = "DM_GIOI_TINH"
_LIST_YES_NO = "DM_CO_KHONG"
_LIST_INITIATIVE = "DM_SANG_KIEN"


def _award_list_name(kind: NomineeKind, category: str) -> str:
    award = "DH" if category == "title" else "HT"
    return f"DM_{award}_{'CA_NHAN' if kind == NomineeKind.INDIVIDUAL else 'TAP_THE'}"


@dataclass(frozen=True)
class _Column:
    """One column of a data sheet: where a NominationCreate field lives and how it is entered."""

    key: str  # NominationCreate field, or "stt"
    header: str  # the text on row 3
    width: float
    required: bool = False
    prompt: str = ""  # Excel's input message when the cell is selected (max 255 chars)

    @property
    def label(self) -> str:
        """The header without the "(*)" marker: how errors name the column."""
        return self.header.replace(" (*)", "")


@dataclass(frozen=True)
class _SheetSpec:
    name: str
    title: str
    kind: NomineeKind
    columns: tuple[_Column, ...]
    note: str

    def __post_init__(self) -> None:
        # Looked up for every cell of every row: a dict, not a scan of the columns.
        object.__setattr__(self, "_positions", {c.key: i for i, c in enumerate(self.columns)})

    @property
    def positions(self) -> dict[str, int]:
        """0-based position of the column holding each key."""
        positions: dict[str, int] = self.__dict__["_positions"]
        return positions

    def position(self, key: str) -> int:
        """0-based position of the column holding ``key``."""
        return self.positions[key]

    def column(self, key: str) -> _Column:
        return self.columns[self.position(key)]

    def letter(self, key: str) -> str:
        return get_column_letter(self.position(key) + 1)


_NAME_PROMPT = "Ghi đầy đủ họ tên có dấu, ví dụ: Nguyễn Thị Hương."
_TITLE_PROMPT = "Chọn từ danh sách thả xuống (danh hiệu của đợt thi đua này)."
_FORM_PROMPT = "Chọn từ danh sách thả xuống (hình thức khen thưởng của đợt thi đua này)."
_YES_NO_PROMPT = "Chọn Có hoặc Không. Để trống được hiểu là Không."
_SUMMARY_PROMPT = "Tóm tắt ngắn thành tích; báo cáo đầy đủ gửi kèm trong tệp đính kèm."
_FILES_PROMPT = "Tên các tệp gửi kèm (báo cáo thành tích, biên bản...), cách nhau bởi dấu ;"

INDIVIDUALS = _SheetSpec(
    name=SHEET_INDIVIDUALS,
    title="DANH SÁCH CÁ NHÂN ĐỀ NGHỊ KHEN THƯỞNG",
    kind=NomineeKind.INDIVIDUAL,
    columns=(
        _Column("stt", "STT", 6),
        _Column("full_name", "Họ và tên (*)", 26, True, _NAME_PROMPT),
        _Column("gender", "Giới tính (*)", 10, True, "Chọn Nam hoặc Nữ."),
        _Column(
            "birth_date",
            "Ngày sinh (*)",
            13,
            True,
            "Nhập ngày dạng dd/mm/yyyy, ví dụ 12/05/1980. Ô phải là kiểu ngày, không phải chữ.",
        ),
        _Column("position", "Chức vụ", 20),
        _Column("department", "Phòng ban / tổ công tác", 22),
        _Column("workplace", "Đơn vị công tác", 26),
        _Column("address", "Địa chỉ", 24),
        _Column("category", "Phân loại cán bộ", 16, False, "Ví dụ: Công chức, Viên chức..."),
        _Column("proposed_form", "Hình thức khen thưởng", 28, False, _FORM_PROMPT),
        _Column("proposed_title", "Danh hiệu thi đua (nếu có)", 28, False, _TITLE_PROMPT),
        _Column(
            "consecutive_base_years",
            "Số năm liên tục đạt CSTĐCS",
            13,
            False,
            "Số năm liên tục đạt Chiến sĩ thi đua cơ sở, tính cả năm nay (0-50).",
        ),
        _Column(
            "consecutive_ministry_years",
            "Số năm liên tục đạt CSTĐ cấp Bộ",
            13,
            False,
            "Số năm liên tục đạt Chiến sĩ thi đua cấp Bộ (0-50).",
        ),
        _Column(
            "initiative_level",
            "Sáng kiến (cấp công nhận: Không / Cơ sở / Bộ / Toàn quốc)",
            20,
            False,
            "Cấp cao nhất đã công nhận sáng kiến. Để trống được hiểu là Không.",
        ),
        _Column(
            "excellent_completion",
            "Hoàn thành xuất sắc nhiệm vụ (Có/Không)",
            15,
            False,
            _YES_NO_PROMPT,
        ),
        _Column(
            "under_discipline",
            "Đang bị kỷ luật, điều tra, khiếu nại (Có/Không)",
            17,
            False,
            _YES_NO_PROMPT,
        ),
        _Column("achievement_summary", "Tóm tắt thành tích (*)", 50, True, _SUMMARY_PROMPT),
        _Column("attachments", "Tệp đính kèm", 30, False, _FILES_PROMPT),
    ),
    note=(
        "Ghi chú: Cột có dấu (*) là bắt buộc. Mỗi cá nhân một dòng, từ dòng 4. Giới tính, "
        "danh hiệu, hình thức, Có/Không: chọn từ danh sách thả xuống. Ngày sinh nhập là ngày "
        "(dd/mm/yyyy), không nhập dạng chữ. Không dùng công thức. Phải có danh hiệu hoặc hình "
        "thức khen thưởng. Tên tệp đính kèm cách nhau bởi dấu ;"
    ),
)

COLLECTIVES = _SheetSpec(
    name=SHEET_COLLECTIVES,
    title="DANH SÁCH TẬP THỂ ĐỀ NGHỊ KHEN THƯỞNG",
    kind=NomineeKind.COLLECTIVE,
    columns=(
        _Column("stt", "STT", 6),
        _Column(
            "full_name",
            "Tên đơn vị / tập thể (*)",
            36,
            True,
            "Ghi đầy đủ tên tập thể và đơn vị, ví dụ: Phòng Tổng hợp, Cục Tin học hóa.",
        ),
        _Column("category", "Phân loại tập thể", 18, False, "Ví dụ: Phòng, Tổ, Trung tâm..."),
        _Column("proposed_form", "Hình thức khen thưởng", 30, False, _FORM_PROMPT),
        _Column("proposed_title", "Danh hiệu thi đua (nếu có)", 30, False, _TITLE_PROMPT),
        _Column(
            "women_share",
            "Tỷ lệ nữ (%)",
            11,
            False,
            "Tỷ lệ nữ trong tập thể, từ 0 đến 100 (ví dụ 45 nghĩa là 45%).",
        ),
        _Column(
            "under_discipline",
            "Đang bị kỷ luật, điều tra, khiếu nại (Có/Không)",
            17,
            False,
            _YES_NO_PROMPT,
        ),
        _Column("achievement_summary", "Tóm tắt thành tích (*)", 60, True, _SUMMARY_PROMPT),
        _Column("attachments", "Tệp đính kèm", 30, False, _FILES_PROMPT),
    ),
    note=(
        "Ghi chú: Cột có dấu (*) là bắt buộc. Mỗi tập thể một dòng, từ dòng 4. Danh hiệu, "
        "hình thức, Có/Không: chọn từ danh sách thả xuống. Tỷ lệ nữ là số từ 0 đến 100. "
        "Không dùng công thức. Phải có danh hiệu hoặc hình thức khen thưởng. Tên tệp đính kèm "
        "cách nhau bởi dấu ;"
    ),
)

_SPECS = (INDIVIDUALS, COLLECTIVES)
_SHEET_ORDER = {"": 0, SHEET_META: 0, SHEET_INDIVIDUALS: 1, SHEET_COLLECTIVES: 2}

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
_DATE_FORMAT = "dd/mm/yyyy"


# --------------------------------------------------------------------------------------------
# The campaign's awards, indexed the ways the list needs them
# --------------------------------------------------------------------------------------------


class _AwardIndex:
    """The awards on offer, by (sheet kind, category) and by the key of their Vietnamese name.

    An award for "both" appears on both sheets. Two different awards whose names share a key in
    the same dropdown would make a typed name ambiguous, so that is refused as a configuration
    error (a ValueError, not a unit's mistake).
    """

    def __init__(self, awards: Sequence[AwardChoice]) -> None:
        self.slots: dict[tuple[NomineeKind, str], dict[str, AwardChoice]] = {}
        self.by_code: dict[str, AwardChoice] = {}
        for award in awards:
            if award.category not in CATEGORIES:
                raise ValueError(f"award {award.code}: category must be title|form")
            if award.nominee not in NOMINEES:
                raise ValueError(f"award {award.code}: nominee must be one of {NOMINEES}")
            self.by_code[award.code] = award
            kinds = (
                [NomineeKind.INDIVIDUAL, NomineeKind.COLLECTIVE]
                if award.nominee == "both"
                else [NomineeKind(award.nominee)]
            )
            for kind in kinds:
                slot = self.slots.setdefault((kind, award.category), {})
                key = match_key(award.name_vi)
                other = slot.get(key)
                if other is not None and other.code != award.code:
                    raise ValueError(
                        f"Hai danh hiệu/hình thức trùng tên '{award.name_vi}' "
                        f"({other.code}, {award.code}). (Ambiguous award names.)"
                    )
                slot[key] = award

    def names(self, kind: NomineeKind, category: str) -> list[str]:
        return [award.name_vi for award in self.slots.get((kind, category), {}).values()]

    def find(self, kind: NomineeKind, category: str, text: str) -> AwardChoice | None:
        return self.slots.get((kind, category), {}).get(_lookup_key(text))

    def explain(self, kind: NomineeKind, category: str, text: str) -> tuple[str, str]:
        """Why a typed award was not accepted, pointing at the likely fix."""
        other_category = "form" if category == "title" else "title"
        if self.find(kind, other_category, text) is not None:
            column = (INDIVIDUALS if kind == NomineeKind.INDIVIDUAL else COLLECTIVES).column(
                f"proposed_{other_category}"
            )
            return (
                f'"{text}" là {CATEGORIES[other_category]}, hãy ghi vào cột "{column.label}"',
                f"'{text}' is a {other_category}; put it in the other column",
            )
        other_kind = (
            NomineeKind.COLLECTIVE if kind == NomineeKind.INDIVIDUAL else NomineeKind.INDIVIDUAL
        )
        if any(self.find(other_kind, c, text) for c in CATEGORIES):
            return (
                f'"{text}" chỉ xét cho {_KIND_VI[other_kind]}, không xét cho {_KIND_VI[kind]}',
                f"'{text}' is for {other_kind} nominees only",
            )
        return (
            f'"{text}" không có trong danh mục {CATEGORIES[category]} của đợt thi đua này; '
            f"hãy chọn từ danh sách thả xuống",
            f"'{text}' is not a {category} on offer in this campaign",
        )


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def write_unit_template(path: Path, header: ListHeader, awards: Sequence[AwardChoice]) -> Path:
    """Write the blank list one unit fills in: its own code inside, the campaign's awards in
    the dropdowns."""
    return write_filled_list(path, header, awards, [])


# Stand-ins in a campaign's prototype list, replaced per unit (``write_unit_templates``).
_PROTO_CODE = "ZZTONVINHUNITCODEZZ"
_PROTO_NAME = "ZZTONVINHUNITNAMEZZ"
_PROTO_DEADLINE = date(1901, 2, 3)


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
            prototypes[key] = _prototype(path.parent, header, awards)
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
    folder: Path, header: ListHeader, awards: Sequence[AwardChoice]
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


def _filled_workbook(
    header: ListHeader, awards: Sequence[AwardChoice], rows: Sequence[NominationCreate]
) -> Workbook:
    index = _AwardIndex(awards)
    book = Workbook()
    individuals = book.active
    individuals.title = SHEET_INDIVIDUALS
    collectives = book.create_sheet(SHEET_COLLECTIVES)
    _write_lists(book, book.create_sheet(SHEET_LISTS), index)
    _write_meta(book.create_sheet(SHEET_META), header)

    by_kind = {
        kind: [row for row in rows if row.kind == kind]
        for kind in (NomineeKind.INDIVIDUAL, NomineeKind.COLLECTIVE)
    }
    for sheet, spec in ((individuals, INDIVIDUALS), (collectives, COLLECTIVES)):
        data = by_kind[spec.kind]
        last_row = FIRST_DATA_ROW + max(FORMATTED_ROWS, len(data) + 200) - 1
        _lay_out(sheet, spec, header, index, last_row)
        for nomination in data:
            sheet.append([_cell_value(spec, c.key, nomination, index) for c in spec.columns])
        _format_data_cells(sheet, spec, len(data))

    book.security = WorkbookProtection(lockStructure=True)
    book.properties.creator = "tonvinh"
    book.properties.title = f"Danh sách đề nghị khen thưởng – {header.unit_name}"
    return book


def _write_lists(book: Workbook, sheet: Any, index: _AwardIndex) -> None:
    """The "Danh mục" sheet: the dropdown lists (as defined names) and a code reference table."""
    columns: list[tuple[str, str, list[str]]] = [
        (
            _award_list_name(kind, category),
            f"{CATEGORIES[category].capitalize()} – {_KIND_VI[kind]}",
            index.names(kind, category),
        )
        for kind in (NomineeKind.INDIVIDUAL, NomineeKind.COLLECTIVE)
        for category in ("title", "form")
    ]
    columns += [
        (_LIST_GENDER, "Giới tính", list(GENDERS)),
        (_LIST_YES_NO, "Có/Không", [YES, NO]),
        (_LIST_INITIATIVE, "Sáng kiến – cấp công nhận", list(INITIATIVE_LABELS.values())),
    ]
    bold = Font(bold=True)
    for number, (name, heading, values) in enumerate(columns, start=1):
        letter = get_column_letter(number)
        sheet.cell(row=1, column=number, value=heading).font = bold
        sheet.column_dimensions[letter].width = 34 if number <= 4 else 16
        for row, value in enumerate(values, start=2):
            sheet.cell(row=row, column=number, value=value)
        if values:
            reference = f"'{SHEET_LISTS}'!${letter}$2:${letter}${len(values) + 1}"
            book.defined_names[name] = DefinedName(name, attr_text=reference)

    # The reference table: what each name means to the system (helps the department answer
    # questions; the parser reads names, never this table).
    start = len(columns) + 2
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
    sheet: Any, spec: _SheetSpec, header: ListHeader, index: _AwardIndex, last_row: int
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
        if column.key == "birth_date":
            # A column style: Excel applies it to cells typed later, so dates show dd/mm/yyyy.
            sheet.column_dimensions[letter].number_format = _DATE_FORMAT
    sheet.row_dimensions[HEADER_ROW].height = 62
    sheet.freeze_panes = f"C{FIRST_DATA_ROW}"  # header and the name stay in view

    for validation in _validations(spec, index):
        first = spec.letter(validation.key)
        validation.rule.add(f"{first}{FIRST_DATA_ROW}:{first}{last_row}")
        sheet.add_data_validation(validation.rule)

    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"


@dataclass(frozen=True)
class _Validation:
    key: str
    rule: DataValidation


def _list_rule(list_name: str, prompt: str, error: str) -> DataValidation:
    return DataValidation(
        type="list",
        formula1=list_name,
        allow_blank=True,
        showInputMessage=True,
        promptTitle="Chọn từ danh sách",
        prompt=prompt,
        showErrorMessage=True,
        errorTitle="Giá trị không hợp lệ",
        error=error,
    )


def _validations(spec: _SheetSpec, index: _AwardIndex) -> list[_Validation]:
    """Excel-side checks: they stop most mistakes while typing, but a paste bypasses them, so
    the parser checks everything again."""
    rules: list[_Validation] = []
    for category in ("title", "form"):
        if index.names(spec.kind, category):
            rules.append(
                _Validation(
                    f"proposed_{category}",
                    _list_rule(
                        _award_list_name(spec.kind, category),
                        f"Chọn {CATEGORIES[category]} từ danh sách của đợt thi đua.",
                        f"Chỉ chọn {CATEGORIES[category]} có trong danh sách thả xuống.",
                    ),
                )
            )
    rules.append(
        _Validation(
            "under_discipline", _list_rule(_LIST_YES_NO, _YES_NO_PROMPT, "Chỉ chọn Có hoặc Không.")
        )
    )
    if spec.kind == NomineeKind.COLLECTIVE:
        rules.append(
            _Validation(
                "women_share",
                DataValidation(
                    type="decimal",
                    operator="between",
                    formula1="0",
                    formula2="100",
                    allow_blank=True,
                    showErrorMessage=True,
                    errorTitle="Giá trị không hợp lệ",
                    error="Tỷ lệ nữ là số từ 0 đến 100.",
                ),
            )
        )
        return rules
    rules += [
        _Validation("gender", _list_rule(_LIST_GENDER, "Chọn Nam hoặc Nữ.", "Chọn Nam hoặc Nữ.")),
        _Validation(
            "excellent_completion",
            _list_rule(_LIST_YES_NO, _YES_NO_PROMPT, "Chỉ chọn Có hoặc Không."),
        ),
        _Validation(
            "initiative_level",
            _list_rule(
                _LIST_INITIATIVE,
                "Cấp công nhận sáng kiến: Không, Cơ sở, Bộ hoặc Toàn quốc.",
                "Chỉ chọn: Không, Cơ sở, Bộ hoặc Toàn quốc.",
            ),
        ),
        _Validation(
            "birth_date",
            DataValidation(
                type="date",
                operator="between",
                formula1="DATE(1900,1,1)",
                formula2="TODAY()",
                allow_blank=True,
                showInputMessage=True,
                promptTitle="Ngày sinh",
                prompt="Nhập ngày dạng dd/mm/yyyy, ví dụ 12/05/1980.",
                showErrorMessage=True,
                errorTitle="Ngày sinh không hợp lệ",
                error="Nhập một ngày có thật, dạng dd/mm/yyyy (ví dụ 12/05/1980).",
            ),
        ),
    ]
    for key in ("consecutive_base_years", "consecutive_ministry_years"):
        rules.append(
            _Validation(
                key,
                DataValidation(
                    type="whole",
                    operator="between",
                    formula1="0",
                    formula2="50",
                    allow_blank=True,
                    showErrorMessage=True,
                    errorTitle="Giá trị không hợp lệ",
                    error="Số năm là số nguyên từ 0 đến 50.",
                ),
            )
        )
    return rules


def _cell_value(spec: _SheetSpec, key: str, row: NominationCreate, index: _AwardIndex) -> Any:
    """The value a careful unit would put in the cell for ``key``."""
    if key == "stt":
        return None  # filled in by _format_data_cells once the row number is known
    if key in ("proposed_title", "proposed_form"):
        code = getattr(row, key)
        if not code:
            return None
        award = index.by_code.get(code)
        return award.name_vi if award is not None else code
    if key in ("excellent_completion", "under_discipline"):
        return YES if getattr(row, key) else NO
    if key == "initiative_level":
        return INITIATIVE_LABELS[InitiativeLevel(row.initiative_level)]
    if key == "women_share":
        return None if row.women_share is None else round(row.women_share * 100, 4)
    if key == "attachments":
        names = [item.get("file_name", "") for item in row.attachments]
        return "; ".join(name for name in names if name) or None
    return getattr(row, key)


def _format_data_cells(sheet: Any, spec: _SheetSpec, count: int) -> None:
    """Number the rows, format the dates, and keep text that starts with "=" as text.

    Cells are addressed one by one: ``sheet[row]`` recomputes the sheet's width on every call,
    which turns 10,000 rows into minutes.
    """
    birth = spec.position("birth_date") + 1 if spec.kind == NomineeKind.INDIVIDUAL else None
    summary = spec.position("achievement_summary") + 1
    wrap = Alignment(wrap_text=True, vertical="top")
    width = len(spec.columns)
    for offset in range(count):
        row = FIRST_DATA_ROW + offset
        sheet.cell(row=row, column=1, value=offset + 1)
        if birth is not None:
            sheet.cell(row=row, column=birth).number_format = _DATE_FORMAT
        sheet.cell(row=row, column=summary).alignment = wrap
        for column in range(2, width + 1):
            cell = sheet.cell(row=row, column=column)
            if cell.data_type == "f":  # openpyxl reads a string starting with "=" as a formula
                cell.data_type = "s"


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


class _UnreadableFile(Exception):
    """openpyxl failed while streaming the file: it is damaged, whatever it claims to be."""


def _not_readable(reason_vi: str, reason_en: str) -> SubmissionRejected:
    return SubmissionRejected([RowError("", 0, "", reason_vi, reason_en)])


def read_upload_file(path: Path, max_bytes: int) -> bytes:
    """A list from disk, never read past ``max_bytes``."""
    return _read_bytes(path)


def read_nomination_list(
    data: bytes,
    awards: Sequence[AwardChoice],
    *,
    today: date,
    expected_unit_code: str | None = None,
    expected_campaign_code: str | None = None,
) -> ParsedList:
    """Parse a unit's list, or raise :class:`SubmissionRejected` with every problem in it.

    ``awards`` are the campaign's titles and forms on offer: a name is accepted only if it is
    one of them and fits the sheet (individual or collective). The hidden sheet says whose list
    this is; when ``expected_unit_code``/``expected_campaign_code`` are given, a list belonging
    to another unit or campaign is refused.
    """
    index = _AwardIndex(awards)  # a configuration error surfaces as ValueError, before the file
    return _parse(data, index, today, expected_unit_code, expected_campaign_code)


def _parse(
    data: bytes,
    index: _AwardIndex,
    today: date,
    expected_unit_code: str | None,
    expected_campaign_code: str | None,
) -> ParsedList:
    book = _open_workbook(data)
    errors: list[RowError] = []
    nominations: list[NominationCreate] = []
    try:
        header = _read_meta(book, errors, expected_unit_code, expected_campaign_code)
        seen_rows = 0
        headers_ok = True
        for spec in _SPECS:
            sheet_name = _find_sheet(book.sheetnames, spec.name)
            if sheet_name is None:
                errors.append(
                    RowError(
                        spec.name,
                        0,
                        "",
                        f'Thiếu sheet "{spec.name}"; hãy dùng đúng tệp mẫu đã được gửi, không '
                        f"đổi tên hay xóa sheet",
                        f"sheet '{spec.name}' is missing",
                    )
                )
                headers_ok = False
                continue
            result = _read_sheet(book[sheet_name], spec, index, errors, today)
            headers_ok = headers_ok and result.header_ok
            seen_rows += result.rows_seen
            nominations += result.nominations
    except _UnreadableFile as exc:
        raise _not_readable(
            "Tệp Excel bị hỏng, không đọc được hết nội dung. Hãy mở tệp bằng Excel và lưu lại "
            "dạng .xlsx rồi gửi lại",
            f"damaged workbook: {type(exc.__cause__).__name__}",
        ) from exc
    finally:
        book.close()
    if headers_ok and seen_rows == 0:
        errors.append(
            RowError(
                "",
                0,
                "",
                "Danh sách không có dòng nào: chưa nhập cá nhân hay tập thể nào, từ dòng 4",
                "the list has no rows",
            )
        )
    if errors or header is None:
        raise SubmissionRejected(sorted(errors, key=_error_order))
    digest = hashlib.sha256(data).hexdigest()
    return ParsedList(header=header, nominations=nominations, sha256=digest)


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _not_readable(
                f"Tệp quá lớn ({size // (1024 * 1024)} MB, tối đa "
                f"{MAX_FILE_BYTES // (1024 * 1024)} MB). Danh sách không chèn ảnh hay tệp khác",
                "file too large",
            )
        return path.read_bytes()
    except OSError as exc:
        raise _not_readable(
            f'Không đọc được tệp "{path.name}"', f"cannot read file: {exc.strerror or exc}"
        ) from exc


def _open_workbook(data: bytes) -> Any:
    """Open from bytes (so the file's extension does not matter) with a clear error for files
    that are not .xlsx. Read-only mode streams the sheets, which keeps 10,000 rows fast, and
    still reports formulas (data_type "f") because data_only is off."""
    if not data:
        raise _not_readable("Tệp rỗng (0 byte)", "empty file")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _not_readable(
            "Tệp ở định dạng Excel 97-2003 (.xls) hoặc đang đặt mật khẩu. Hãy bỏ mật khẩu nếu "
            'có và lưu lại dạng "Excel Workbook (*.xlsx)" trên đúng tệp mẫu',
            "legacy .xls or password-protected workbook, not .xlsx",
        )
    if not data.startswith(b"PK"):
        raise _not_readable(
            "Tệp không phải bảng tính Excel (.xlsx). Hãy gửi đúng tệp mẫu danh sách đã điền",
            "not an .xlsx file",
        )
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # any failure to open untrusted input is the file's fault
        raise _not_readable(
            "Không mở được tệp: tệp hỏng hoặc không phải bảng tính Excel (.xlsx). Hãy gửi đúng "
            "tệp mẫu danh sách đã điền",
            f"not a readable .xlsx workbook ({type(exc).__name__})",
        ) from exc


def _find_sheet(names: Sequence[str], wanted: str) -> str | None:
    """The sheet called ``wanted``, tolerating case, spacing and decomposed Unicode."""
    if wanted in names:
        return wanted
    key = match_key(wanted)
    return next((name for name in names if match_key(name) == key), None)


def _rows(sheet: Any, **bounds: int) -> Iterator[tuple[Any, ...]]:
    """Stream rows, turning openpyxl's failures on a damaged file into :class:`_UnreadableFile`
    (and only those: errors in this module's own code must not pass for a bad file)."""
    iterator = sheet.iter_rows(**bounds)
    while True:
        try:
            row = next(iterator)
        except StopIteration:
            return
        except Exception as exc:
            raise _UnreadableFile() from exc
        yield row


def _meta_error(vi: str, en: str) -> RowError:
    return RowError("", 0, "", vi, en)


def _read_meta(
    book: Any,
    errors: list[RowError],
    expected_unit_code: str | None,
    expected_campaign_code: str | None,
) -> ListHeader | None:
    """Read whose list this is from the hidden sheet; wrong owner or version is an error."""
    name = _find_sheet(book.sheetnames, SHEET_META)
    if name is None:
        errors.append(
            _meta_error(
                "Tệp không phải danh sách do hệ thống cấp cho đơn vị (thiếu phần nhận diện đơn "
                "vị). Hãy điền vào đúng tệp mẫu đã gửi kèm công văn, không chép sang tệp mới",
                f"not a list issued by the system: hidden sheet '{SHEET_META}' is missing",
            )
        )
        return None
    values: dict[str, str] = {}
    for row in _rows(book[name], max_col=2):
        if len(row) < 2 or row[0].value is None:
            continue
        values[str(row[0].value).strip()] = clean_text(str(row[1].value or ""))
    version = values.get("template_version", "")
    if values.get("format") != META_FORMAT or version not in SUPPORTED_VERSIONS:
        errors.append(
            _meta_error(
                f"Mẫu danh sách (phiên bản {version or '?'}) không còn được hỗ trợ hoặc đã bị "
                "sửa. Hãy dùng tệp mẫu mới nhất đã gửi cho đơn vị",
                f"unsupported template version '{version}'",
            )
        )
        return None
    try:
        header = ListHeader(
            campaign_code=values["campaign_code"],
            campaign_name=values.get("campaign_name", ""),
            unit_code=values["unit_code"],
            unit_name=values.get("unit_name", ""),
            deadline=date.fromisoformat(values["deadline"]),
        )
    except (KeyError, ValueError):
        errors.append(
            _meta_error(
                "Phần nhận diện đơn vị trong tệp bị hỏng. Hãy dùng lại tệp mẫu đã gửi cho đơn vị",
                "identification sheet is damaged",
            )
        )
        return None
    if not header.campaign_code or not header.unit_code:
        errors.append(
            _meta_error(
                "Phần nhận diện đơn vị trong tệp bị hỏng. Hãy dùng lại tệp mẫu đã gửi cho đơn vị",
                "identification sheet has no campaign or unit code",
            )
        )
        return None
    if expected_campaign_code is not None and header.campaign_code != expected_campaign_code:
        errors.append(
            _meta_error(
                f'Danh sách này thuộc đợt thi đua "{header.campaign_name}" (mã '
                f"{header.campaign_code}), không phải đợt {expected_campaign_code}",
                f"list belongs to campaign {header.campaign_code}, "
                f"expected {expected_campaign_code}",
            )
        )
    if expected_unit_code is not None and header.unit_code != expected_unit_code:
        errors.append(
            _meta_error(
                f'Danh sách này là của đơn vị "{header.unit_name}" (mã {header.unit_code}), '
                f"không phải của đơn vị {expected_unit_code}. Mỗi đơn vị nộp đúng tệp mẫu của "
                "mình",
                f"list belongs to unit {header.unit_code}, expected {expected_unit_code}",
            )
        )
    return header


def _header_key(text: str) -> str:
    """Headers compare without case, spacing or the required marker ("(*)" or "*")."""
    return " ".join(match_key(text).replace("(*)", " ").replace("*", " ").split())


@dataclass
class _SheetResult:
    header_ok: bool
    rows_seen: int
    nominations: list[NominationCreate]


def _read_sheet(
    sheet: Any, spec: _SheetSpec, index: _AwardIndex, errors: list[RowError], today: date
) -> _SheetResult:
    """Check the header, then every non-empty row, in one streaming pass over the sheet."""
    # The stored dimension can be wrong in files from other tools; without it, rows are read
    # as they are and padded here.
    sheet.reset_dimensions()
    rows = _rows(sheet, min_row=1)
    width = len(spec.columns)
    # Rows 1-3 and a few more: enough to recognise a header that rows inserted above moved.
    head = list(itertools.islice(rows, HEADER_ROW + _HEADER_SEARCH))
    problems = _header_problems(spec, head[HEADER_ROW - 1] if len(head) >= HEADER_ROW else ())
    if problems:
        moved_to = next(
            (
                number
                for number, cells in enumerate(head, start=1)
                if number != HEADER_ROW and not _header_problems(spec, cells)
            ),
            None,
        )
        if moved_to is None:
            errors += problems
        else:
            errors.append(
                RowError(
                    spec.name,
                    moved_to,
                    "",
                    f"Dòng tiêu đề phải ở dòng {HEADER_ROW} nhưng đang ở dòng {moved_to}: đã có "
                    "dòng bị chèn hoặc xóa phía trên. Hãy để nguyên 3 dòng đầu của mẫu",
                    f"header row found on row {moved_to}, expected row {HEADER_ROW}",
                )
            )
        return _SheetResult(False, 0, [])
    errors += _merged_cells(sheet, spec)

    nominations: list[NominationCreate] = []
    identities: dict[object, list[int]] = {}
    seen = 0
    for offset, raw in enumerate(itertools.chain(head[HEADER_ROW:], rows)):
        cells = tuple(raw[:width]) + (EMPTY_CELL,) * (width - len(raw))
        if all(_blank(cell.value) for cell in cells[1:]):
            continue  # an empty row, or one where only STT was pre-numbered
        seen += 1
        row = _RowReader(spec, FIRST_DATA_ROW + offset, cells, index, errors, today)
        nomination = row.read()
        if row.identity is not None:
            identities.setdefault(row.identity, []).append(row.number)
        if nomination is not None:
            nominations.append(nomination)

    name_label = spec.column("full_name").label
    what = "họ tên và ngày sinh" if spec.kind == NomineeKind.INDIVIDUAL else "tên tập thể"
    for numbers in identities.values():
        if len(numbers) < 2:
            continue
        for number in numbers:
            others = ", ".join(str(n) for n in numbers if n != number)
            errors.append(
                RowError(
                    spec.name,
                    number,
                    name_label,
                    f"Trùng với dòng {others} (cùng {what}); mỗi {_KIND_VI[spec.kind]} chỉ "
                    "ghi một dòng",
                    f"duplicate nominee, same as row {others}",
                )
            )
    return _SheetResult(True, seen, nominations)


def _header_problems(spec: _SheetSpec, cells: Sequence[Any]) -> list[RowError]:
    """Row 3 must carry the template's headers in order; one error per column that differs."""
    found = [
        clean_text(str(cell.value)) if cell.value is not None else ""
        for cell in list(cells)[: len(spec.columns)]
    ]
    found += [""] * (len(spec.columns) - len(found))
    expected_keys = [_header_key(column.header) for column in spec.columns]
    problems: list[RowError] = []
    for position, (column, text) in enumerate(zip(spec.columns, found, strict=True)):
        key = _header_key(text)
        if key == expected_keys[position]:
            continue
        letter = get_column_letter(position + 1)
        shown = f'"{text}"' if text else "để trống"
        moved = key in expected_keys
        problems.append(
            RowError(
                spec.name,
                HEADER_ROW,
                column.label,
                f'Tiêu đề cột {letter} phải là "{column.header}", nhưng tệp ghi {shown}'
                + ("; các cột đã bị chèn, xóa hoặc đổi chỗ" if moved else "")
                + ". Hãy dùng đúng mẫu, không sửa dòng tiêu đề",
                f"column {letter}: expected header '{column.header}', found '{text}'",
            )
        )
    return problems


_MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')


def _merged_cells(sheet: Any, spec: _SheetSpec) -> list[RowError]:
    """Merged cells in the data area: the unit sees one value beside several rows, but the file
    holds it in the first row only. Read-only mode does not expose merges, so the sheet's XML
    is scanned for them (a missing private hook just skips the check)."""
    source = getattr(sheet, "_get_source", None)
    if source is None:
        return []
    try:
        with source() as stream:
            xml = stream.read()
    except Exception as exc:
        raise _UnreadableFile() from exc
    # The merges follow the rows in the XML: search from the first mention, not through
    # megabytes of cells (a 10,000-row sheet is 10 MB of XML).
    first = xml.find(b"mergeCell")
    if first < 0:
        return []
    problems: list[RowError] = []
    for match in _MERGE_CELL.finditer(xml, max(xml.rfind(b"<", 0, first), 0)):
        reference = match.group(1).decode()
        first_column, first_row, _, last_row = range_boundaries(reference)
        if last_row < FIRST_DATA_ROW or first_column > len(spec.columns):
            continue
        problems.append(
            RowError(
                spec.name,
                max(first_row, FIRST_DATA_ROW),
                spec.columns[first_column - 1].label,
                f"Các ô {reference} đang được gộp (Merge); giá trị chỉ nằm ở ô đầu tiên. Hãy bỏ "
                "gộp ô và ghi đủ giá trị vào từng dòng",
                f"merged cells {reference} in the data area",
            )
        )
    return problems


def _blank(value: object) -> bool:
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    stripped = value.strip()
    # Fast path (every cell of every row comes here): a first character that clean_text keeps
    # means the text is not blank; only strings starting with an invisible or odd space need it.
    if stripped and stripped[0] not in CLEANED_AWAY:
        return False
    return not clean_text(value)


# Any character clean_text rewrites (invisible characters, odd spaces). A cell without one only
# needs NFC and its spaces tidied, which is all the two functions below do for it: they return
# exactly clean_text's result (a test compares them on every kind of character) at a fifth of
# its cost, and hand the rare cell that has one to clean_text itself.
_REWRITTEN = re.compile("[" + "".join(re.escape(c) for c in sorted(CLEANED_AWAY)) + "]")


def _clean_line(value: str) -> str:
    """``clean_text(value)``, quickly."""
    if _REWRITTEN.search(value) is not None:
        return clean_text(value)
    if not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)
    return " ".join(value.split())  # splits on what clean_text's r"\s+" matches, and strips


def _clean_lines(value: str) -> str:
    """``clean_text(value, single_line=False)``, quickly."""
    if "\r" in value or _REWRITTEN.search(value) is not None:
        return clean_text(value, single_line=False)
    if not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)
    if "\n" not in value:
        return value.strip()
    return "\n".join(line.rstrip() for line in value.split("\n")).strip()


def _name_key(name: str) -> str:
    """``match_key(name)``, quickly: the key two rows of the same nominee share."""
    return _clean_line(name).translate(DASHES).casefold()


@functools.lru_cache(maxsize=4096)
def _lookup_key(text: str) -> str:
    """``match_key`` of a dropdown cell (gender, Có/Không, initiative, award): a list repeats the
    same few values thousands of times, so each is keyed once."""
    return match_key(text)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


_TEXT_DATE = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2,4})\s*$")
_ATTACHMENT_SEPARATOR = re.compile(r"[;\n]")


class _RowReader:
    """Reads one data row into a NominationCreate, recording every problem it finds.

    A cell that already produced an error is not checked again (no "required" on top of
    "formula"), and a row with any error produces no nomination, but every cell is checked.
    This runs for every row of a 10,000-row list: the common cases (a string picked from a
    dropdown, clean NFC text, a real date) take the short way; anything else the careful one.
    """

    def __init__(
        self,
        spec: _SheetSpec,
        number: int,
        cells: tuple[Any, ...],
        index: _AwardIndex,
        errors: list[RowError],
        today: date,
    ) -> None:
        self.spec = spec
        self.positions = spec.positions
        self.number = number
        self.cells = cells
        self.index = index
        self.errors = errors
        self.today = today
        self.bad: set[str] = set()
        self.identity: object | None = None

    # -- recording -------------------------------------------------------------------------

    def error(self, key: str, vi: str, en: str) -> None:
        self.bad.add(key)
        self.errors.append(
            RowError(self.spec.name, self.number, self.spec.column(key).label, vi, en)
        )

    def cell(self, key: str) -> Any:
        return self.cells[self.positions[key]]

    def value(self, key: str) -> Any:
        """The cell's value, or None when blank or already reported."""
        if key in self.bad:
            return None
        value = self.cells[self.positions[key]].value
        return None if _blank(value) else value

    # -- the row ---------------------------------------------------------------------------

    def read(self) -> NominationCreate | None:
        for position, cell in enumerate(self.cells):
            data_type = cell.data_type
            if data_type == "f":
                self.error(
                    self.spec.columns[position].key,
                    "Ô chứa công thức; giá trị lưu trong tệp có thể khác giá trị đang hiển thị. "
                    "Hãy sao chép và dán lại dạng giá trị (Paste Special > Values)",
                    "formula cell; paste values instead",
                )
            elif data_type == "e":
                self.error(
                    self.spec.columns[position].key,
                    f"Ô đang báo lỗi {cell.value}; hãy nhập lại giá trị",
                    f"error value {cell.value}",
                )
        before = len(self.errors)
        fields: dict[str, Any] = {"kind": self.spec.kind, "row_number": self.number}
        full_name = self.text("full_name", required=True)
        fields["full_name"] = full_name
        if self.spec.kind == NomineeKind.INDIVIDUAL:
            fields["gender"] = self.gender()
            fields["birth_date"] = self.birth_date()
            for key in ("position", "department", "workplace", "address"):
                fields[key] = self.text(key)
            fields["category"] = self.text("category", max_length=128)
            fields["consecutive_base_years"] = self.whole("consecutive_base_years", 0, 50)
            fields["consecutive_ministry_years"] = self.whole("consecutive_ministry_years", 0, 50)
            fields["initiative_level"] = self.initiative()
            fields["excellent_completion"] = self.yes_no("excellent_completion")
            if full_name is not None and fields["birth_date"] is not None:
                self.identity = (_name_key(full_name), fields["birth_date"])
        else:
            fields["category"] = self.text("category", max_length=128)
            fields["women_share"] = self.women_share()
            if full_name is not None:
                self.identity = _name_key(full_name)
        fields["proposed_title"] = self.award("proposed_title", "title")
        fields["proposed_form"] = self.award("proposed_form", "form")
        if (
            fields["proposed_title"] is None
            and fields["proposed_form"] is None
            and not {"proposed_title", "proposed_form"} & self.bad
        ):
            self.error(
                "proposed_form",
                "Chưa chọn danh hiệu thi đua hay hình thức khen thưởng nào; phải có ít nhất một",
                "neither a title nor a form is proposed",
            )
        fields["under_discipline"] = self.yes_no("under_discipline")
        fields["achievement_summary"] = (
            self.text("achievement_summary", required=True, single_line=False, max_length=None)
            or ""
        )
        fields["attachments"] = self.attachments()
        if self.bad or len(self.errors) > before:
            return None
        try:
            return NominationCreate(**fields)
        except ValidationError as exc:  # a constraint of the model this module did not foresee
            for problem in exc.errors():
                field = str(problem["loc"][0]) if problem["loc"] else "full_name"
                key = field if any(c.key == field for c in self.spec.columns) else "full_name"
                self.error(key, "Giá trị không hợp lệ", str(problem["msg"]))
            return None

    # -- cell kinds ------------------------------------------------------------------------

    def text(
        self,
        key: str,
        *,
        required: bool = False,
        single_line: bool = True,
        max_length: int | None = 255,
    ) -> str | None:
        value = None if key in self.bad else self.cells[self.positions[key]].value
        text = ""
        if isinstance(value, str):
            # Blank when nothing is left once cleaned (what _blank decides, for one cleaning).
            text = _clean_line(value) if single_line else _clean_lines(value)
            if not text:
                value = None
        elif isinstance(value, datetime):
            text = vn_date(value.date()) if value.time() == time(0) else str(value)
        elif isinstance(value, float):
            text = _number_text(value)
        elif value is not None:
            text = str(value)
        if value is None:
            if required and key not in self.bad:
                self.error(key, "Ô bắt buộc bị trống", "required cell is empty")
            return None
        if max_length is not None and len(text) > max_length:
            self.error(
                key,
                f"Quá dài ({len(text)} ký tự, tối đa {max_length})",
                f"too long: {len(text)} characters, at most {max_length}",
            )
            return None
        return text

    def gender(self) -> str | None:
        text = self.text("gender", required=True)
        if text is None:
            return None
        gender = _GENDER_BY_KEY.get(_lookup_key(text))
        if gender is None:
            self.error("gender", f'"{text}" không hợp lệ; chọn Nam hoặc Nữ', "must be Nam or Nữ")
        return gender

    def birth_date(self) -> date | None:
        key = "birth_date"
        value = self.value(key)
        if value is None:
            if key not in self.bad:
                self.error(key, "Ô bắt buộc bị trống", "required cell is empty")
            return None
        if isinstance(value, str):
            self._text_date(clean_text(value))
            return None
        if isinstance(value, int | float):  # bool is an int too
            self.error(
                key,
                f"Ô chứa số {_number_text(float(value))}, không phải ngày; hãy định dạng ô là "
                "ngày (dd/mm/yyyy) và nhập lại",
                "a number, not a date cell",
            )
            return None
        if isinstance(value, datetime):
            day = value.date()
        elif isinstance(value, date):
            day = value
        else:  # a time of day, or something stranger
            self.error(key, "Ô không chứa ngày", "not a date")
            return None
        today = self.today
        if day > today:
            self.error(
                key, f"Ngày sinh {vn_date(day)} ở tương lai", f"birth date {day} is in the future"
            )
            return None
        if day.year < 1900 or _years_between(day, today) < MIN_AGE_YEARS:
            self.error(
                key,
                f"Ngày sinh {vn_date(day)} không hợp lý (chưa đủ {MIN_AGE_YEARS} tuổi hoặc trước "
                "năm 1900); có thể nhập nhầm năm",
                f"implausible birth date {day}",
            )
            return None
        return day

    def _text_date(self, text: str) -> None:
        """A date stored as text: say whether it is a real date typed wrongly or no date."""
        match = _TEXT_DATE.match(text)
        if match is None:
            self.error(
                "birth_date",
                f'"{text}" không phải ngày tháng; nhập ngày dạng dd/mm/yyyy',
                "not a date",
            )
            return
        day, month, year = (int(part) for part in match.groups())
        try:
            date(year if year >= 100 else 1900 + year, month, day)
        except ValueError:
            self.error(
                "birth_date",
                f'"{text}" không phải một ngày có thật (đọc theo ngày/tháng/năm)',
                "impossible date",
            )
            return
        self.error(
            "birth_date",
            f'Ngày sinh "{text}" đang là chữ, không phải ô kiểu ngày (Excel không hiểu là ngày). '
            "Hãy định dạng ô là ngày và nhập lại dạng dd/mm/yyyy",
            "date typed as text, not a date cell",
        )

    def whole(self, key: str, low: int, high: int) -> int:
        value = self.value(key)
        if value is None:
            return 0
        number: float | None = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(clean_text(value).replace(",", "."))
            except ValueError:
                number = None
        if number is None or not number.is_integer():
            self.error(
                key,
                f'"{value}" không phải số nguyên; nhập số năm từ {low} đến {high}',
                "not a whole number",
            )
            return 0
        if not low <= number <= high:
            self.error(
                key,
                f"Số năm {int(number)} ngoài khoảng cho phép {low}–{high}",
                f"{int(number)} out of range {low}-{high}",
            )
            return 0
        return int(number)

    def women_share(self) -> float | None:
        key = "women_share"
        cell = self.cell(key)
        value = self.value(key)
        if value is None:
            return None
        percent: float | None = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            # Typing "45%" makes Excel store 0.45 with a percent format: read what was shown.
            percent = float(value) * 100 if "%" in str(cell.number_format or "") else float(value)
        elif isinstance(value, str):
            text = clean_text(value).rstrip("%").strip().replace(",", ".")
            try:
                percent = float(text)
            except ValueError:
                percent = None
        if percent is None:
            self.error(key, f'"{value}" không phải số', "not a number")
            return None
        if not 0 <= percent <= 100:
            self.error(
                key,
                f"Tỷ lệ nữ {_number_text(percent)} ngoài khoảng 0–100",
                f"{percent} out of range 0-100",
            )
            return None
        return round(percent / 100, 6)

    def yes_no(self, key: str) -> bool:
        value = self.value(key)
        if value is None:
            return False
        answer = _YES_NO_BY_KEY.get(_lookup_key(value)) if isinstance(value, str) else None
        if answer is None:
            self.error(
                key,
                f'"{value}" không hợp lệ; chỉ chọn Có hoặc Không',
                "must be Có or Không",
            )
            return False
        return answer

    def initiative(self) -> InitiativeLevel:
        key = "initiative_level"
        text = self.text(key)
        if text is None:
            return InitiativeLevel.NONE
        level = _INITIATIVE_BY_KEY.get(_lookup_key(text))
        if level is None:
            self.error(
                key,
                f'"{text}" không hợp lệ; chọn Không, Cơ sở, Bộ hoặc Toàn quốc',
                "must be Không, Cơ sở, Bộ or Toàn quốc",
            )
            return InitiativeLevel.NONE
        return level

    def award(self, key: str, category: str) -> str | None:
        text = self.text(key)
        if text is None:
            return None
        award = self.index.find(self.spec.kind, category, text)
        if award is None:
            self.error(key, *self.index.explain(self.spec.kind, category, text))
            return None
        return award.code

    def attachments(self) -> list[dict[str, str]]:
        text = self.text("attachments", single_line=False, max_length=None)
        if text is None:
            return []
        # Attachment(file_name=name).model_dump(), without a model per file.
        names = (_clean_line(part) for part in _ATTACHMENT_SEPARATOR.split(text))
        return [{"file_name": name, "kind": _DEFAULT_ATTACHMENT_KIND} for name in names if name]


def _years_between(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _error_order(error: RowError) -> tuple[int, int, int]:
    """File-level problems first, then each sheet top to bottom, left to right."""
    spec = next((s for s in _SPECS if s.name == error.sheet), None)
    column = 0
    if spec is not None:
        column = next((i for i, c in enumerate(spec.columns) if c.label == error.column), 0)
    return (_SHEET_ORDER.get(error.sheet, 3), error.row, column)
