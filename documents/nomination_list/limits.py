"""Bounded cost for any file: what a list may weigh, checked before and while it is parsed.

Whatever arrives, the reader answers within a budget fixed in advance, in three layers:

1. **The package, before anything is inflated** (:func:`check_package`): the upload cap, the
   file's type by its first bytes, then the zip's central directory: how many parts, their
   declared sizes and compression ratios. Python's zipfile never inflates a part past its
   declared size, so a zip bomb is refused on what it declares.
2. **What openpyxl parses when it opens the workbook**, measured before it does: every part is
   read as a stream and its markup counted, except each worksheet's rows, which opening does
   not parse when a ``<dimension>`` gives the sheet's size (found in the sheet's first few KB,
   or else by openpyxl's own sizing step on a metered stream; a sheet without one must be
   small). Parts that become Python objects one element at a time (styles, the workbook,
   relationships) have a small budget of their own: each element costs them ~20 µs and ~2 KB.
3. **What the reader parses while it streams the rows** (:mod:`.rows`): through a
   :class:`MeteredStream` charging the same :class:`Budget`, keeping nothing but the row at
   hand, up to the template's row capacity and a run of blank rows after it.

Markup is what parsing costs: each element ("<") and attribute ("=") takes ~1-3 µs and, while
it is held, ~100 bytes, whatever the file says about itself.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

from openpyxl.packaging.manifest import Manifest
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import (
    ARC_CONTENT_TYPES,
    ARC_CORE,
    ARC_CUSTOM,
    ARC_STYLE,
    ARC_THEME,
    ARC_WORKBOOK,
    SHARED_STRINGS,
    WORKSHEET_TYPE,
)
from openpyxl.xml.functions import fromstring

from documents.nomination_list.errors import ErrorCode, SubmissionRejected, refuse
from models.settings import Settings

MiB = 1024 * 1024
_CHUNK = 1 * MiB
# Parts that are never parsed as XML: pictures and binaries only count as bytes and markup.
_MEDIA = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf", ".bin")
_OLE = b"\xd0\xcf\x11\xe0"
_MANIFEST_MAX_BYTES = 1 * MiB  # a real workbook's content types are a few KB
# Parts openpyxl reads at fixed paths when it opens a workbook.
_FIXED_PARTS = frozenset({ARC_STYLE, ARC_WORKBOOK, ARC_CORE, ARC_CUSTOM, ARC_THEME})
_SEND_TEMPLATE = "Hãy gửi đúng tệp mẫu danh sách đã điền"
_LOOKS_LIKE = {b"%PDF": "tệp PDF", b"\x89PNG": "ảnh PNG", b"\xff\xd8\xff": "ảnh JPEG"}


@dataclass(frozen=True)
class ListLimits:
    """What a unit's list may weigh. The defaults read a list of 10,000 full rows with room to
    spare and answer any file within ~5 s and ~300 MB on one core (tests/bench/bench_hostile)."""

    max_file_bytes: int = 20 * MiB  # the upload cap (TONVINH_LIST_MAX_BYTES)
    max_rows: int = 10_000  # the template's row capacity per sheet (TONVINH_LIST_MAX_ROWS)
    blank_run: int = 1_000  # blank rows past the capacity that end a sheet
    max_parts: int = 200  # parts in the zip package (a list has ~20)
    max_unpacked_bytes: int = 256 * MiB  # declared size of all parts together
    max_ratio: int = 100  # compression ratio refused for parts larger than ratio_floor_bytes
    ratio_floor_bytes: int = 1 * MiB
    # What may be parsed in all, per row of capacity. Markup is elements and attributes (each
    # "<" and "="): a full row of the template has ~125 and ~1.1 KB. Parsing costs ~1-3 µs
    # for each, so this bounds the time.
    markup_per_row: int = 140
    bytes_per_row: int = 6 * 1024
    max_structure_markup: int = 50_000  # of styles, workbook, relationships...
    # The shared strings are read whole when the workbook opens (~100,000 for a full list).
    max_strings_markup: int = 600_000
    max_tag_bytes: int = 64 * 1024  # one tag, attributes and all (a cell's is ~40 bytes)
    # A sheet that does not declare its size is read whole when the workbook opens (and once
    # more here, to know): it must be small, ~2,000 full rows. Excel always declares it.
    max_unsized_markup: int = 250_000

    @classmethod
    def from_settings(cls, settings: Settings) -> ListLimits:
        return cls(max_file_bytes=settings.list_max_bytes, max_rows=settings.list_max_rows)

    @property
    def max_markup(self) -> int:
        """Elements and attributes parsed in all, opening the workbook and reading its rows."""
        return (self.max_rows + self.blank_run) * self.markup_per_row

    @property
    def max_xml_bytes(self) -> int:
        """XML bytes parsed in all, opening the workbook and reading its rows."""
        return (self.max_rows + self.blank_run) * self.bytes_per_row


# --------------------------------------------------------------------------------------------
# The budget
# --------------------------------------------------------------------------------------------


class BudgetExceeded(Exception):
    """More was parsed than a full list needs; raised from inside the parser's reads."""


