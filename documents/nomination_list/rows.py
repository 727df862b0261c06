"""Streaming a sheet's rows within the budget, keeping nothing but the row at hand.

openpyxl's own read-only iteration keeps every element it does not recognise (and every row
shell) attached to the document until the sheet ends, and turns what follows the rows into
objects, so a sheet padded with a million elements would cost a million objects. This loop
drives openpyxl's row and cell parsing (the same values, types and dates) but detaches each
part of the document once it has ended, only checks that what follows the rows is well formed
(a sheet cut short is a damaged file), and refuses a part that grows past :data:`MAX_PENDING`
elements and attributes before it ends (a row of the template has ~150).

It relies on openpyxl's read-only internals (the sheet's ``_get_source`` and shared strings,
``WorkSheetParser.parse_row`` and ``parse_cell``), pinned by ``openpyxl>=3.1,<4``; the tests
read every kind of cell through it, and compare its cells with openpyxl's.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from openpyxl.cell.read_only import EMPTY_CELL, ReadOnlyCell
from openpyxl.worksheet._reader import (
    DATA_TAG,
    FORMULA_TAG,
    INLINE_STRING,
    ROW_TAG,
    WorkSheetParser,
)
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from documents.nomination_list.limits import BudgetExceeded, MeteredStream

# Elements and attributes one part of a sheet may hold before it ends: a row of Excel's 16,384
# columns, each cell with a few attributes and a value, fits.
MAX_PENDING = 100_000

Rows = Generator[tuple[int, tuple[Any, ...]], None, None]


class UnreadableFile(Exception):
    """The sheet's XML could not be parsed: the file is damaged, whatever it claims to be."""


def stream_rows(sheet: Any, open_source: Callable[[], MeteredStream], width: int) -> Rows:
    """(Excel row number, its first ``width`` cells) for each row the sheet's XML holds, in
    order; rows absent from the XML are blank and not yielded. openpyxl's failures on a damaged
    file become :class:`UnreadableFile`, and only those."""
    book = sheet.parent
    with open_source() as source:
        parse_row = _CellParser(
            source,
            sheet._shared_strings,
            data_only=book.data_only,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        ).parse_row
        # The element being read and its ancestors: the document, sheetData, a row, a cell...
        open_elements: list[Any] = []
        enter, leave = open_elements.append, open_elements.pop
        pending = 0  # elements and attributes attached since the last detach
        try:
            # One loop for ~1 million events: kept to the few operations each one needs.
            for event, element in iterparse(source, events=("start", "end")):
                if event == "start":
                    enter(element)
                    pending += 1 + len(element.attrib)
                    if pending > MAX_PENDING:
                        raise BudgetExceeded()
                    continue
                leave()
                depth = len(open_elements)
                if depth == 2:  # a row, or a part of one of the sheet's other sections
                    parent = open_elements[1]
                    if element.tag == ROW_TAG and parent.tag == DATA_TAG:
                        number, cells = parse_row(element)
                        yield number, _cells(sheet, cells, width)
                    parent.clear()  # detach what ended
                    pending = 0
                elif depth == 1:  # a section of the sheet (after the rows: checked, not kept)
                    open_elements[0].clear()
                    pending = 0
        except BudgetExceeded:
            raise
        except Exception as exc:  # expat, or openpyxl on a value it cannot convert
            raise UnreadableFile() from exc


_TEXT_TAG = f"{{{SHEET_MAIN_NS}}}t"


class _CellParser(WorkSheetParser):
    """openpyxl's cell parsing, but the shape nearly every text cell of a list written by the
    template has, an inline string ``<is><t>…</t></is>``, is read directly: openpyxl builds
    rich-text objects for it (``Text.from_tree``), a fifth of the reader's time. Any other
    shape of cell goes through openpyxl's own code, and the result is the same either way."""

    def parse_cell(self, element: Any) -> dict[str, Any]:
        holder = element.find(INLINE_STRING) if element.get("t") == "inlineStr" else None
        if (
            holder is None
            or holder.attrib  # openpyxl refuses attributes here: a damaged file
            or len(holder) != 1
            or holder[0].tag != _TEXT_TAG
            or element.find(FORMULA_TAG) is not None
        ):
            parsed: dict[str, Any] = super().parse_cell(element)  # a new dict per cell
            return parsed
        # Without its string, openpyxl reads the cell's place and style and leaves it blank.
        element.remove(holder)
        cell: dict[str, Any] = super().parse_cell(element)
        cell["data_type"], cell["value"] = "s", holder[0].text or ""
        return cell


def _cells(sheet: Any, cells: list[dict[str, Any]], width: int) -> tuple[Any, ...]:
    """The row's first ``width`` cells, blank where the XML has none (as openpyxl pads)."""
    row = [EMPTY_CELL] * width
    for cell in cells:
        column = cell["column"]
        if 1 <= column <= width:
            row[column - 1] = ReadOnlyCell(sheet, **cell)
    return tuple(row)
