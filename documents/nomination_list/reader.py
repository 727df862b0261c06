"""Reading a unit's list back: all or nothing, every problem located, within a fixed budget.

Parsing reports *every* problem with its sheet, row and column, because a focal contact who fixes
one error only to be told about the next one, upload after upload, stops trusting the system.
Nothing typed by a person is trusted (see :mod:`.codecs`), and nothing in the file is trusted
about its own size (see :mod:`.limits`): any file is answered within the same budget.

The reader takes bytes and the caller's ``today`` and has no side effects: it reads no clock and
leaves the garbage collector alone (callers that read many lists pause it themselves).
"""

from __future__ import annotations

import hashlib
import io
import itertools
import zipfile
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from typing import Any

from annotated_types import MaxLen
from openpyxl.cell.read_only import EMPTY_CELL
from openpyxl.packaging.relationship import get_dependents, get_rels_path
from openpyxl.reader.excel import ExcelReader
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from pydantic import ValidationError

from documents.nomination_list.cells import Row, is_blank, name_key
from documents.nomination_list.dropdowns import KIND_VI
from documents.nomination_list.errors import (
    ErrorCode,
    ErrorLog,
    RowError,
    file_error,
    refuse,
)
from documents.nomination_list.layout import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    HEADER_SEARCH,
    META_FORMAT,
    SHEET_META,
    SPECS,
    SUPPORTED_VERSIONS,
    AwardChoice,
    AwardIndex,
    ListHeader,
    ParsedList,
    SheetSpec,
    error_order,
)
from documents.nomination_list.limits import (
    Budget,
    BudgetExceeded,
    ListLimits,
    MeteredStream,
    check_package,
    damaged,
    too_much_data,
)
from documents.nomination_list.rows import Rows, UnreadableFile, stream_rows
from documents.nomination_list.shape import header_ok, merged_cells
from documents.text import clean_text, match_key
from models.nomination import Nomination, NominationCreate, NomineeKind
from models.rules.identity import nominee_identity, normalise_text

_META_ROWS = 50  # the identification sheet has 7 rows; nothing below them is read
# The length of the column intake keeps each nominee's key in.
_KEY_LENGTH: int = next(
    item.max_length
    for item in Nomination.model_fields["nominee_key"].metadata
    if isinstance(item, MaxLen)
)


@dataclass(frozen=True)
class _Context:
    """What reading one file needs everywhere."""

    index: AwardIndex
    today: date
    limits: ListLimits
    budget: Budget
    log: ErrorLog


def read_nomination_list(
    data: bytes,
    awards: Sequence[AwardChoice],
    *,
    today: date,
    expected_unit_code: str | None = None,
    expected_campaign_code: str | None = None,
    limits: ListLimits | None = None,
) -> ParsedList:
    """Parse a unit's list, or raise :class:`SubmissionRejected` with its problems.

    ``awards`` are the campaign's titles and forms on offer: a name is accepted only if it is
    one of them and fits the sheet (individual or collective). ``today`` is the day the list is
    judged on (a birth date may not be after it). The hidden sheet says whose list this is;
    when ``expected_unit_code``/``expected_campaign_code`` are given, a list belonging to
    another unit or campaign is refused. Nothing but SubmissionRejected is raised for a bad
    file; a ValueError means the ``awards`` themselves are inconsistent.
    """
    index = AwardIndex(awards)  # a configuration error surfaces as ValueError, before the file
    limits = limits or ListLimits()
    budget = check_package(data, limits)
    book = _open_workbook(data)
    context = _Context(index, today, limits, budget, ErrorLog(order=error_order))
    log = context.log
    nominations: list[NominationCreate] = []
    try:
        header = _read_meta(book, context, expected_unit_code, expected_campaign_code)
        seen_rows = 0
        headers_ok = True
        for spec in SPECS:
            sheet_name = _find_sheet(book.sheetnames, spec.name)
            if sheet_name is None:
                log.add(
                    RowError(
                        spec.name,
                        0,
                        "",
                        ErrorCode.MISSING_SHEET,
                        f'Thiếu sheet "{spec.name}"; hãy dùng đúng tệp mẫu đã được gửi, không '
                        f"đổi tên hay xóa sheet",
                        f"sheet '{spec.name}' is missing",
                    )
                )
                headers_ok = False
                continue
            result = _read_sheet(book[sheet_name], spec, context)
            headers_ok = headers_ok and result.header_ok
            seen_rows += result.rows_seen
            nominations += result.nominations
    except UnreadableFile as exc:
        raise damaged(f"{type(exc.__cause__).__name__} while streaming") from exc
    except BudgetExceeded as exceeded:
        raise too_much_data(limits, exceeded) from None
    finally:
        book.close()
    if headers_ok and seen_rows == 0:
        log.add(
            file_error(
                ErrorCode.EMPTY_LIST,
                "Danh sách không có dòng nào: chưa nhập cá nhân hay tập thể nào, từ dòng 4",
                "the list has no rows",
            )
        )
    if log or header is None:
        raise log.rejection(header.unit_code if header else None)
    digest = hashlib.sha256(data).hexdigest()
    return ParsedList(header=header, nominations=nominations, sha256=digest)


