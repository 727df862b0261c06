"""Hypothesis strategies for fuzzing the unit's list, and the property every answer must have.

Two families of inputs, both starting from a real list written by the project's own writer:

- :func:`edits`: what people (and other spreadsheet programs) do to a list in Excel, applied
  with openpyxl: any type of value in any cell (numbers, booleans, dates, datetimes, times,
  text of every length, in every Unicode form, with invisible and right-to-left marks, emoji
  and the control characters XML can carry), formulas and error values, merged cells over the
  data, rows appended just past the data or past the template's capacity, header cells cleared
  or retyped, rows and columns inserted or deleted, sheets renamed, hidden or removed, and the
  hidden identification sheet edited;
- :func:`damage`: what transport and broken tools do to the bytes: truncation, flipped and
  inserted bytes, and the zip's members dropped, renamed, duplicated, swapped, cut short or
  spliced with foreign XML.

The property (:func:`check_answer`): the reader returns a :class:`ParsedList` whose every row
is valid and whose count is the number of non-blank data rows, or raises
:class:`SubmissionRejected` whose every error is coded, explained in Vietnamese and located —
and nothing else.

The number of examples is modest so the suite stays fast and reproducible (``derandomize``);
for a longer local run, scale them and let Hypothesis pick new examples each run::

    TONVINH_FUZZ_SCALE=50 TONVINH_FUZZ_RANDOM=1 .venv/bin/pytest -q \\
        tests/documents/test_fuzz_reader.py tests/service_layer/test_fuzz_intake.py
"""

from __future__ import annotations

import io
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, assume, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from documents.nomination_list import (
    COLLECTIVES,
    FIRST_DATA_ROW,
    HEADER_ROW,
    INDIVIDUALS,
    MAX_ERRORS,
    AwardChoice,
    ErrorCode,
    ListLimits,
    ParsedList,
    SubmissionRejected,
)
from documents.text import clean_text, match_key
from models.nomination import Nomination, NominationCreate
from models.rules.identity import nominee_identity

from .builders import collective, person

SPECS_BY_NAME = {spec.name: spec for spec in (INDIVIDUALS, COLLECTIVES)}

# --------------------------------------------------------------------------------------------
# Settings: modest and reproducible in CI, longer on demand
# --------------------------------------------------------------------------------------------

_SCALE = float(os.environ.get("TONVINH_FUZZ_SCALE", "1"))
_RANDOM = os.environ.get("TONVINH_FUZZ_RANDOM", "") not in ("", "0")


def fuzz_settings(examples: int) -> settings:
    """``examples`` in CI (the same ones every run); ``TONVINH_FUZZ_SCALE`` times as many, and
    fresh ones each run with ``TONVINH_FUZZ_RANDOM=1``. No example database is written (the
    repository would collect it); a failure prints the blob that reproduces it."""
    return settings(
        max_examples=max(1, round(examples * _SCALE)),
        deadline=None,
        derandomize=not _RANDOM,
        database=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


class Sources(dict[str, bytes]):
    """The lists the fuzzing starts from, by name; shown by name in a failure report (not as
    kilobytes of zip)."""

    def __repr__(self) -> str:
        return f"Sources({', '.join(self)})"


# --------------------------------------------------------------------------------------------
# Values a cell may hold
# --------------------------------------------------------------------------------------------

# XML 1.0 cannot carry the other C0 controls (nor U+FFFE/U+FFFF, nor surrogates), so no program
# can put them in a cell of an .xlsx: the byte-level strategy injects them instead.
_XML_ILLEGAL = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r") + "\ufffe\uffff"
VIETNAMESE = "ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
# Characters, and sequences of them, that break naive text handling.
_SPECIAL = (
    *"\u200b\u200c\u200d\u2060\ufeff\u00ad",  # zero-width, BOM, soft hyphen
    *"\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c",  # bidi
    *"\u00a0\u2007\u202f\u2009\u200a\u3000\u1680\u0085",  # odd spaces
    *"\u2010\u2011\u2012\u2013\u2014\u2212",  # dashes
    *"\t\n\r\x7f\x80\x9f",  # the control characters XML can carry
    *"\u0300\u0301\u0303\u0309\u0323\u0306\u0302\u031b",  # Vietnamese combining marks
    *"ßﬃİΐŉǰ",  # longer once case-folded
    "😀",  # outside the BMP (a surrogate pair in Excel's UTF-16)
    "👨\u200d👩\u200d👧",  # a ZWJ sequence
    "🇻🇳",  # a flag: two regional indicators
    "e\u0302\u0301",  # "ế" decomposed (NFD), as macOS types it
    *"|;=<>&\"'%/.-,:",
)
_TOKENS = st.one_of(
    st.sampled_from(VIETNAMESE + VIETNAMESE.upper() + "abcdeghiklmnopqrstuvxyNTHQ0123456789 "),
    st.sampled_from(_SPECIAL),
    st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters=_XML_ILLEGAL),
)


