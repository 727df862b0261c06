"""What is wrong with a submitted file, as records a web page can tabulate and a CLI can print.

Every problem is a :class:`RowError`: where it is (sheet, Excel row, column header), a stable
machine-readable ``code`` and the reason in Vietnamese with English alongside. A file is refused
whole with :class:`SubmissionRejected`, which carries the first :data:`MAX_ERRORS` problems in
sheet/row/column order and the count of all of them: a list with 300,000 faulty rows must not
turn into 300,000 objects, nor into a reply nobody can read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# How many problems a refusal lists; the rest are counted ("… và N lỗi khác").
MAX_ERRORS = 200


class ErrorCode(StrEnum):
    """Stable identifiers of what went wrong; the text around them may change, these do not."""

    # The file as a whole
    UNREADABLE = "unreadable"  # the file could not be read from disk
    FILE_TOO_LARGE = "file_too_large"  # over the upload cap
    EMPTY_FILE = "empty_file"
    NOT_XLSX = "not_xlsx"  # a PDF, an image, a CSV, a zip that is no workbook...
    LEGACY_XLS = "legacy_xls"  # Excel 97-2003 or a password-protected workbook
    DAMAGED = "damaged"  # a truncated or corrupt package, or XML that does not parse
    ZIP_BOMB = "zip_bomb"  # declared sizes or compression far beyond any real list
    TOO_MANY_PARTS = "too_many_parts"
    TOO_MUCH_DATA = "too_much_data"  # more markup than a full list could hold
    # Whose list it is
    NOT_ISSUED = "not_issued"  # the hidden identification sheet is missing
    UNSUPPORTED_VERSION = "unsupported_version"
    IDENTITY_DAMAGED = "identity_damaged"
    WRONG_CAMPAIGN = "wrong_campaign"
    WRONG_UNIT = "wrong_unit"
    EMPTY_LIST = "empty_list"
    # Sheets
    MISSING_SHEET = "missing_sheet"
    WRONG_HEADER = "wrong_header"
    HEADER_MOVED = "header_moved"
    MERGED_CELLS = "merged_cells"
    TOO_MANY_ROWS = "too_many_rows"
    # Cells
    FORMULA = "formula"
    ERROR_VALUE = "error_value"  # #N/A, #REF!...
    REQUIRED = "required"
    TOO_LONG = "too_long"
    INVALID_CHOICE = "invalid_choice"  # not one of the dropdown's values
    NOT_A_DATE = "not_a_date"
    DATE_AS_TEXT = "date_as_text"
    IMPOSSIBLE_DATE = "impossible_date"  # 31/02/1980
    FUTURE_DATE = "future_date"
    IMPLAUSIBLE_DATE = "implausible_date"  # younger than the working age, or before 1900
    NOT_A_NUMBER = "not_a_number"
    NOT_A_WHOLE_NUMBER = "not_a_whole_number"
    OUT_OF_RANGE = "out_of_range"
    UNKNOWN_AWARD = "unknown_award"  # not on offer in this campaign
    AWARD_IN_OTHER_COLUMN = "award_in_other_column"  # a form in the title column, or back
    AWARD_FOR_OTHER_KIND = "award_for_other_kind"  # a collective's title on a person
    NO_AWARD = "no_award"  # neither a title nor a form
    DUPLICATE = "duplicate"
    INVALID = "invalid"  # a model constraint this module did not foresee
    # The units register (CSV)
    MISSING_COLUMN = "missing_column"
    INVALID_EMAIL = "invalid_email"
    UNKNOWN_PARENT = "unknown_parent"


def located(sheet: str, row: int, column: str, reason_vi: str, reason_en: str) -> str:
    """A problem as one line, where the unit sees it in Excel: 'Sheet "Cá nhân", dòng 6, cột
    "Ngày sinh": reason (English)'; the reason alone for the file as a whole."""
    where = []
    if sheet:
        where.append(f'Sheet "{sheet}"')
    if row:
        where.append(f"dòng {row}")
    if column:
        where.append(f'cột "{column}"')
    reason = f"{reason_vi} ({reason_en})"
    return f"{', '.join(where)}: {reason}" if where else reason


@dataclass(frozen=True)
class RowError:
    """One problem in a submitted file, located the way the unit sees it in Excel.

    ``row`` is the Excel row number (0 for problems with the file as a whole) and ``column`` the
    header text of the column without the "(*)" marker (empty for file-level problems).
    ``params`` holds the values the reasons quote (a limit, a row number), for a page that
    phrases them itself.
    """

    sheet: str
    row: int
    column: str
    code: str
    reason_vi: str
    reason_en: str
    params: dict[str, str | int] = field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        return located(self.sheet, self.row, self.column, self.reason_vi, self.reason_en)


def file_error(code: ErrorCode, reason_vi: str, reason_en: str, **params: str | int) -> RowError:
    """A problem with the file as a whole (no sheet, row or column)."""
    return RowError("", 0, "", code, reason_vi, reason_en, params)


class SubmissionRejected(Exception):
    """The whole file is refused.

    ``errors`` holds the first :data:`MAX_ERRORS` problems, in sheet/row order when they came
    from :class:`ErrorLog`; ``total_errors`` counts every problem found; ``unit_code`` is whose
    list the file says it is, when its hidden sheet could be read (so a refusal names the unit).
    """

    def __init__(
        self,
        errors: Sequence[RowError],
        total_errors: int | None = None,
        unit_code: str | None = None,
    ) -> None:
        self.errors: list[RowError] = list(errors[:MAX_ERRORS])
        self.total_errors: int = max(total_errors or 0, len(errors))
        self.unit_code = unit_code
        super().__init__("\n".join(self.lines()))

    @property
    def more_errors(self) -> int:
        """Problems found but not listed."""
        return self.total_errors - len(self.errors)

    def lines(self) -> list[str]:
        """One line per listed problem, then how many more there are, if any."""
        lines = [str(error) for error in self.errors]
        if self.more_errors:
            lines.append(f"… và {self.more_errors} lỗi khác (and {self.more_errors} more errors)")
        return lines


def refuse(
    code: ErrorCode, reason_vi: str, reason_en: str, **params: str | int
) -> SubmissionRejected:
    """A refusal of the whole file for one reason."""
    return SubmissionRejected([file_error(code, reason_vi, reason_en, **params)])


class ErrorLog:
    """Every problem found while reading, keeping the first ``keep`` in ``order`` and counting
    the rest, so memory stays bounded however many rows are wrong.

    ``order`` sorts problems the way the unit reads its file (None: in the order found). The
    kept list is trimmed whenever it doubles: a problem dropped then already had ``keep``
    problems before it, so it could never be among the first ``keep`` (the sort is stable).
    """

    def __init__(self, order: Callable[[RowError], Any] | None = None, keep: int = MAX_ERRORS):
        self._order = order
        self._keep = keep
        self._kept: list[RowError] = []
        self.total = 0

    def add(self, error: RowError) -> None:
        self.total += 1
        self._kept.append(error)
        if len(self._kept) >= 2 * self._keep:
            self._trim()

    def __bool__(self) -> bool:
        return self.total > 0

    def _trim(self) -> None:
        if self._order is not None:
            self._kept.sort(key=self._order)
        del self._kept[self._keep :]

    def errors(self) -> list[RowError]:
        """The first ``keep`` problems, in order."""
        self._trim()
        return list(self._kept)

    def rejection(self, unit_code: str | None = None) -> SubmissionRejected:
        return SubmissionRejected(self.errors(), self.total, unit_code)
