"""A data sheet's shape: its header row where the template put it, and no merged cells where
the data goes. Both are checked before any row is read, so a moved column does not turn into a
cascade of row errors."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from openpyxl.utils import get_column_letter, range_boundaries

from documents.nomination_list.errors import ErrorCode, ErrorLog, RowError
from documents.nomination_list.layout import FIRST_DATA_ROW, HEADER_ROW, SheetSpec
from documents.nomination_list.rows import UnreadableFile
from documents.text import clean_text, match_key

_CHUNK = 1024 * 1024
# A mergeCell element: looked for only where "mergeCell" is mentioned, within a short window.
_MERGE_CELL = re.compile(
    rb'<(?:\w{1,16}:)?mergeCell\s[^>]{0,256}?ref="([A-Z]{1,3}[0-9]{1,7}:[A-Z]{1,3}[0-9]{1,7})"'
)
_WINDOW = 512
# Far more mentions than any list has (the template has two merges a sheet): the scan stops
# there, so a sheet of nothing but "<mergeCell " costs no more than its inflating.
_MAX_MENTIONS = 10_000


def _header_key(text: str) -> str:
    """Headers compare without case, spacing or the required marker ("(*)" or "*")."""
    return " ".join(match_key(text).replace("(*)", " ").replace("*", " ").split())


def header_ok(spec: SheetSpec, head: list[tuple[Any, ...]], log: ErrorLog) -> bool:
    """Row 3 carries the template's headers; if not, say what differs, or where they moved."""
    problems = _header_problems(spec, head[HEADER_ROW - 1] if len(head) >= HEADER_ROW else ())
    if not problems:
        return True
    moved_to = next(
        (
            number
            for number, cells in enumerate(head, start=1)
            if number != HEADER_ROW and not _header_problems(spec, cells)
        ),
        None,
    )
    if moved_to is None:
        for problem in problems:
            log.add(problem)
        return False
    log.add(
        RowError(
            spec.name,
            moved_to,
            "",
            ErrorCode.HEADER_MOVED,
            f"Dòng tiêu đề phải ở dòng {HEADER_ROW} nhưng đang ở dòng {moved_to}: đã có "
            "dòng bị chèn hoặc xóa phía trên. Hãy để nguyên 3 dòng đầu của mẫu",
            f"header row found on row {moved_to}, expected row {HEADER_ROW}",
            {"found_row": moved_to},
        )
    )
    return False


def _header_problems(spec: SheetSpec, cells: Sequence[Any]) -> list[RowError]:
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
                ErrorCode.WRONG_HEADER,
                f'Tiêu đề cột {letter} phải là "{column.header}", nhưng tệp ghi {shown}'
                + ("; các cột đã bị chèn, xóa hoặc đổi chỗ" if moved else "")
                + ". Hãy dùng đúng mẫu, không sửa dòng tiêu đề",
                f"column {letter}: expected header '{column.header}', found '{text}'",
            )
        )
    return problems


def merged_cells(open_source: Callable[[], IO[bytes]], spec: SheetSpec, log: ErrorLog) -> None:
    """Merged cells in the data area: the unit sees one value beside several rows, but the file
    holds it in the first row only. Read-only mode does not expose merges, so the sheet's XML
    is scanned for them, a chunk at a time (the merges follow the rows, megabytes later)."""
    pending = b""
    mentions = 0
    for chunk in _chunks(open_source):
        pending, found = _scan(pending + chunk, spec, log, final=False)
        mentions += found
        if mentions > _MAX_MENTIONS:
            return
    _scan(pending, spec, log, final=True)


def _scan(buffer: bytes, spec: SheetSpec, log: ErrorLog, *, final: bool) -> tuple[bytes, int]:
    """Report the merges mentioned in ``buffer``; what to carry into the next chunk (a mention
    the chunk's end may cut), and how many mentions were looked at."""
    mentions = 0
    position = buffer.find(b"mergeCell")
    while position >= 0 and mentions <= _MAX_MENTIONS:
        start = buffer.rfind(b"<", max(position - 20, 0), position)
        if not final and start >= 0 and len(buffer) - start < _WINDOW:
            return buffer[start:], mentions
        mentions += 1
        match = _MERGE_CELL.match(buffer, start, start + _WINDOW) if start >= 0 else None
        if match is not None:
            _merge_error(match.group(1).decode(), spec, log)
        position = buffer.find(b"mergeCell", position + len(b"mergeCell"))
    # Without a mention near the end, only one cut in two needs carrying (with its "<" and
    # a namespace prefix).
    return buffer[-32:], mentions


def _chunks(open_source: Callable[[], IO[bytes]]) -> Iterator[bytes]:
    try:
        with open_source() as stream:
            while chunk := stream.read(_CHUNK):
                yield chunk
    except Exception as exc:  # zlib, CRC, a truncated part: the file's fault
        raise UnreadableFile() from exc


def _merge_error(reference: str, spec: SheetSpec, log: ErrorLog) -> None:
    try:
        first_column, first_row, _, last_row = range_boundaries(reference)
    except ValueError:  # past Excel's last column: no merge Excel would show
        return
    if last_row < FIRST_DATA_ROW or first_column > len(spec.columns):
        return
    log.add(
        RowError(
            spec.name,
            max(first_row, FIRST_DATA_ROW),
            spec.columns[first_column - 1].label,
            ErrorCode.MERGED_CELLS,
            f"Các ô {reference} đang được gộp (Merge); giá trị chỉ nằm ở ô đầu tiên. Hãy bỏ "
            "gộp ô và ghi đủ giá trị vào từng dòng",
            f"merged cells {reference} in the data area",
            {"cells": reference},
        )
    )
