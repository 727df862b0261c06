"""Hostile lists: every file is answered with SubmissionRejected and a coded, Vietnamese reason,
or accepted, within a budget fixed in advance, whatever the file claims about itself.

The big files are built once per session (``hostile.py``: each inside the project's own
template). How long each takes and how much memory is measured by
``python -m tests.bench.bench_hostile``, not here.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from documents.nomination_list import (
    MAX_ERRORS,
    SHEET_INDIVIDUALS,
    AwardChoice,
    ListLimits,
    RowError,
    SubmissionRejected,
    read_nomination_list,
    shape,
)
from models.settings import Settings

from . import hostile
from .builders import TODAY, edit, read, rejected


def only_error(rejection: SubmissionRejected) -> RowError:
    assert len(rejection.errors) == 1, [str(e) for e in rejection.errors]
    assert rejection.total_errors == 1
    return rejection.errors[0]


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    template = hostile.template(folder / "mau.xlsx")
    return {
        "template": template,
        "inflated": hostile.inflated_xml(template, folder / "inflated.xlsx", gigabytes=1.0),
        "blank_flood": hostile.blank_row_flood(template, folder / "blank_flood.xlsx"),
        "unsized_flood": hostile.blank_row_flood(
            template, folder / "unsized.xlsx", 300_000, dimension=False
        ),
        # Its size only in text a parser skips: a comment, a processing instruction.
        "size_in_a_comment": hostile.blank_row_flood(
            template,
            folder / "size_in_a_comment.xlsx",
            300_000,
            dimension=False,
            in_its_place=b'<!-- <dimension ref="A1:R5"/> -->',
        ),
        "size_in_an_instruction": hostile.blank_row_flood(
            template,
            folder / "size_in_an_instruction.xlsx",
            300_000,
            dimension=False,
            in_its_place=b'<?note <dimension ref="A1:R5"/> ?>',
        ),
        "error_flood": hostile.error_flood(template, folder / "error_flood.xlsx", 300_000),
        "fat_rows": hostile.fat_rows(template, folder / "fat_rows.xlsx"),
        "styles": hostile.styles_bomb(template, folder / "styles.xlsx"),
        "parts": hostile.many_parts(template, folder / "parts.xlsx"),
        "oversized": hostile.oversized(template, folder / "oversized.xlsx"),
    }


# --------------------------------------------------------------------------------------------
# Refused before anything is inflated
# --------------------------------------------------------------------------------------------


def test_inflated_xml_is_refused_on_what_the_zip_declares(
    files: dict[str, Path], awards: list[AwardChoice]
) -> None:
    """A 5 MB file whose sheet inflates to 1 GB of whitespace."""
    error = only_error(rejected(files["inflated"], awards))
    assert error.code == "zip_bomb"
    assert error.reason_vi.startswith("Tệp nén bất thường")
    assert "xl/worksheets/sheet1.xml" in error.reason_vi and "1024 MB" in error.reason_vi


def test_a_package_declaring_more_than_the_budget_is_refused(
    files: dict[str, Path], awards: list[AwardChoice]
) -> None:
    """The blank-row flood inflates ~8x only, but declares 72 MB: over a 32 MB budget."""
    limits = ListLimits(max_unpacked_bytes=32 * hostile.MiB)
    error = only_error(rejected(files["blank_flood"], awards, limits=limits))
    assert error.code == "zip_bomb"
    assert "vượt xa một danh sách thật (tối đa 32 MB)" in error.reason_vi


def test_too_many_parts(files: dict[str, Path], awards: list[AwardChoice]) -> None:
    error = only_error(rejected(files["parts"], awards))
    assert error.code == "too_many_parts"
    assert "quá nhiều so với một danh sách (tối đa 200)" in error.reason_vi


def test_an_oversized_file_is_not_read(files: dict[str, Path], awards: list[AwardChoice]) -> None:
    error = only_error(rejected(files["oversized"], awards))
    assert error.code == "file_too_large"
    assert error.reason_vi.startswith("Tệp quá lớn (21.0 MB, tối đa 20 MB)")
    # The same cap holds for bytes that did not come from a file (a web upload).
    data = files["oversized"].read_bytes()
    with pytest.raises(SubmissionRejected) as refused:
        read_nomination_list(data, awards, today=TODAY)
    assert only_error(refused.value).code == "file_too_large"


@pytest.mark.parametrize(
    ("kind", "code", "expected"),
    [
        ("pdf", "not_xlsx", "không phải bảng tính Excel (.xlsx) mà là tệp PDF"),
        ("png", "not_xlsx", "không phải bảng tính Excel (.xlsx) mà là ảnh PNG"),
        ("xls", "legacy_xls", "Excel 97-2003 (.xls)"),
    ],
)
def test_other_files_renamed_xlsx(
    tmp_path: Path, awards: list[AwardChoice], kind: str, code: str, expected: str
) -> None:
    path = tmp_path / "danh_sach.xlsx"
    path.write_bytes(hostile.WRONG_TYPES[kind])
    error = only_error(rejected(path, awards))
    assert (error.code, error.sheet, error.row) == (code, "", 0)
    assert expected in error.reason_vi


@pytest.mark.parametrize("fraction", [0.5, 0.98])
def test_a_truncated_zip(
    files: dict[str, Path], tmp_path: Path, awards: list[AwardChoice], fraction: float
) -> None:
    """Cut in the middle of the parts, or in the central directory at the end."""
    path = hostile.truncated(files["template"], tmp_path / "hong.xlsx", fraction)
    error = only_error(rejected(path, awards))
    assert error.code == "damaged"
    assert error.reason_vi.startswith("Tệp Excel bị hỏng")


# --------------------------------------------------------------------------------------------
# Measured before openpyxl opens the workbook
# --------------------------------------------------------------------------------------------


def test_a_stylesheet_of_a_hundred_thousand_formats(
    files: dict[str, Path], awards: list[AwardChoice]
) -> None:
    """Opening turns each format into objects (~20 µs, ~2 KB each): refused before that."""
    error = only_error(rejected(files["styles"], awards))
    assert error.code == "too_much_data"
    assert "nhiều dữ liệu hoặc định dạng hơn hẳn một danh sách" in error.reason_vi


def test_an_unsized_sheet_too_large_to_open(
    files: dict[str, Path], awards: list[AwardChoice]
) -> None:
    """Without <dimension>, opening would read all 300,000 rows to size the sheet; the same
    when the only <dimension> is text inside a comment or a processing instruction."""
    for name in ("unsized_flood", "size_in_a_comment", "size_in_an_instruction"):
        error = only_error(rejected(files[name], awards))
        assert error.code == "too_much_data", name
        assert "không ghi kích thước các sheet" in error.reason_vi, name


# --------------------------------------------------------------------------------------------
# Bounded while the rows are read
# --------------------------------------------------------------------------------------------


def test_blank_rows_after_the_real_ones_end_the_sheet(
    files: dict[str, Path], awards: list[AwardChoice]
) -> None:
    """4 million blank rows, declared in the sheet's dimension, after two valid people: the
    list is accepted. Reading them all would overrun the budget (~1.1 million elements) and
    be refused, so acceptance shows the reading stopped at the blank run."""
    parsed = read(files["blank_flood"], awards)
    assert [(n.row_number, n.full_name) for n in parsed.nominations] == [
        (4, "Nguyễn Thị Hương"),
        (5, "Trần Văn Dũng"),
    ]


def test_rows_are_read_within_the_budget(files: dict[str, Path], awards: list[AwardChoice]) -> None:
    """50 rows of 2,000 empty cells each: within a 10,000-row list's budget, past a 10-row
    list's (14,000 elements and attributes), refused while streaming: the sheet declares its
    size, so opening the workbook costs ~6,000."""
    assert len(read(files["fat_rows"], awards).nominations) == 2
    small = ListLimits(max_rows=10, blank_run=90)
    assert small.max_markup == 14_000
    error = only_error(rejected(files["fat_rows"], awards, limits=small))
    assert error.code == "too_much_data"


@pytest.mark.parametrize("chunk", [7, 100, 600, 1024 * 1024])
def test_merges_are_found_wherever_the_sheet_is_cut(
    files: dict[str, Path],
    tmp_path: Path,
    awards: list[AwardChoice],
    monkeypatch: pytest.MonkeyPatch,
    chunk: int,
) -> None:
    """The merged-cell scan reads the sheet a chunk at a time (bounded memory); a merge cut by
    a chunk's end is still found, once."""
    path = edit(
        hostile.template(tmp_path / "gop.xlsx"),
        lambda book: book[SHEET_INDIVIDUALS].merge_cells("G4:G5"),
    )
    monkeypatch.setattr(shape, "_CHUNK", chunk)
    error = only_error(rejected(path, awards))
    assert (error.row, error.column, error.code) == (4, "Đơn vị công tác", "merged_cells")