def _strings(min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[str]:
    return st.lists(_TOKENS, min_size=min_size, max_size=max_size).map("".join)


NAMES = (
    "Nguyễn Thị Hương",
    "Trần Văn Dũng",
    "Lê Thị Mai",
    "Đỗ Văn Nam",
    "Phạm Thu Trang",
    "Hoàng Đức Anh",
    "Phòng Quản lý bưu chính, Vụ Bưu chính",
    "Tổ công tác Đề án Mã bưu chính quốc gia",
)
_CHOICES = ("Nam", "Nữ", "Có", "Không", "Cơ sở", "Bộ", "Toàn quốc", "cấp Bộ", "Công chức")
_FORMULAS = ("=1+1", "=A1", "=B4", '=B4&"x"', "=SUM(A1:A3)", "=TODAY()", "=1/0", "=#REF!")
_ERRORS = ("#N/A", "#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!")
_BLANKS = ("", " ", "   ", "\t", "\n", "\r\n", "\u00a0", "\u200b", "\ufeff", "\u3000 \u200b")
_LOOKALIKES = (
    "12/05/1980",
    "31/02/1980",
    "1980-05-12",
    "12.05.80",
    "45%",
    "45,5",
    "3",
    "3.5",
    "-1",
    "1e3",
    "nan",
    "inf",
    "TRUE",
)


def _vary(text: str, how: str) -> str:
    """One spelling of ``text`` that Excel shows (almost) the same way."""
    if how in ("NFC", "NFD", "NFKC", "NFKD"):
        return unicodedata.normalize(how, text)
    return {
        "upper": text.upper(),
        "lower": text.lower(),
        "padded": f"  {text}\u00a0 ",
        "zero-width": "\u200b".join(text.split(" ")),
        "rtl": f"\u202b{text}\u202c",
        "lrm": f"\u200e{text}",
        "emoji": f"{text} 😀",
        "doubled": text.replace(" ", "  "),
        "bom": f"\ufeff{text}",
        "newline": text.replace(" ", "\n", 1),
    }.get(how, text)


_HOW = st.sampled_from(
    (
        *("NFC", "NFD", "NFKC", "NFKD", "upper", "lower", "padded", "zero-width", "rtl", "lrm"),
        *("emoji", "doubled", "bom", "newline", "as is"),
    )
)


def _repeat(pattern: str, length: int) -> str:
    return (pattern * (length // max(len(pattern), 1) + 1))[:length]


def at_the_limits() -> st.SearchStrategy[str]:
    """Text around the columns' limits (128 and 255 characters, and the nominee key's 300),
    in letters that case folding lengthens ("ß" → "ss") or NFC shortens, and plain ones."""
    return st.builds(
        _repeat,
        st.sampled_from(("ß", "ﬃ", "İ", "ầ", "a", "😀", "N\u0303", "Nguyễn Thị ")),
        st.sampled_from((127, 128, 129, 150, 200, 254, 255, 256, 300, 1000, 3000)),
    )


def texts() -> st.SearchStrategy[str]:
    """Text of every kind: short and odd, up to a few thousand characters, and at the limits."""
    return st.one_of(
        _strings(),
        st.builds(_repeat, _strings(1, 6), st.integers(0, 4000)),
        at_the_limits(),
        st.sampled_from(_BLANKS + _LOOKALIKES),
    )


def names() -> st.SearchStrategy[str]:
    """A nominee's name as units type it, at the limits, or anything at all."""
    return st.one_of(st.builds(_vary, st.sampled_from(NAMES), _HOW), at_the_limits(), texts())


def cell_values(awards: Sequence[AwardChoice]) -> st.SearchStrategy[Any]:
    """Anything openpyxl can put in a cell."""
    award_names = tuple(award.name_vi for award in awards) + tuple(a.code for a in awards)
    return st.one_of(
        st.none(),
        st.builds(_vary, st.sampled_from(award_names + _CHOICES), _HOW),
        names(),
        st.integers(-(10**15), 10**15),
        st.integers(0, 120),
        st.floats(allow_nan=True, allow_infinity=True),
        st.floats(-1, 101),
        st.booleans(),
        st.dates(),
        st.dates(date(1899, 1, 1), date(2030, 12, 31)),
        st.datetimes(),
        st.times(),
        st.timedeltas(timedelta(days=-3), timedelta(days=3)),
        st.sampled_from(_FORMULAS + _ERRORS),
        st.builds(
            lambda a, b: CellRichText(TextBlock(InlineFont(b=True), a), b),
            st.sampled_from(NAMES),
            st.sampled_from(("", " ", "x", "\u200b")),
        ),
    )


# --------------------------------------------------------------------------------------------
# Edits, applied with openpyxl
# --------------------------------------------------------------------------------------------

# The sheets by position in the written workbook (a rename does not lose them).
PEOPLE, GROUPS, LISTS, META = 0, 1, 2, 3
# Rows of interest past the data: the last row of the capacity, the first past it, the last
# and the first past the blank run that ends a sheet, and far away.
_CAPACITY = ListLimits().max_rows
_LAST = FIRST_DATA_ROW + _CAPACITY - 1
_BLANK_RUN = ListLimits().blank_run
FAR_ROWS = (_LAST, _LAST + 1, _LAST + _BLANK_RUN, _LAST + _BLANK_RUN + 1, 3 * _CAPACITY)
_FORMATS = ("General", "dd/mm/yyyy", "0%", "0.00%", "h:mm:ss", "[h]:mm:ss", "@", "0.0", "yyyy")


class Edit:
    """One change to the workbook; the dataclass's repr is what a failure report shows."""

    def apply(self, book: Any) -> None:
        raise NotImplementedError


def _sheet(book: Any, index: int) -> Any | None:
    sheets = book.worksheets
    return sheets[index] if index < len(sheets) else None


@dataclass(frozen=True)
class SetCell(Edit):
    sheet: int
    row: int
    column: int
    value: Any

    def apply(self, book: Any) -> None:
        if (sheet := _sheet(book, self.sheet)) is not None:
            cell = sheet.cell(row=self.row, column=self.column)
            if type(cell).__name__ != "MergedCell":  # read-only inside a merge
                cell.value = self.value


@dataclass(frozen=True)
class Respell(Edit):
    """A cell's own text spelt otherwise (NFD, capitals, invisible characters, padding...)."""

    sheet: int
    row: int
    column: int
    how: str

    def apply(self, book: Any) -> None:
        if (sheet := _sheet(book, self.sheet)) is not None:
            cell = sheet.cell(row=self.row, column=self.column)
            if isinstance(cell.value, str) and type(cell).__name__ != "MergedCell":
                cell.value = _vary(cell.value, self.how)


@dataclass(frozen=True)
class SetFormat(Edit):
    sheet: int
    row: int
    column: int
    number_format: str

    def apply(self, book: Any) -> None:
        if (sheet := _sheet(book, self.sheet)) is not None:
            sheet.cell(row=self.row, column=self.column).number_format = self.number_format


@dataclass(frozen=True)
class Merge(Edit):
    sheet: int
    first_row: int
    first_column: int
    rows: int
    columns: int

    def apply(self, book: Any) -> None:
        if (sheet := _sheet(book, self.sheet)) is not None:
            sheet.merge_cells(
                start_row=self.first_row,
                start_column=self.first_column,
                end_row=self.first_row + self.rows,
                end_column=self.first_column + self.columns,
            )


@dataclass(frozen=True)
class CopyRow(Edit):
    """A data row copied to ``target`` (just past the data, or past the capacity), renamed."""

    sheet: int
    source: int
    target: int
    name: str

    def apply(self, book: Any) -> None:
        if (sheet := _sheet(book, self.sheet)) is None:
            return
        width = sheet.max_column
        values = [sheet.cell(row=self.source, column=c).value for c in range(1, width + 1)]
        for column, value in enumerate(values, start=1):
            target = sheet.cell(row=self.target, column=column)
            if type(target).__name__ != "MergedCell":
                target.value = value
        target = sheet.cell(row=self.target, column=2)
        if type(target).__name__ != "MergedCell":
            target.value = self.name


@dataclass(frozen=True)
class Rows(Edit):
    """Rows inserted (``amount`` > 0) or deleted (< 0) at ``at``."""

    sheet: int
    at: int
    amount: int

    def apply(self, book: Any) -> None:
        if (sheet := _sheet(book, self.sheet)) is None or not self.amount:
            return
        if self.amount > 0:
            sheet.insert_rows(self.at, self.amount)
        else:
            sheet.delete_rows(self.at, -self.amount)


@dataclass(frozen=True)
class Columns(Edit):
    sheet: int
    at: int
    amount: int

    def apply(self, book: Any) -> None:
        if (sheet := _sheet(book, self.sheet)) is None or not self.amount:
            return
        if self.amount > 0:
            sheet.insert_cols(self.at, self.amount)
        else:
            sheet.delete_cols(self.at, -self.amount)


@dataclass(frozen=True)
class Rename(Edit):
    sheet: int
    title: str

    def apply(self, book: Any) -> None:
        if (sheet := _sheet(book, self.sheet)) is not None:
            sheet.title = self.title


@dataclass(frozen=True)
class Remove(Edit):
    sheet: int

    def apply(self, book: Any) -> None:
        if (sheet := _sheet(book, self.sheet)) is not None and len(book.worksheets) > 1:
            book.remove(sheet)


@dataclass(frozen=True)
class Show(Edit):
    sheet: int
    state: str

    def apply(self, book: Any) -> None:
        if (sheet := _sheet(book, self.sheet)) is not None and sheet is not book.active:
            sheet.sheet_state = self.state


def _sheet_titles() -> st.SearchStrategy[str]:
    """What a sheet may be renamed to: its own name spelt otherwise, or something else (31
    characters at most, none of ``\\ / ? * [ ] :``, as Excel allows)."""
    own = st.builds(_vary, st.sampled_from(("Cá nhân", "Tập thể", "_tonvinh", "Danh mục")), _HOW)
    other = st.text(
        st.characters(
            codec="utf-8",
            exclude_categories=("Cs", "Cc", "Zl", "Zp"),
            exclude_characters="\\/?*[]:'\ufffe\uffff",
        ),
        min_size=1,
        max_size=31,
    )
    return st.one_of(own, other).map(lambda title: title.strip()[:31] or "Sheet")


def edits(
    awards: Sequence[AwardChoice], filled: tuple[int, int], units: Sequence[str] = ()
) -> st.SearchStrategy[list[Edit]]:
    """Up to three edits to a list with ``filled`` people and collectives (none: the list as
    written); ``units`` are codes the identification sheet may be changed to."""
    widths = {PEOPLE: len(INDIVIDUALS.columns), GROUPS: len(COLLECTIVES.columns), META: 3}
    # The last filled row of each sheet (the first data row of a blank template).
    last = {
        sheet: FIRST_DATA_ROW + max(count, 1) - 1
        for sheet, count in zip((PEOPLE, GROUPS), filled, strict=True)
    }
    data_sheets = st.sampled_from((PEOPLE, GROUPS))

    @st.composite
    def cell(draw: st.DrawFn) -> tuple[int, int, int]:
        """A data sheet, row and column, mostly where the data is."""
        sheet = draw(data_sheets)
        end = last[sheet]
        row = draw(
            st.one_of(
                st.integers(FIRST_DATA_ROW, end),
                st.integers(FIRST_DATA_ROW, end),
                st.integers(1, end + 3),
                st.integers(end + 1, end + 40),
            )
        )
        return sheet, row, draw(st.integers(1, widths[sheet] + 2))

    @st.composite
    def set_cell(draw: st.DrawFn) -> Edit:
        sheet, row, column = draw(cell())
        if column == 2 and draw(st.booleans()):
            return SetCell(sheet, row, column, draw(names()))
        return SetCell(sheet, row, column, draw(cell_values(awards)))

    @st.composite
    def rename_nominee(draw: st.DrawFn) -> Edit:
        sheet = draw(data_sheets)
        return SetCell(sheet, draw(st.integers(FIRST_DATA_ROW, last[sheet])), 2, draw(names()))

    @st.composite
    def respell(draw: st.DrawFn) -> Edit:
        sheet = draw(data_sheets)
        row = draw(st.integers(FIRST_DATA_ROW, last[sheet]))
        return Respell(sheet, row, draw(st.integers(2, widths[sheet])), draw(_HOW))

    @st.composite
    def set_format(draw: st.DrawFn) -> Edit:
        sheet, row, column = draw(cell())
        return SetFormat(sheet, row, column, draw(st.sampled_from(_FORMATS)))

    @st.composite
    def merge(draw: st.DrawFn) -> Edit:
        sheet, row, column = draw(cell())
        return Merge(sheet, row, column, draw(st.integers(0, 3)), draw(st.integers(0, 2)))

    @st.composite
    def copy_row(draw: st.DrawFn) -> Edit:
        sheet = draw(data_sheets)
        end = last[sheet]
        target = draw(st.one_of(st.integers(end + 1, end + 5), st.sampled_from(FAR_ROWS)))
        return CopyRow(sheet, draw(st.integers(FIRST_DATA_ROW, end)), target, draw(names()))

    @st.composite
    def header(draw: st.DrawFn) -> Edit:
        sheet = draw(data_sheets)
        column = draw(st.integers(1, widths[sheet] + 1))
        spec = (INDIVIDUALS, COLLECTIVES)[sheet]
        text = spec.columns[column - 1].header if column <= len(spec.columns) else "Ghi chú"
        value = draw(st.one_of(st.none(), st.builds(_vary, st.just(text), _HOW), texts()))
        return SetCell(sheet, HEADER_ROW, column, value)

    @st.composite
    def meta(draw: st.DrawFn) -> Edit:
        row = draw(st.integers(1, 9))
        column = draw(st.integers(1, 3))
        value = draw(
            st.one_of(
                st.sampled_from(("tonvinh.nomination_list", "1", "2", "", "2019-03-08")),
                st.sampled_from(("08/03/2019", "2019-02-30", "campaign_code", "unit_code")),
                st.sampled_from(("OTHER_UNIT", "TV2017", "tdkt-2017", *units)),
                cell_values(awards),
            )
        )
        return SetCell(META, row, column, value)

    return st.lists(
        st.one_of(
            set_cell(),
            set_cell(),
            set_cell(),
            respell(),
            respell(),
            respell(),
            rename_nominee(),
            set_format(),
            merge(),
            copy_row(),
            copy_row(),
            header(),
            meta(),
            st.builds(Rows, data_sheets, st.integers(1, 8), st.integers(-3, 3)),
            st.builds(Columns, data_sheets, st.integers(1, 20), st.integers(-2, 2)),
            st.builds(Rename, st.sampled_from((PEOPLE, GROUPS, META)), _sheet_titles()),
            st.builds(Remove, st.sampled_from((PEOPLE, GROUPS, LISTS, META))),
            st.builds(Show, st.integers(0, 3), st.sampled_from(("visible", "hidden"))),
        ),
        min_size=0,
        max_size=3,
    )


def edited(data: bytes, changes: Sequence[Edit]) -> bytes:
    """The list opened as Excel would (formulas kept), changed and saved again."""
    if not changes:
        return data
    book = load_workbook(io.BytesIO(data))
    for change in changes:
        change.apply(book)
    out = io.BytesIO()
    try:
        book.save(out)
    except (IndexError, ValueError):  # no visible sheet left: neither openpyxl nor Excel saves
        assume(False)  # such a workbook, so no unit can send one
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# The property
# --------------------------------------------------------------------------------------------

CODES = frozenset(ErrorCode)
# Intake stores each row's nominee key in this column: a row whose key does not fit is no row
# intake can store.
KEY_LENGTH = Nomination.__table__.c.nominee_key.type.length  # type: ignore[attr-defined]
_VIETNAMESE_LETTERS = frozenset(VIETNAMESE + VIETNAMESE.upper())


def is_vietnamese(text: str) -> bool:
    """A sentence in Vietnamese has some of its letters (an English one almost never does)."""
    return any(character in _VIETNAMESE_LETTERS for character in unicodedata.normalize("NFC", text))


def check_located(
    sheet: str, row: int, column: str, code: str, reason_vi: str, reason_en: str
) -> None:
    """One refusal: coded, explained in Vietnamese (and English), and located: a sheet and an
    Excel row (>= 1) with the column for a problem in the sheet, row 0 and no column for a
    problem of the file or of a sheet as a whole."""
    where = (sheet, row, column, code)
    assert code, where
    assert reason_vi.strip() and is_vietnamese(reason_vi), (where, reason_vi)
    assert reason_en.strip(), where
    assert row >= 0, where
    if row == 0:
        assert column == "", where
        assert sheet in ("", *SPECS_BY_NAME), where
        return
    spec = SPECS_BY_NAME.get(sheet)
    assert spec is not None, where
    labels = {c.label for c in spec.columns}
    assert column in labels or (code == ErrorCode.HEADER_MOVED and column == ""), where


def check_rejection(rejection: SubmissionRejected) -> None:
    assert rejection.errors, "a refusal without a reason"
    assert len(rejection.errors) <= MAX_ERRORS
    assert rejection.total_errors >= len(rejection.errors)
    for error in rejection.errors:
        assert error.code in CODES, error
        check_located(
            error.sheet, error.row, error.column, error.code, error.reason_vi, error.reason_en
        )


def _find_sheet(titles: Sequence[str], wanted: str) -> str | None:
    """The sheet the reader reads for ``wanted`` (its name, or the first spelt alike)."""
    if wanted in titles:
        return wanted
    return next((title for title in titles if match_key(title) == match_key(wanted)), None)


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    return isinstance(value, str) and not clean_text(value)


def data_rows(data: bytes) -> dict[str, set[int]]:
    """Per data sheet, the rows from the first data row that hold something, as openpyxl (not
    the project's streaming reader) sees the file; column A (STT, pre-numbered) aside."""
    book = load_workbook(io.BytesIO(data))
    found: dict[str, set[int]] = {}
    for name, spec in SPECS_BY_NAME.items():
        title = _find_sheet(book.sheetnames, name)
        if title is None:
            continue
        width = len(spec.columns)
        cells = book[title]._cells  # only the cells the file holds (rows far apart stay cheap)
        found[name] = {
            row
            for (row, column), cell in cells.items()
            if row >= FIRST_DATA_ROW and 2 <= column <= width and not _is_blank(cell.value)
        }
    return found


def check_parsed(parsed: ParsedList, data: bytes) -> None:
    """Every row valid as it stands, one per non-blank data row, each on its own row."""
    expected = data_rows(data)
    assert parsed.header.unit_code and parsed.header.campaign_code
    for name, spec in SPECS_BY_NAME.items():
        mine = [n for n in parsed.nominations if n.kind == spec.kind]
        numbers = [n.row_number for n in mine]
        assert sorted(numbers) == sorted(expected.get(name, set())), (name, numbers)
    for nomination in parsed.nominations:
        again = NominationCreate.model_validate(nomination.model_dump())
        assert again == nomination
        assert nomination.full_name and nomination.full_name == clean_text(nomination.full_name)
        assert nomination.proposed_title or nomination.proposed_form
        key = nominee_identity(nomination.kind, nomination.full_name, nomination.birth_date)
        assert len(key) <= KEY_LENGTH, (nomination.row_number, len(key))


def check_answer(read: Any, data: bytes, *, count: bool = True) -> ParsedList | None:
    """Read ``data`` with ``read``: a valid ParsedList, or a well-formed SubmissionRejected
    (returns None), and nothing else (any other exception fails the test as it is)."""
    try:
        parsed = read(data)
    except SubmissionRejected as rejection:
        check_rejection(rejection)
        return None
    assert isinstance(parsed, ParsedList)
    if count:
        check_parsed(parsed, data)
    return parsed


def base_rows() -> list[NominationCreate]:
    """Two people and a collective, with Vietnamese names and every kind of column filled."""
    return [
        person("Nguyễn Thị Hương", date(1985, 5, 12), proposed_form="BK_BT"),
        person("Trần Văn Dũng", date(1978, 11, 3), gender="Nam", under_discipline=False),
        collective("Phòng Quản lý bưu chính, Vụ Bưu chính"),
    ]