class _UnsizedSheet(ReadOnlyWorksheet):
    """A read-only sheet not sized on opening: ``check_package`` has just run that very step,
    metered (``limits._charge_sizing``), and the reader streams the rows itself
    (``rows.stream_rows``), never asking a sheet its size. Sizing a sheet parses up to 16 KB of
    its XML, the same again for every sheet of every upload."""

    def _get_size(self) -> None:
        return None


class _ListBook(ExcelReader):
    """openpyxl's read-only opening, sheets unsized (``_UnsizedSheet``); the rest as is."""

    def read_worksheets(self) -> None:
        # openpyxl 3.1's ExcelReader.read_worksheets, read-only branch, sheets unsized.
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files:
                continue
            if "chartsheet" in rel.Type:
                self.read_chartsheet(sheet, rel)
                continue
            rels_path = get_rels_path(rel.target)
            if rels_path in self.valid_files:
                get_dependents(self.archive, rels_path)  # read (and checked) as openpyxl does
            worksheet = _UnsizedSheet(self.wb, sheet.name, rel.target, self.shared_strings)
            worksheet.sheet_state = sheet.state
            self.wb._sheets.append(worksheet)


def _open_workbook(data: bytes) -> Any:
    """Open from bytes (so the file's extension does not matter). Read-only mode streams the
    sheets, and still reports formulas (data_type "f") because data_only is off."""
    try:
        opening = _ListBook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
        opening.read()
        return opening.wb
    except Exception as exc:  # any failure to open untrusted input is the file's fault
        with zipfile.ZipFile(io.BytesIO(data)) as archive:  # already read once: it opens
            workbook = any(name.startswith("xl/") for name in archive.namelist())
        raise refuse(
            ErrorCode.DAMAGED if workbook else ErrorCode.NOT_XLSX,
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


def _metered(sheet: Any, budget: Budget) -> Callable[[], MeteredStream]:
    """The sheet's XML, every byte read charged to ``budget``."""
    return lambda: budget.metered(sheet._get_source())


# --------------------------------------------------------------------------------------------
# Whose list it is
# --------------------------------------------------------------------------------------------


def _read_meta(
    book: Any,
    context: _Context,
    expected_unit_code: str | None,
    expected_campaign_code: str | None,
) -> ListHeader | None:
    """Read whose list this is from the hidden sheet; wrong owner or version is an error."""
    log = context.log
    name = _find_sheet(book.sheetnames, SHEET_META)
    if name is None:
        log.add(
            file_error(
                ErrorCode.NOT_ISSUED,
                "Tệp không phải danh sách do hệ thống cấp cho đơn vị (thiếu phần nhận diện đơn "
                "vị). Hãy điền vào đúng tệp mẫu đã gửi kèm công văn, không chép sang tệp mới",
                f"not a list issued by the system: hidden sheet '{SHEET_META}' is missing",
            )
        )
        return None
    sheet = book[name]
    values: dict[str, str] = {}
    with closing(stream_rows(sheet, _metered(sheet, context.budget), 2)) as rows:
        for number, (key, value) in rows:
            if number > _META_ROWS:
                break
            if key.value is not None:
                values[str(key.value).strip()] = clean_text(str(value.value or ""))
    version = values.get("template_version", "")
    if values.get("format") != META_FORMAT or version not in SUPPORTED_VERSIONS:
        log.add(
            file_error(
                ErrorCode.UNSUPPORTED_VERSION,
                f"Mẫu danh sách (phiên bản {version or '?'}) không còn được hỗ trợ hoặc đã bị "
                "sửa. Hãy dùng tệp mẫu mới nhất đã gửi cho đơn vị",
                f"unsupported template version '{version}'",
                version=version,
            )
        )
        return None
    damaged_vi = "Phần nhận diện đơn vị trong tệp bị hỏng. Hãy dùng lại tệp mẫu đã gửi cho đơn vị"
    try:
        header = ListHeader(
            campaign_code=values["campaign_code"],
            campaign_name=values.get("campaign_name", ""),
            unit_code=values["unit_code"],
            unit_name=values.get("unit_name", ""),
            deadline=date.fromisoformat(values["deadline"]),
        )
    except (KeyError, ValueError):
        log.add(
            file_error(ErrorCode.IDENTITY_DAMAGED, damaged_vi, "identification sheet is damaged")
        )
        return None
    if not header.campaign_code or not header.unit_code:
        log.add(
            file_error(
                ErrorCode.IDENTITY_DAMAGED,
                damaged_vi,
                "identification sheet has no campaign or unit code",
            )
        )
        return None
    if expected_campaign_code is not None and header.campaign_code != expected_campaign_code:
        log.add(
            file_error(
                ErrorCode.WRONG_CAMPAIGN,
                f'Danh sách này thuộc đợt thi đua "{header.campaign_name}" (mã '
                f"{header.campaign_code}), không phải đợt {expected_campaign_code}",
                f"list belongs to campaign {header.campaign_code}, "
                f"expected {expected_campaign_code}",
                found=header.campaign_code,
                expected=expected_campaign_code,
            )
        )
    if expected_unit_code is not None and header.unit_code != expected_unit_code:
        log.add(
            file_error(
                ErrorCode.WRONG_UNIT,
                f'Danh sách này là của đơn vị "{header.unit_name}" (mã {header.unit_code}), '
                f"không phải của đơn vị {expected_unit_code}. Mỗi đơn vị nộp đúng tệp mẫu của "
                "mình",
                f"list belongs to unit {header.unit_code}, expected {expected_unit_code}",
                found=header.unit_code,
                expected=expected_unit_code,
            )
        )
    return header


# --------------------------------------------------------------------------------------------
# A data sheet
# --------------------------------------------------------------------------------------------


@dataclass
class _SheetResult:
    header_ok: bool
    rows_seen: int
    nominations: list[NominationCreate]


def _read_sheet(sheet: Any, spec: SheetSpec, context: _Context) -> _SheetResult:
    """Check the header, then every non-empty row, in one streaming pass over the sheet.

    Rows are read up to the template's capacity; past it, a filled row is an error and a run
    of blank rows ends the sheet, however many rows the file declares.
    """
    log, limits = context.log, context.limits
    width = len(spec.columns)
    with closing(stream_rows(sheet, _metered(sheet, context.budget), width)) as rows:
        header = _header(spec, rows, log)
        if header is None:
            return _SheetResult(False, 0, [])
        merged_cells(sheet._get_source, spec, log)
        nominations: list[NominationCreate] = []
        identities: dict[object, list[int]] = {}
        seen = 0
        last_row = FIRST_DATA_ROW + limits.max_rows - 1
        for number, cells in itertools.chain(header, rows):
            # An empty row, or one where only STT was pre-numbered.
            blank = all(is_blank(cell.value) for cell in cells[1:])
            if number > last_row:
                if not blank:  # also the row that ends a run of blank (or absent) rows
                    log.add(_too_many_rows(spec, number, limits.max_rows))
                    break
                if number >= last_row + 1 + limits.blank_run:
                    break  # a run of blank rows past the capacity ended the sheet
                continue
            if blank:
                continue
            seen += 1
            nomination, identity = _read_row(spec, number, cells, context)
            if identity is not None:
                identities.setdefault(identity, []).append(number)
            if nomination is not None:
                nominations.append(nomination)
    _report_duplicates(spec, identities, log)
    return _SheetResult(True, seen, nominations)


def _header(spec: SheetSpec, rows: Rows, log: ErrorLog) -> list[tuple[int, tuple[Any, ...]]] | None:
    """Read the rows around the header and check it; the data rows among them, or None when
    the header is wrong (the rows under a wrong header are not read: no cascade of errors)."""
    # Rows 1-3 and a few more: enough to recognise a header that rows inserted above moved.
    head_rows = HEADER_ROW + HEADER_SEARCH
    head: dict[int, tuple[Any, ...]] = {}
    after: list[tuple[int, tuple[Any, ...]]] = []
    for number, cells in rows:
        if number > head_rows:
            after.append((number, cells))
            break
        head[number] = cells
    blank = (EMPTY_CELL,) * len(spec.columns)
    if not header_ok(spec, [head.get(n, blank) for n in range(1, head_rows + 1)], log):
        return None
    return [(n, cells) for n, cells in sorted(head.items()) if n >= FIRST_DATA_ROW] + after


def _too_many_rows(spec: SheetSpec, number: int, max_rows: int) -> RowError:
    last_row = FIRST_DATA_ROW + max_rows - 1
    # A problem of the sheet (row 0), so it heads the sheet's problems, however many rows are
    # wrong above it.
    return RowError(
        spec.name,
        0,
        "",
        ErrorCode.TOO_MANY_ROWS,
        f"Có dữ liệu ở dòng {number}, vượt sức chứa của mẫu ({max_rows} dòng, từ dòng "
        f"{FIRST_DATA_ROW} đến dòng {last_row}). Hãy xóa các dòng thừa hoặc chia danh sách",
        f"row {number} is past the template's capacity of {max_rows} rows",
        {"max_rows": max_rows, "row": number},
    )


def _read_row(
    spec: SheetSpec, number: int, cells: tuple[Any, ...], context: _Context
) -> tuple[NominationCreate | None, object | None]:
    """One row into a NominationCreate (None if any cell is wrong), and the row's identity."""
    row = Row(spec, number, context.index, context.log, context.today)
    for column, cell in zip(spec.columns, cells, strict=True):
        data_type = cell.data_type
        if data_type == "f":
            row.error(
                column,
                ErrorCode.FORMULA,
                "Ô chứa công thức; giá trị lưu trong tệp có thể khác giá trị đang hiển thị. "
                "Hãy sao chép và dán lại dạng giá trị (Paste Special > Values)",
                "formula cell; paste values instead",
            )
        elif data_type == "e":
            row.error(
                column,
                ErrorCode.ERROR_VALUE,
                f"Ô đang báo lỗi {cell.value}; hãy nhập lại giá trị",
                f"error value {cell.value}",
            )
    fields: dict[str, Any] = {"kind": spec.kind, "row_number": number}
    for column, cell in zip(spec.columns, cells, strict=True):
        if column.codec.is_field:
            fields[column.key] = column.codec.decode(row, column, cell)
    title, form = spec.column("proposed_title"), spec.column("proposed_form")
    if (
        fields[title.key] is None
        and fields[form.key] is None
        and not {title.key, form.key} & row.bad
    ):
        row.error(
            form,
            ErrorCode.NO_AWARD,
            "Chưa chọn danh hiệu thi đua hay hình thức khen thưởng nào; phải có ít nhất một",
            "neither a title nor a form is proposed",
        )
    _check_key_length(spec, fields, row)
    identity: object | None = None
    if all(fields[key] is not None for key in spec.identity):
        first, *rest = spec.identity
        identity = (name_key(fields[first]), *(fields[key] for key in rest))
    if row.bad:
        return None, identity
    try:
        return NominationCreate(**fields), identity
    except ValidationError as exc:  # a constraint of the model this package did not foresee
        for problem in exc.errors():
            field = str(problem["loc"][0]) if problem["loc"] else "full_name"
            key = field if any(c.key == field for c in spec.columns) else "full_name"
            row.error(spec.column(key), ErrorCode.INVALID, "Giá trị không hợp lệ", problem["msg"])
        return None, identity


def _check_key_length(spec: SheetSpec, fields: dict[str, Any], row: Row) -> None:
    """Intake stores each nominee's key (:func:`nominee_identity`: the name case-folded) in a
    column of :data:`_KEY_LENGTH` characters. Case folding can lengthen a name ("ß" → "ss"),
    so a name within its 255 characters may still make a key that does not fit."""
    name = fields["full_name"]
    if name is None or "full_name" in row.bad:
        return
    born = date.min if "birth_date" in spec.identity else None  # its length, not its value
    room = _KEY_LENGTH - len(nominee_identity(spec.kind, "", born))  # what the name may take
    # The name is already NFC, and case folding gives a character at most three: a name of
    # up to a third of the room (nearly every name) fits without folding it.
    if 3 * len(name) <= room:
        return
    length = len(normalise_text(name))
    if length > room:
        row.error(
            spec.column("full_name"),
            ErrorCode.TOO_LONG,
            f"Tên quá dài ({length} ký tự khi chuẩn hóa chữ hoa/thường, tối đa {room}); hãy "
            "viết ngắn lại",
            f"name too long: {length} characters once case-folded, at most {room}",
            length=length,
            max_length=room,
        )


def _report_duplicates(spec: SheetSpec, identities: dict[object, list[int]], log: ErrorLog) -> None:
    name_label = spec.column("full_name").label
    what = "họ tên và ngày sinh" if spec.kind == NomineeKind.INDIVIDUAL else "tên tập thể"
    for numbers in identities.values():
        if len(numbers) < 2:
            continue
        for number in numbers:
            others = ", ".join(str(n) for n in numbers if n != number)
            log.add(
                RowError(
                    spec.name,
                    number,
                    name_label,
                    ErrorCode.DUPLICATE,
                    f"Trùng với dòng {others} (cùng {what}); mỗi {KIND_VI[spec.kind]} chỉ "
                    "ghi một dòng",
                    f"duplicate nominee, same as row {others}",
                    {"rows": others},
                )
            )
