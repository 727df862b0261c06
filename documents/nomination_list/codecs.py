"""One codec per kind of column: how a nominee's value is written into a cell, what Excel checks
while the unit types, and how the cell is read back.

Each column of a sheet (:mod:`.layout`) carries its codec, so the writer and the reader can never
disagree about a column, and adding a column is one line there. Decoding trusts nothing: a paste
bypasses Excel's dropdowns and checks, so every value is checked again, and each problem is
recorded on the :class:`~.cells.Row` with its error code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from openpyxl.worksheet.datavalidation import DataValidation

from documents.nomination_list.cells import (
    REQUIRED,
    Row,
    clean_line,
    lookup_key,
    number_format,
    number_text,
)
from documents.nomination_list.dropdowns import (
    CATEGORIES,
    NO,
    YES,
    YES_NO_LIST,
    Dropdown,
    award_dropdown,
    between_rule,
    list_rule,
)
from documents.nomination_list.errors import ErrorCode
from documents.text import clean_text, match_key, vn_date
from models.nomination import Attachment, NomineeKind

if TYPE_CHECKING:
    from documents.nomination_list.layout import AwardIndex, Column

DATE_FORMAT = "dd/mm/yyyy"
MIN_AGE_YEARS = 15  # the minimum working age: a younger birth date is a typo in the year
YES_NO_PROMPT = "Chọn Có hoặc Không. Để trống được hiểu là Không."
DEFAULT_ATTACHMENT_KIND = Attachment(file_name="x").kind
_TEXT_DATE = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2,4})\s*$")
_ATTACHMENT_SEPARATOR = re.compile(r"[;\n]")


def _either(choices: list[str], word: str) -> str:
    """The choices as a sentence lists them: A, B hoặc C (A, B or C)."""
    return f"{', '.join(choices[:-1])} {word} {choices[-1]}"


# --------------------------------------------------------------------------------------------
# Codecs
# --------------------------------------------------------------------------------------------


class Codec:
    """How one kind of column is written and read back (the base: plain values, no checks)."""

    is_field = True  # False for a column that is no NominationCreate field (STT)
    number_format: str | None = None  # Excel's display format for the column's cells
    wrap = False  # long text shown wrapped

    def encode(self, value: Any, index: AwardIndex) -> Any:
        """The value a careful unit would put in the cell."""
        return value

    def dropdowns(self, kind: NomineeKind, index: AwardIndex) -> list[Dropdown]:
        """The lists of choices this column offers (written on "Danh mục")."""
        return []

    def validation(self, kind: NomineeKind, index: AwardIndex) -> DataValidation | None:
        """Excel's check while typing; a paste bypasses it, so :meth:`decode` checks again."""
        return None

    def decode(self, row: Row, column: Column, cell: Any) -> Any:
        """The cell's value for NominationCreate, recording any problem on ``row``."""
        raise NotImplementedError


class RowNumber(Codec):
    """STT: numbered by the writer, ignored by the reader (units pre-number the sheet)."""

    is_field = False

    def encode(self, value: Any, index: AwardIndex) -> Any:
        return None  # filled in once the row's position is known

    def decode(self, row: Row, column: Column, cell: Any) -> Any:
        return None


@dataclass(frozen=True)
class Text(Codec):
    """Free text, NFC-cleaned; on one line unless ``single_line`` is off."""

    max_length: int | None = 255
    single_line: bool = True
    wrap: bool = False

    def decode(self, row: Row, column: Column, cell: Any) -> str | None:
        return row.text(column, cell, single_line=self.single_line, max_length=self.max_length)


class Choice(Codec):
    """One of a dropdown's values, also when typed by hand in another case or spelling."""

    def __init__(
        self,
        dropdown: Dropdown,
        labels: Mapping[Any, str],
        *,
        default: Any = None,
        aliases: Mapping[str, Any] | None = None,
        prompt: str,
        error: str,
    ) -> None:
        self.dropdown = dropdown
        self.labels = labels
        self.default = default
        self.by_key = {match_key(label): value for value, label in labels.items()}
        self.by_key.update(aliases or {})
        self.prompt, self.error = prompt, error

    def encode(self, value: Any, index: AwardIndex) -> Any:
        return None if value is None else self.labels.get(value, value)

    def dropdowns(self, kind: NomineeKind, index: AwardIndex) -> list[Dropdown]:
        return [self.dropdown]

    def validation(self, kind: NomineeKind, index: AwardIndex) -> DataValidation | None:
        return list_rule(self.dropdown, self.prompt, self.error)

    def decode(self, row: Row, column: Column, cell: Any) -> Any:
        text = row.text(column, cell)
        if text is None:
            return self.default
        value = self.by_key.get(lookup_key(text))
        if value is None:
            labels = list(self.dropdown.values)
            row.error(
                column,
                ErrorCode.INVALID_CHOICE,
                f'"{text}" không hợp lệ; chọn {_either(labels, "hoặc")}',
                f"must be {_either(labels, 'or')}",
            )
            return self.default
        return value


