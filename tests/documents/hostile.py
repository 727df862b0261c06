"""Hostile lists, built inside the project's own template: what the reader must answer in bounded
time and memory, whatever the file claims about itself.

Shared by ``test_hostile_lists.py`` (each class refused or accepted with its code) and
``tests/bench/bench_hostile.py`` (each class timed and measured in a fresh process). Big parts
are streamed into the zip in chunks (``ZipFile.open(name, "w", force_zip64=True)``), so building
a 1 GB sheet costs a few MB of memory.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import IO

from documents.nomination_list import write_filled_list

from .builders import AWARDS, HEADER, person

SHEET = "xl/worksheets/sheet1.xml"  # "Cá nhân"
MiB = 1024 * 1024
_CHUNK = 4 * MiB
_ROW = re.compile(rb'<row r="(\d+)"')


def template(path: Path) -> Path:
    """The unit's own list with two valid people on "Cá nhân" (rows 4 and 5)."""
    rows = [
        person("Nguyễn Thị Hương", date(1985, 5, 12)),
        person("Trần Văn Dũng", date(1978, 11, 3), gender="Nam"),
    ]
    return write_filled_list(path, HEADER, AWARDS, rows)


def _rewrite(
    source: Path,
    target: Path,
    parts: dict[str, Callable[[IO[bytes]], None]],
    extra: dict[str, bytes] | None = None,
) -> Path:
    """Copy ``source``'s package to ``target``, streaming the ``parts`` named and adding the
    ``extra`` ones."""
    with (
        zipfile.ZipFile(source) as original,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as copy,
    ):
        for info in original.infolist():
            write = parts.get(info.filename)
            if write is None:
                copy.writestr(info, original.read(info))
                continue
            with copy.open(info.filename, "w", force_zip64=True) as stream:
                write(stream)
        for name, data in (extra or {}).items():
            copy.writestr(name, data)
    return target


def _sheet_parts(source: Path) -> tuple[bytes, bytes, bytes]:
    """The individuals' sheet as (everything before its last row ends, the rows' end, after)."""
    with zipfile.ZipFile(source) as archive:
        xml = archive.read(SHEET)
    end = xml.index(b"</sheetData>")
    return xml[:end], b"</sheetData>", xml[end + len(b"</sheetData>") :]


def _last_row(xml: bytes) -> int:
    return max(int(number) for number in _ROW.findall(xml))


def _write_sheet(
    source: Path,
    target: Path,
    rows: Callable[[int], Iterable[bytes]],
    *,
    dimension: str | None,
    in_its_place: bytes = b"",
) -> Path:
    """The template with ``rows(first_free_row)`` streamed after its own rows; without a
    ``dimension``, ``in_its_place`` where the element was."""
    before, close, after = _sheet_parts(source)
    if dimension is None:
        before = re.sub(rb"<dimension [^>]*/>", in_its_place, before)
    else:
        before = re.sub(
            rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'.encode(), before
        )

    def write(stream: IO[bytes]) -> None:
        stream.write(before)
        for block in rows(_last_row(before) + 1):
            stream.write(block)
        stream.write(close + after)

    return _rewrite(source, target, {SHEET: write})


def _blocks(lines: Iterator[bytes], size: int = 50_000) -> Iterator[bytes]:
    while block := b"".join(line for _, line in zip(range(size), lines, strict=False)):
        yield block


# --------------------------------------------------------------------------------------------
# The classes
# --------------------------------------------------------------------------------------------