class UnsizedSheetTooLarge(BudgetExceeded):
    """A worksheet without a declared size is bigger than opening may read whole."""


class Budget:
    """The markup and bytes the reader may still parse for one file."""

    def __init__(self, limits: ListLimits) -> None:
        self.limits = limits
        self.markup = 0
        self.xml_bytes = 0
        self.structure = 0  # markup of the parts that become objects one element at a time

    def charge(self, data: bytes, *, structure: bool = False) -> int:
        """Charge ``data``; its markup. Past any limit, :class:`BudgetExceeded`."""
        markup = data.count(b"<") + data.count(b"=")
        self.markup += markup
        self.xml_bytes += len(data)
        if structure:
            self.structure += markup
        if (
            self.markup > self.limits.max_markup
            or self.xml_bytes > self.limits.max_xml_bytes
            or self.structure > self.limits.max_structure_markup
        ):
            raise BudgetExceeded()
        return markup

    def metered(self, stream: IO[bytes], *, part_markup: int | None = None) -> MeteredStream:
        return MeteredStream(stream, self, part_markup)


class MeteredStream:
    """A part's stream that charges the budget for every byte handed to the parser, refuses
    the part itself past ``part_markup``, and any tag longer than the limits allow (expat
    holds a whole tag, attributes and all, before it hands it over)."""

    def __init__(self, stream: IO[bytes], budget: Budget, part_markup: int | None) -> None:
        self._stream = stream
        self._budget = budget
        self._part_markup = part_markup
        self._markup = 0
        self._offset = 0
        self._open_tag: int | None = None  # where the tag not yet closed began

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(_CHUNK if size is None or size < 0 else size)
        self._markup += self._budget.charge(data)
        if self._part_markup is not None and self._markup > self._part_markup:
            raise UnsizedSheetTooLarge()
        last_open, last_close = data.rfind(b"<"), data.rfind(b">")
        if last_open > last_close:
            self._open_tag = self._offset + last_open
        elif last_close >= 0:
            self._open_tag = None
        self._offset += len(data)
        too_long = self._budget.limits.max_tag_bytes
        if self._open_tag is not None and self._offset - self._open_tag > too_long:
            raise BudgetExceeded()
        return data

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> MeteredStream:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def too_much_data(limits: ListLimits, exceeded: BudgetExceeded) -> SubmissionRejected:
    if isinstance(exceeded, UnsizedSheetTooLarge):
        return refuse(
            ErrorCode.TOO_MUCH_DATA,
            "Tệp không ghi kích thước các sheet (thường do phần mềm khác Excel tạo ra) và quá "
            "lớn để đọc như vậy. Hãy mở tệp bằng Excel, lưu lại dạng .xlsx rồi gửi lại",
            "a worksheet without a declared size is too large to be sized by reading it",
        )
    return refuse(
        ErrorCode.TOO_MUCH_DATA,
        "Tệp chứa nhiều dữ liệu hoặc định dạng hơn hẳn một danh sách đầy "
        f"({limits.max_rows} dòng). Hãy chép các dòng sang tệp mẫu đã được gửi "
        "(Paste Special > Values) rồi gửi lại",
        "the workbook holds far more markup than a full list",
        max_rows=limits.max_rows,
    )


# --------------------------------------------------------------------------------------------
# Reading the upload
# --------------------------------------------------------------------------------------------


def file_too_large(size: int, max_bytes: int) -> SubmissionRejected:
    return refuse(
        ErrorCode.FILE_TOO_LARGE,
        f"Tệp quá lớn ({size / MiB:.1f} MB, tối đa {max_bytes / MiB:.0f} MB). Danh sách không "
        "chèn ảnh hay tệp khác",
        f"file too large: {size} bytes, at most {max_bytes}",
        size=size,
        max_bytes=max_bytes,
    )