class YesNo(Codec):
    """Có/Không; blank means Không."""

    _by_key: ClassVar[dict[str, bool]] = {match_key(YES): True, match_key(NO): False}

    def encode(self, value: Any, index: AwardIndex) -> Any:
        return YES if value else NO

    def dropdowns(self, kind: NomineeKind, index: AwardIndex) -> list[Dropdown]:
        return [YES_NO_LIST]

    def validation(self, kind: NomineeKind, index: AwardIndex) -> DataValidation | None:
        return list_rule(YES_NO_LIST, YES_NO_PROMPT, "Chỉ chọn Có hoặc Không.")

    def decode(self, row: Row, column: Column, cell: Any) -> bool:
        value = row.value(column, cell)
        if value is None:
            return False
        answer = self._by_key.get(lookup_key(value)) if isinstance(value, str) else None
        if answer is None:
            row.error(
                column,
                ErrorCode.INVALID_CHOICE,
                f'"{value}" không hợp lệ; chỉ chọn Có hoặc Không',
                "must be Có or Không",
            )
            return False
        return answer


class BirthDate(Codec):
    """A real date cell (text such as "12/05/1980" is ambiguous between dd/mm and mm/dd), at
    least :data:`MIN_AGE_YEARS` years before the reading day and not before 1900."""

    number_format = DATE_FORMAT

    def validation(self, kind: NomineeKind, index: AwardIndex) -> DataValidation | None:
        return between_rule(
            "date",
            "DATE(1900,1,1)",
            "TODAY()",
            "Nhập một ngày có thật, dạng dd/mm/yyyy (ví dụ 12/05/1980).",
            errorTitle="Ngày sinh không hợp lệ",
            showInputMessage=True,
            promptTitle="Ngày sinh",
            prompt="Nhập ngày dạng dd/mm/yyyy, ví dụ 12/05/1980.",
        )

    def decode(self, row: Row, column: Column, cell: Any) -> date | None:
        value = row.value(column, cell)
        if value is None:
            if column.key not in row.bad:
                row.error(column, ErrorCode.REQUIRED, *REQUIRED)
            return None
        if isinstance(value, str):
            self._text_date(row, column, clean_text(value))
            return None
        if isinstance(value, int | float):  # bool is an int too
            row.error(
                column,
                ErrorCode.NOT_A_DATE,
                f"Ô chứa số {number_text(float(value))}, không phải ngày; hãy định dạng ô là "
                "ngày (dd/mm/yyyy) và nhập lại",
                "a number, not a date cell",
            )
            return None
        if isinstance(value, datetime):
            day = value.date()
        elif isinstance(value, date):
            day = value
        else:  # a time of day, or something stranger
            row.error(column, ErrorCode.NOT_A_DATE, "Ô không chứa ngày", "not a date")
            return None
        if day > row.today:
            row.error(
                column,
                ErrorCode.FUTURE_DATE,
                f"Ngày sinh {vn_date(day)} ở tương lai",
                f"birth date {day} is in the future",
            )
            return None
        if day.year < 1900 or _years_between(day, row.today) < MIN_AGE_YEARS:
            row.error(
                column,
                ErrorCode.IMPLAUSIBLE_DATE,
                f"Ngày sinh {vn_date(day)} không hợp lý (chưa đủ {MIN_AGE_YEARS} tuổi hoặc trước "
                "năm 1900); có thể nhập nhầm năm",
                f"implausible birth date {day}",
                min_age=MIN_AGE_YEARS,
            )
            return None
        return day

    @staticmethod
    def _text_date(row: Row, column: Column, text: str) -> None:
        """A date stored as text: say whether it is a real date typed wrongly or no date."""
        match = _TEXT_DATE.match(text)
        if match is None:
            row.error(
                column,
                ErrorCode.NOT_A_DATE,
                f'"{text}" không phải ngày tháng; nhập ngày dạng dd/mm/yyyy',
                "not a date",
            )
            return
        day, month, year = (int(part) for part in match.groups())
        try:
            date(year if year >= 100 else 1900 + year, month, day)
        except ValueError:
            row.error(
                column,
                ErrorCode.IMPOSSIBLE_DATE,
                f'"{text}" không phải một ngày có thật (đọc theo ngày/tháng/năm)',
                "impossible date",
            )
            return
        row.error(
            column,
            ErrorCode.DATE_AS_TEXT,
            f'Ngày sinh "{text}" đang là chữ, không phải ô kiểu ngày (Excel không hiểu là ngày). '
            "Hãy định dạng ô là ngày và nhập lại dạng dd/mm/yyyy",
            "date typed as text, not a date cell",
        )