@pytest.mark.parametrize(
    "build", [hostile.giant_row, hostile.long_tag], ids=["a-row-of-200000-cells", "a-100-KB-tag"]
)
def test_what_would_sit_whole_in_memory_is_refused(
    files: dict[str, Path],
    tmp_path: Path,
    awards: list[AwardChoice],
    build: Callable[[Path, Path], Path],
) -> None:
    """A row is parsed once it ends and a tag once it closes: both are bounded."""
    error = only_error(rejected(build(files["template"], tmp_path / "x.xlsx"), awards))
    assert error.code == "too_much_data"


def test_a_flood_of_merges_is_reported_within_bounds(
    files: dict[str, Path], tmp_path: Path, awards: list[AwardChoice]
) -> None:
    """20,000 merged ranges in the data area: the scan stops at 10,000 mentions, and what
    follows the rows is never parsed."""
    path = hostile.merge_flood(files["template"], tmp_path / "gop.xlsx", 20_000)
    rejection = rejected(path, awards)
    assert {e.code for e in rejection.errors} == {"merged_cells"}
    assert len(rejection.errors) == MAX_ERRORS
    assert rejection.total_errors <= 10_000


def test_a_cell_styled_with_a_style_the_file_lacks(
    good_file: Path, tmp_path: Path, awards: list[AwardChoice]
) -> None:
    """A hand-made file points a cell at style 99,999: the value is read as shown, unformatted."""
    edited = tmp_path / "kieu.xlsx"
    with zipfile.ZipFile(good_file) as source, zipfile.ZipFile(edited, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet2.xml":
                content = content.replace(b'<c r="F5" t="n">', b'<c r="F5" s="99999" t="n">')
            target.writestr(item, content)
    assert read(edited, awards).nominations[3].women_share == 0.45


def test_the_capacity_and_the_cap_are_settings(
    good_file: Path, awards: list[AwardChoice], monkeypatch: pytest.MonkeyPatch
) -> None:
    """TONVINH_LIST_MAX_ROWS and TONVINH_LIST_MAX_BYTES: the good file has two people."""
    monkeypatch.setenv("TONVINH_LIST_MAX_ROWS", "1")
    monkeypatch.setenv("TONVINH_LIST_MAX_BYTES", "100000")
    limits = ListLimits.from_settings(Settings())
    assert (limits.max_rows, limits.max_file_bytes) == (1, 100_000)
    error = rejected(good_file, awards, limits=limits).errors[0]
    assert (error.sheet, error.code) == (SHEET_INDIVIDUALS, "too_many_rows")
    assert "Có dữ liệu ở dòng 5, vượt sức chứa của mẫu (1 dòng" in error.reason_vi


def test_an_error_flood_is_summed_up(files: dict[str, Path], awards: list[AwardChoice]) -> None:
    """300,000 faulty rows: the capacity is named first, then the first errors in order, then
    how many more; rows past the capacity are not read."""
    rejection = rejected(files["error_flood"], awards)
    capacity, *cells = rejection.errors
    assert (capacity.sheet, capacity.row, capacity.code) == (SHEET_INDIVIDUALS, 0, "too_many_rows")
    assert "Có dữ liệu ở dòng 10004, vượt sức chứa của mẫu (10000 dòng" in capacity.reason_vi
    assert len(rejection.errors) == MAX_ERRORS
    # Rows 6 to 10,003 (rows 4 and 5 are the template's valid people), four errors each.
    assert rejection.total_errors == 1 + 9_998 * 4
    assert [e.row for e in cells] == sorted(e.row for e in cells)
    assert (cells[0].row, cells[-1].row) == (6, 55)
    assert {e.code for e in cells} == {"invalid_choice", "required", "no_award"}
    more = rejection.total_errors - MAX_ERRORS
    assert str(rejection).splitlines()[-1] == f"… và {more} lỗi khác (and {more} more errors)"
    assert str(rejection).count("\n") == MAX_ERRORS


# --------------------------------------------------------------------------------------------
# Files that are no list at all
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected", "code"),
    [
        (b"", "Tệp rỗng", "empty_file"),
        (
            "Họ và tên,Ngày sinh\nNguyễn Văn An,12/05/1980\n".encode(),
            "không phải bảng tính Excel",
            "not_xlsx",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504,
            "Excel 97-2003 (.xls)",
            "legacy_xls",
        ),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "không phải bảng tính Excel", "not_xlsx"),
    ],
    ids=["empty", "csv", "xls", "pdf"],
)
def test_files_that_are_not_xlsx(
    tmp_path: Path, awards: list[AwardChoice], content: bytes, expected: str, code: str
) -> None:
    path = tmp_path / "danh_sach.xlsx"
    path.write_bytes(content)
    error = only_error(rejected(path, awards))
    assert expected in error.reason_vi
    assert error.code == code
    assert "Traceback" not in str(error)


def test_a_zip_that_is_not_a_workbook(tmp_path: Path, awards: list[AwardChoice]) -> None:
    path = tmp_path / "danh_sach.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    error = only_error(rejected(path, awards))
    assert "Không mở được tệp" in error.reason_vi
    assert error.code == "not_xlsx"


@pytest.mark.parametrize("kept", [0.5, 0.95], ids=["in-the-rows", "after-the-rows"])
def test_a_workbook_damaged_inside(good_file: Path, awards: list[AwardChoice], kept: float) -> None:
    """The package opens but a sheet's XML is cut short (an interrupted download)."""
    damaged = good_file.with_name("hong.xlsx")
    with zipfile.ZipFile(good_file) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content[: int(len(content) * kept)]
            target.writestr(item, content)
    error = only_error(rejected(damaged, awards))
    assert "Tệp Excel bị hỏng" in error.reason_vi  # found while streaming, not at open
    assert error.code == "damaged"


def test_a_missing_file(tmp_path: Path, awards: list[AwardChoice]) -> None:
    error = only_error(rejected(tmp_path / "khong_co.xlsx", awards))
    assert 'Không đọc được tệp "khong_co.xlsx"' in error.reason_vi
    assert error.code == "unreadable"
