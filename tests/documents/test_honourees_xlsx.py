"""The honourees list: rows in the annex's order, amounts as numbers, totals as values."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from documents.decision import Honouree
from documents.honourees import (
    HEADER_ROW,
    LIST_HEADERS,
    LIST_SHEET,
    SUMMARY_SHEET,
    write_honourees_xlsx,
)

from .test_decision_docx import honourees


def write(tmp_path: Path, people: list[Honouree]) -> Path:
    return write_honourees_xlsx(
        tmp_path / "danh_sach.xlsx",
        "Biểu dương, tôn vinh điển hình tiên tiến ngành TT&TT năm 2018",
        "125/QĐ-BTTTT",
        date(2019, 3, 5),
        people,
    )


def test_rows_totals_and_number_format(tmp_path: Path) -> None:
    book = load_workbook(write(tmp_path, honourees()))  # formulas would show up as "=…" here
    sheet = book[LIST_SHEET]
    assert sheet["A1"].value == "DANH SÁCH CÁ NHÂN, TẬP THỂ ĐƯỢC KHEN THƯỞNG"
    assert "125/QĐ-BTTTT" in sheet["A3"].value and "05/03/2019" in sheet["A3"].value
    assert [c.value for c in sheet[HEADER_ROW]] == list(LIST_HEADERS)

    rows = [
        [c.value for c in row]
        for row in sheet.iter_rows(min_row=HEADER_ROW + 1, max_row=HEADER_ROW + 5)
    ]
    assert rows == [
        [1, "Trần Văn Dũng", "Cá nhân", "Phó Vụ trưởng", "Vụ Pháp chế",
         "Chiến sĩ thi đua cấp Bộ", 7_020_000],
        [2, "Nguyễn Thị Hương", "Cá nhân", "Chuyên viên chính", "Vụ Bưu chính",
         "Chiến sĩ thi đua cơ sở", 2_340_000],
        [3, "Đặng Thị Ngọc Ánh", "Cá nhân", None, "Trung tâm Thông tin",
         "Chiến sĩ thi đua cơ sở", 2_340_000],
        [4, "Phòng Tổng hợp, Cục Tin học hóa", "Tập thể", None, "Cục Tin học hóa",
         "Tập thể lao động xuất sắc", 3_510_000],
        [5, "Tổ Ứng cứu sự cố an toàn thông tin", "Tập thể", None, "Cục An toàn thông tin",
         "Tập thể lao động xuất sắc", 3_510_000],
    ]  # fmt: skip
    total = sheet[HEADER_ROW + 6]
    assert total[1].value == "Tổng cộng"
    assert total[6].value == 18_720_000
    assert total[6].data_type == "n"  # a value, not a formula
    assert sheet.max_row == HEADER_ROW + 6
    for row in range(HEADER_ROW + 1, HEADER_ROW + 7):
        assert sheet.cell(row=row, column=7).number_format == "#,##0"


def test_summary_per_award(tmp_path: Path) -> None:
    sheet = load_workbook(write(tmp_path, honourees()))[SUMMARY_SHEET]
    rows = [
        [c.value for c in row][1:]
        for row in sheet.iter_rows(min_row=HEADER_ROW + 1, max_row=sheet.max_row)
    ]
    assert rows == [
        ["Chiến sĩ thi đua cấp Bộ", "CSTD_BO", "Cá nhân", 1, 7_020_000],
        ["Chiến sĩ thi đua cơ sở", "CSTDCS", "Cá nhân", 2, 4_680_000],
        ["Tập thể lao động xuất sắc", "TTLDXS", "Tập thể", 2, 7_020_000],
        ["Tổng cộng", None, None, 5, 18_720_000],
    ]
    assert sheet.cell(row=sheet.max_row, column=6).number_format == "#,##0"


def test_a_name_starting_with_equals_stays_text(tmp_path: Path) -> None:
    odd = Honouree("collective", "=Nhóm A", None, "Cục X", "TTLDXS", "Tập thể lao động xuất sắc",
                   1)  # fmt: skip
    sheet = load_workbook(write(tmp_path, [odd]))[LIST_SHEET]
    assert sheet.cell(row=HEADER_ROW + 1, column=2).data_type == "s"