def _years_between(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@dataclass(frozen=True)
class Years(Codec):
    """A whole number of years between ``low`` and ``high``; blank means 0."""

    low: int
    high: int

    def validation(self, kind: NomineeKind, index: AwardIndex) -> DataValidation | None:
        return between_rule(
            "whole",
            str(self.low),
            str(self.high),
            f"Số năm là số nguyên từ {self.low} đến {self.high}.",
        )

    def decode(self, row: Row, column: Column, cell: Any) -> int:
        value = row.value(column, cell)
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
            row.error(
                column,
                ErrorCode.NOT_A_WHOLE_NUMBER,
                f'"{value}" không phải số nguyên; nhập số năm từ {self.low} đến {self.high}',
                "not a whole number",
            )
            return 0
        if not self.low <= number <= self.high:
            row.error(
                column,
                ErrorCode.OUT_OF_RANGE,
                f"Số năm {int(number)} ngoài khoảng cho phép {self.low}–{self.high}",
                f"{int(number)} out of range {self.low}-{self.high}",
                low=self.low,
                high=self.high,
            )
            return 0
        return int(number)


class Percent(Codec):
    """A share stored as 0..1, shown and typed as a percentage 0..100."""

    def encode(self, value: Any, index: AwardIndex) -> Any:
        return None if value is None else round(value * 100, 4)

    def validation(self, kind: NomineeKind, index: AwardIndex) -> DataValidation | None:
        return between_rule("decimal", "0", "100", "Tỷ lệ nữ là số từ 0 đến 100.")

    def decode(self, row: Row, column: Column, cell: Any) -> float | None:
        value = row.value(column, cell)
        if value is None:
            return None
        percent: float | None = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            # Typing "45%" makes Excel store 0.45 with a percent format: read what was shown.
            percent = float(value) * 100 if "%" in number_format(cell) else float(value)
        elif isinstance(value, str):
            text = clean_text(value).rstrip("%").strip().replace(",", ".")
            try:
                percent = float(text)
            except ValueError:
                percent = None
        if percent is None:
            row.error(column, ErrorCode.NOT_A_NUMBER, f'"{value}" không phải số', "not a number")
            return None
        if not 0 <= percent <= 100:
            row.error(
                column,
                ErrorCode.OUT_OF_RANGE,
                f"Tỷ lệ nữ {number_text(percent)} ngoài khoảng 0–100",
                f"{percent} out of range 0-100",
                low=0,
                high=100,
            )
            return None
        return round(percent / 100, 6)


@dataclass(frozen=True)
class Award(Codec):
    """A title or form the campaign offers: its Vietnamese name in the cell, its code stored.

    A code that is not on offer is written as the raw code, so a simulated unit can submit a
    title the campaign does not offer and see it refused.
    """

    category: str  # "title" | "form"

    def encode(self, value: Any, index: AwardIndex) -> Any:
        if not value:
            return None
        award = index.by_code.get(value)
        return award.name_vi if award is not None else value

    def dropdowns(self, kind: NomineeKind, index: AwardIndex) -> list[Dropdown]:
        return [award_dropdown(kind, self.category, index)]

    def validation(self, kind: NomineeKind, index: AwardIndex) -> DataValidation | None:
        dropdown = award_dropdown(kind, self.category, index)
        if not dropdown.values:
            return None
        what = CATEGORIES[self.category]
        return list_rule(
            dropdown,
            f"Chọn {what} từ danh sách của đợt thi đua.",
            f"Chỉ chọn {what} có trong danh sách thả xuống.",
        )

    def decode(self, row: Row, column: Column, cell: Any) -> str | None:
        text = row.text(column, cell)
        if text is None:
            return None
        kind = row.spec.kind
        award = row.index.find(kind, self.category, text)
        if award is None:
            row.error(column, *row.index.explain(kind, self.category, text))
            return None
        return award.code


class Attachments(Codec):
    """File names separated by ";" or line breaks."""

    def encode(self, value: Any, index: AwardIndex) -> Any:
        names = [item.get("file_name", "") for item in value]
        return "; ".join(name for name in names if name) or None

    def decode(self, row: Row, column: Column, cell: Any) -> list[dict[str, str]]:
        text = row.text(column, cell, single_line=False, max_length=None)
        if text is None:
            return []
        # Attachment(file_name=name).model_dump(), without a model per file.
        names = (clean_line(part) for part in _ATTACHMENT_SEPARATOR.split(text))
        return [{"file_name": name, "kind": DEFAULT_ATTACHMENT_KIND} for name in names if name]
