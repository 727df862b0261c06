"""Reading cells: the quick ways through a cell's text, and the row being decoded.

A 10,000-row list has ~180,000 cells, so the common case (clean NFC text, a value picked from a
dropdown) takes a short way that gives exactly what the careful one (:mod:`documents.text`)
gives; a test compares them on every character of the Basic Multilingual Plane.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from documents.nomination_list.errors import ErrorCode, ErrorLog, RowError
from documents.text import CLEANED_AWAY, DASHES, clean_text, match_key, vn_date

if TYPE_CHECKING:
    from documents.nomination_list.layout import AwardIndex, Column, SheetSpec

REQUIRED = ("Ô bắt buộc bị trống", "required cell is empty")


# --------------------------------------------------------------------------------------------
# Quick text: clean_text and match_key at a fifth of their cost
# --------------------------------------------------------------------------------------------

# Any character clean_text rewrites (invisible characters, odd spaces). A cell without one only
# needs NFC and its spaces tidied, which is all the functions below do for it: they return
# exactly clean_text's result (a test compares them on every kind of character) and hand the
# rare cell that has one to clean_text itself.
_REWRITTEN = re.compile("[" + "".join(re.escape(c) for c in sorted(CLEANED_AWAY)) + "]")


def clean_line(value: str) -> str:
    """``clean_text(value)``, quickly."""
    if _REWRITTEN.search(value) is not None:
        return clean_text(value)
    if not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)
    return " ".join(value.split())  # splits on what clean_text's r"\s+" matches, and strips


def clean_lines(value: str) -> str:
    """``clean_text(value, single_line=False)``, quickly."""
    if "\r" in value or _REWRITTEN.search(value) is not None:
        return clean_text(value, single_line=False)
    if not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)
    if "\n" not in value:
        return value.strip()
    return "\n".join(line.rstrip() for line in value.split("\n")).strip()


def name_key(name: str) -> str:
    """``match_key(name)``, quickly: the key two rows of the same nominee share."""
    return clean_line(name).translate(DASHES).casefold()


@functools.lru_cache(maxsize=4096)
def lookup_key(text: str) -> str:
    """``match_key`` of a dropdown cell (gender, Có/Không, initiative, award): a list repeats the
    same few values thousands of times, so each is keyed once."""
    return match_key(text)


def is_blank(value: object) -> bool:
    """Nothing in the cell once cleaned."""
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    stripped = value.strip()
    # Fast path: a first character that clean_text keeps means the text is not blank; only
    # strings starting with an invisible or odd space need cleaning to tell.
    if stripped and stripped[0] not in CLEANED_AWAY:
        return False
    return not clean_text(value)


def number_format(cell: Any) -> str:
    """The cell's display format; "" when its style is not in the workbook (a hand-made file:
    openpyxl would raise)."""
    try:
        return str(cell.number_format or "")
    except (IndexError, KeyError, AttributeError):
        return ""


def number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# --------------------------------------------------------------------------------------------
# A row being read
# --------------------------------------------------------------------------------------------


class Row:
    """One data row being decoded: where it is, what decoding needs, and what went wrong.

    A cell that already produced an error is not checked again (no "required" on top of
    "formula"), and a row with any error produces no nomination, but every cell is checked.
    """

    __slots__ = ("bad", "index", "log", "number", "spec", "today")

    def __init__(
        self, spec: SheetSpec, number: int, index: AwardIndex, log: ErrorLog, today: date
    ) -> None:
        self.spec = spec
        self.number = number
        self.index = index
        self.log = log
        self.today = today
        self.bad: set[str] = set()  # keys of the columns with a problem

    def error(self, column: Column, code: ErrorCode, vi: str, en: str, **params: str | int) -> None:
        self.bad.add(column.key)
        self.log.add(RowError(self.spec.name, self.number, column.label, code, vi, en, params))

    def value(self, column: Column, cell: Any) -> Any:
        """The cell's value, or None when blank or already reported."""
        if column.key in self.bad:
            return None
        value = cell.value
        return None if is_blank(value) else value

    def text(
        self,
        column: Column,
        cell: Any,
        *,
        single_line: bool = True,
        max_length: int | None = 255,
    ) -> str | None:
        """The cell as cleaned text (dates as dd/mm/yyyy, whole numbers without ".0")."""
        value = None if column.key in self.bad else cell.value
        text = ""
        if isinstance(value, str):
            # Blank when nothing is left once cleaned (what is_blank decides, for one cleaning).
            text = clean_line(value) if single_line else clean_lines(value)
            if not text:
                value = None
        elif isinstance(value, datetime):
            text = vn_date(value.date()) if value.time() == time(0) else str(value)
        elif isinstance(value, float):
            text = number_text(value)
        elif value is not None:
            text = str(value)
        if value is None:
            if column.required and column.key not in self.bad:
                self.error(column, ErrorCode.REQUIRED, *REQUIRED)
            return None
        if max_length is not None and len(text) > max_length:
            self.error(
                column,
                ErrorCode.TOO_LONG,
                f"Quá dài ({len(text)} ký tự, tối đa {max_length})",
                f"too long: {len(text)} characters, at most {max_length}",
                length=len(text),
                max_length=max_length,
            )
            return None
        return text