def inflated_xml(source: Path, target: Path, gigabytes: float = 1.0) -> Path:
    """A zip bomb: the sheet's XML padded with ``gigabytes`` of whitespace (~1 MB compressed)."""
    before, close, after = _sheet_parts(source)
    padding = int(gigabytes * 1024 * MiB)
    spaces = b" " * _CHUNK

    def write(stream: IO[bytes]) -> None:
        stream.write(before)
        for _ in range(padding // _CHUNK):
            stream.write(spaces)
        stream.write(close + after)

    return _rewrite(source, target, {SHEET: write})


def blank_row_flood(
    source: Path,
    target: Path,
    last_row: int = 4_000_003,
    *,
    dimension: bool = True,
    in_its_place: bytes = b"",
) -> Path:
    """Millions of empty ``<row>`` elements after the real rows, the sheet declaring them all
    (or, without ``dimension``, declaring nothing, so opening must size it by reading it;
    ``in_its_place`` then stands where the element was: a look-alike that is none)."""

    def rows(first: int) -> Iterator[bytes]:
        return _blocks(b'<row r="%d"/>' % number for number in range(first, last_row + 1))

    declared = f"A1:R{last_row}" if dimension else None
    return _write_sheet(source, target, rows, dimension=declared, in_its_place=in_its_place)


def error_flood(source: Path, target: Path, count: int = 300_000) -> Path:
    """``count`` faulty people: a name, a gender that is no gender, nothing else (four errors
    a row: gender, birth date, summary, no title or form)."""

    def rows(first: int) -> Iterator[bytes]:
        return _blocks(
            b'<row r="%d"><c r="B%d" t="inlineStr"><is><t>Nguyen Van %d</t></is></c>'
            b'<c r="C%d" t="inlineStr"><is><t>X</t></is></c></row>' % (n, n, n, n)
            for n in range(first, first + count)
        )

    return _write_sheet(source, target, rows, dimension=f"A1:R{count + 5}")


def fat_rows(source: Path, target: Path, rows: int = 50, cells: int = 2_000) -> Path:
    """Rows padded with thousands of empty cells past the template's columns."""
    padding = b"<c/>" * cells

    def write_rows(first: int) -> Iterator[bytes]:
        return (b'<row r="%d">%s</row>' % (n, padding) for n in range(first, first + rows))

    return _write_sheet(source, target, write_rows, dimension=f"A1:R{rows + 5}")


def giant_row(source: Path, target: Path, cells: int = 200_000) -> Path:
    """One row of ``cells`` empty cells: the whole row is in memory before it ends."""

    def write_rows(first: int) -> Iterator[bytes]:
        yield b'<row r="%d">' % first + b"<c/>" * cells + b"</row>"

    return _write_sheet(source, target, write_rows, dimension=f"A1:R{first_free(source)}")


def long_tag(source: Path, target: Path, size: int = 100_000) -> Path:
    """A cell whose tag carries a ``size``-byte attribute: expat holds a tag whole."""

    def write_rows(first: int) -> Iterator[bytes]:
        padding = b"a" * size
        yield b'<row r="%d"><c r="B%d" x="%s" t="n"><v>1</v></c></row>' % (first, first, padding)

    return _write_sheet(source, target, write_rows, dimension=f"A1:R{first_free(source)}")


def first_free(source: Path) -> int:
    """The first row after the template's own rows."""
    return _last_row(_sheet_parts(source)[0]) + 1


def merge_flood(source: Path, target: Path, count: int = 2_000_000) -> Path:
    """``count`` merged ranges after the rows, each in the data area."""
    before, close, after = _sheet_parts(source)

    def write(stream: IO[bytes]) -> None:
        stream.write(before + close + b'<mergeCells count="%d">' % count)
        merges = (b'<mergeCell ref="A%d:B%d"/>' % (n, n) for n in range(10, 10 + count))
        for block in _blocks(merges):
            stream.write(block)
        stream.write(b"</mergeCells>" + after)

    return _rewrite(source, target, {SHEET: write})


def styles_bomb(source: Path, target: Path, formats: int = 100_000) -> Path:
    """The template's stylesheet with ``formats`` more cell formats (Excel stops at 64,000)."""
    with zipfile.ZipFile(source) as archive:
        styles = archive.read("xl/styles.xml")
    end = styles.index(b"</cellXfs>")

    def write(stream: IO[bytes]) -> None:
        stream.write(styles[:end])
        for _ in range(formats // 10_000):
            stream.write(b"<xf/>" * 10_000)
        stream.write(b"<xf/>" * (formats % 10_000) + styles[end:])

    return _rewrite(source, target, {"xl/styles.xml": write})


def cell_flood(source: Path, target: Path, rows: int = 150, cells: int = 10_000) -> Path:
    """Rows of ``cells`` empty cells each past the template's columns, each cell with its own
    reference (so the part compresses like a real sheet, ~10x, and passes the zip checks)."""
    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(column).encode() for column in range(30, 30 + cells)]

    def write_rows(first: int) -> Iterator[bytes]:
        for n in range(first, first + rows):
            number = b"%d" % n
            yield b'<row r="%s">' % number
            yield b"".join(b'<c r="%s%s"/>' % (letter, number) for letter in letters)
            yield b"</row>"

    return _write_sheet(source, target, write_rows, dimension=f"A1:R{rows + 5}")


def many_parts(source: Path, target: Path, count: int = 300) -> Path:
    """The template with ``count`` extra tiny parts."""
    return _rewrite(source, target, {}, {f"customXml/item{n}.xml": b"<a/>" for n in range(count)})


def oversized(source: Path, target: Path, megabytes: int = 21) -> Path:
    """The template with an incompressible picture: over the upload cap on disk."""
    return _rewrite(source, target, {}, {"xl/media/image1.png": os.urandom(megabytes * MiB)})


def truncated(source: Path, target: Path, fraction: float = 0.5) -> Path:
    """The first ``fraction`` of the file: an interrupted download."""
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * fraction)])
    return target


# Other files under a list's name: a PDF, a PNG, and Excel 97-2003 (an OLE compound file).
WRONG_TYPES = {
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64,
    "xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4088,
}