def read_upload_file(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, never more than ``max_bytes`` read (a file that grows while it is read
    is measured by what was read)."""
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                raise file_too_large(size, max_bytes)
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise refuse(
            ErrorCode.UNREADABLE,
            f'Không đọc được tệp "{path.name}"',
            f"cannot read file: {exc.strerror or exc}",
        ) from exc
    if len(data) > max_bytes:
        raise file_too_large(len(data), max_bytes)
    return data


# --------------------------------------------------------------------------------------------
# The package, before parsing
# --------------------------------------------------------------------------------------------


def damaged(reason_en: str) -> SubmissionRejected:
    return refuse(
        ErrorCode.DAMAGED,
        "Tệp Excel bị hỏng (có thể tải về hoặc sao chép chưa hết), không đọc được. Hãy mở tệp "
        "bằng Excel, lưu lại dạng .xlsx rồi gửi lại",
        f"damaged workbook: {reason_en}",
    )


def check_package(data: bytes, limits: ListLimits) -> Budget:
    """Refuse what is no workbook or costs more than a list may, before openpyxl opens it.

    Returns the budget with what opening the workbook will parse already charged.
    """
    _check_type(data, limits)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # BadZipFile mostly; whatever a broken directory makes zipfile raise
        raise damaged(f"not a complete zip package ({type(exc).__name__}: {exc})") from exc
    with archive:
        infos = archive.infolist()
        _check_declared(infos, limits)
        budget = Budget(limits)
        try:
            roles = _roles(archive, {info.filename for info in infos}, budget)
            for info in infos:
                name, part_roles = info.filename, roles.get(info.filename, set())
                if name == ARC_CONTENT_TYPES:
                    continue  # charged by _roles
                if _is_worksheet(name, part_roles):
                    _charge_sizing(archive, info, budget)
                else:
                    strings = SHARED_STRINGS in part_roles
                    _charge_whole(
                        archive,
                        info,
                        budget,
                        structure=_is_structure(name, part_roles),
                        part_markup=limits.max_strings_markup if strings else None,
                    )
        except BudgetExceeded as exceeded:
            raise too_much_data(limits, exceeded) from None
        except SubmissionRejected:
            raise
        except Exception as exc:  # any failure to read untrusted input is the file's fault
            raise damaged(f"{type(exc).__name__} while reading the package") from exc
    return budget


def _check_type(data: bytes, limits: ListLimits) -> None:
    if len(data) > limits.max_file_bytes:
        raise file_too_large(len(data), limits.max_file_bytes)
    if not data:
        raise refuse(ErrorCode.EMPTY_FILE, "Tệp rỗng (0 byte)", "empty file")
    if data.startswith(_OLE):
        raise refuse(
            ErrorCode.LEGACY_XLS,
            "Tệp ở định dạng Excel 97-2003 (.xls) hoặc đang đặt mật khẩu. Hãy bỏ mật khẩu nếu "
            'có và lưu lại dạng "Excel Workbook (*.xlsx)" trên đúng tệp mẫu',
            "legacy .xls or password-protected workbook, not .xlsx",
        )
    if not data.startswith(b"PK"):
        kind = next((name for magic, name in _LOOKS_LIKE.items() if data.startswith(magic)), "")
        raise refuse(
            ErrorCode.NOT_XLSX,
            "Tệp không phải bảng tính Excel (.xlsx)"
            + (f" mà là {kind}" if kind else "")
            + f". {_SEND_TEMPLATE}",
            "not an .xlsx file",
        )


def _check_declared(infos: list[zipfile.ZipInfo], limits: ListLimits) -> None:
    """The central directory's word on sizes, checked before a byte is inflated."""
    if len(infos) > limits.max_parts:
        raise refuse(
            ErrorCode.TOO_MANY_PARTS,
            f"Tệp gồm {len(infos)} phần, quá nhiều so với một danh sách (tối đa "
            f"{limits.max_parts}). {_SEND_TEMPLATE}",
            f"{len(infos)} parts in the package, at most {limits.max_parts}",
            parts=len(infos),
        )
    for info in infos:
        ratio = info.file_size // max(info.compress_size, 1)
        if info.file_size > limits.ratio_floor_bytes and ratio > limits.max_ratio:
            raise refuse(
                ErrorCode.ZIP_BOMB,
                f'Tệp nén bất thường: phần "{info.filename}" giải nén ra '
                f"{info.file_size / MiB:.0f} MB, gấp {ratio} lần khi nén; không danh sách thật "
                f"nào như vậy. Tệp không được xử lý. {_SEND_TEMPLATE}",
                f"zip bomb refused before inflating: {info.filename} inflates {ratio}x "
                f"to {info.file_size} bytes",
                part=info.filename,
                ratio=ratio,
            )
    total = sum(info.file_size for info in infos)
    if total > limits.max_unpacked_bytes:
        raise refuse(
            ErrorCode.ZIP_BOMB,
            f"Tệp nén bất thường: giải nén ra {total / MiB:.0f} MB, vượt xa một danh sách thật "
            f"(tối đa {limits.max_unpacked_bytes / MiB:.0f} MB). Tệp không được xử lý. "
            + _SEND_TEMPLATE,
            f"zip bomb refused before inflating: {total} bytes unpacked, "
            f"at most {limits.max_unpacked_bytes}",
            unpacked_bytes=total,
        )


def _roles(archive: zipfile.ZipFile, names: set[str], budget: Budget) -> dict[str, set[str]]:
    """Each part's content types as the manifest declares them (most parts have none)."""
    if ARC_CONTENT_TYPES not in names:
        raise refuse(
            ErrorCode.NOT_XLSX,
            "Không mở được tệp: tệp hỏng hoặc không phải bảng tính Excel (.xlsx). "
            + _SEND_TEMPLATE,
            "not a readable .xlsx workbook (no content types)",
        )
    info = archive.getinfo(ARC_CONTENT_TYPES)
    if info.file_size > _MANIFEST_MAX_BYTES:
        raise BudgetExceeded()
    source = archive.read(info)
    budget.charge(source, structure=True)  # counted before it is parsed
    roles: dict[str, set[str]] = {}
    for override in Manifest.from_tree(fromstring(source)).Override:
        roles.setdefault(str(override.PartName).lstrip("/"), set()).add(str(override.ContentType))
    return roles


def _is_worksheet(name: str, roles: set[str]) -> bool:
    """A part opening parses as a worksheet only (sizing it, not reading its rows). Every other
    part may be read whole at opening (the shared strings wherever the manifest puts them, the
    styles...), so it is charged whole."""
    return name.startswith("xl/worksheets/") and name.endswith(".xml") and roles <= {WORKSHEET_TYPE}


def _is_structure(name: str, roles: set[str]) -> bool:
    """A part opening may turn into objects one element at a time: anything but the shared
    strings and pictures nothing points at."""
    if name in _FIXED_PARTS:
        return True
    if roles:
        return roles != {SHARED_STRINGS}
    return not name.lower().endswith(_MEDIA)


def _charge_sizing(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget) -> None:
    """Charge what opening parses of a worksheet: openpyxl's own sizing step, run here on a
    metered stream. It stops at ``<dimension>``; without one it reads the whole sheet.

    A sheet that plainly states its size near its start (as every sheet Excel or our writer
    saves does: ``_states_its_size``) is charged for that head alone: the sizing step would
    stop there too, but parsing its first 16 KB took ~7% of the portal's CPU per upload."""
    with archive.open(info) as stream:
        metered = budget.metered(stream, part_markup=budget.limits.max_unsized_markup)
        head = metered.read(_SHEET_HEAD)
        if not _states_its_size(head):  # anything else: the real step, from the start
            WorkSheetParser(_Replayed(head, metered), []).parse_dimensions()


class _Replayed:
    """``head`` once more, then the rest of ``stream``: the bytes read to look at a sheet are
    parsed, inflated and charged once, not read again."""

    def __init__(self, head: bytes, stream: MeteredStream) -> None:
        self._head = head
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        if self._head:
            data, self._head = self._head, b""
            return data
        return self._stream.read(size)


_SHEET_HEAD = 4096
_XML_DECLARATION = re.compile(rb"(?:\xef\xbb\xbf)?<\?xml[^>]*\?>")
_DIMENSION = re.compile(rb"<dimension\b")


def _states_its_size(head: bytes) -> bool:
    """``<dimension>`` comes in ``head`` before the rows (``<sheetData``), with nothing before
    it but plain elements: no comment, CDATA, doctype or processing instruction (after the
    XML declaration) that could hold the same text without being the element. Anything
    unusual returns False, and the real sizing step decides."""
    dimension = _DIMENSION.search(head)
    if dimension is None:
        return False
    declaration = _XML_DECLARATION.match(head)
    before = head[declaration.end() if declaration else 0 : dimension.start()]
    return b"<!" not in before and b"<?" not in before and b"sheetData" not in before


def _charge_whole(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    budget: Budget,
    *,
    structure: bool,
    part_markup: int | None = None,
) -> None:
    markup = 0
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            markup += budget.charge(chunk, structure=structure)
            if part_markup is not None and markup > part_markup:
                raise BudgetExceeded()
