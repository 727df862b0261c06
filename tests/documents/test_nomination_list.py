"""The unit's Excel list: generated, filled, parsed back; every way a real file goes wrong."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from documents.nomination_list import (
    SHEET_COLLECTIVES,
    SHEET_INDIVIDUALS,
    SHEET_LISTS,
    SHEET_META,
    AwardChoice,
    ListHeader,
    RowError,
    SubmissionRejected,
    write_filled_list,
    write_unit_template,
)
from models import clock
from models.nomination import InitiativeLevel, NominationCreate, NomineeKind

from .builders import CAMPAIGN, UNIT, collective, edit, person, read, rejected

INDIVIDUAL_HEADERS = [
    "STT",
    "Họ và tên (*)",
    "Giới tính (*)",
    "Ngày sinh (*)",
    "Chức vụ",
    "Phòng ban / tổ công tác",
    "Đơn vị công tác",
    "Địa chỉ",
    "Phân loại cán bộ",
    "Hình thức khen thưởng",
    "Danh hiệu thi đua (nếu có)",
    "Số năm liên tục đạt CSTĐCS",
    "Số năm liên tục đạt CSTĐ cấp Bộ",
    "Sáng kiến (cấp công nhận: Không / Cơ sở / Bộ / Toàn quốc)",
    "Hoàn thành xuất sắc nhiệm vụ (Có/Không)",
    "Đang bị kỷ luật, điều tra, khiếu nại (Có/Không)",
    "Tóm tắt thành tích (*)",
    "Tệp đính kèm",
]
COLLECTIVE_HEADERS = [
    "STT",
    "Tên đơn vị / tập thể (*)",
    "Phân loại tập thể",
    "Hình thức khen thưởng",
    "Danh hiệu thi đua (nếu có)",
    "Tỷ lệ nữ (%)",
    "Đang bị kỷ luật, điều tra, khiếu nại (Có/Không)",
    "Tóm tắt thành tích (*)",
    "Tệp đính kèm",
]


def reasons(rejection: SubmissionRejected, sheet: str, row: int, column: str) -> list[str]:
    """The Vietnamese reasons reported for one cell."""
    return [
        e.reason_vi for e in rejection.errors if (e.sheet, e.row, e.column) == (sheet, row, column)
    ]


def only_error(rejection: SubmissionRejected) -> RowError:
    assert len(rejection.errors) == 1, [str(e) for e in rejection.errors]
    return rejection.errors[0]


def individuals(book: Any) -> Any:
    return book[SHEET_INDIVIDUALS]


def collectives(book: Any) -> Any:
    return book[SHEET_COLLECTIVES]


# --------------------------------------------------------------------------------------------
# The template and the round trip
# --------------------------------------------------------------------------------------------


def test_filled_list_round_trips_every_field(
    good_file: Path, awards: list[AwardChoice], rows: list[NominationCreate]
) -> None:
    parsed = read(good_file, awards, expected_unit_code=UNIT, expected_campaign_code=CAMPAIGN)

    assert parsed.header.unit_code == UNIT
    assert parsed.header.campaign_code == CAMPAIGN
    assert parsed.header.unit_name == "Vụ Bưu chính"
    assert parsed.header.deadline == date(2019, 3, 8)
    assert parsed.sha256 == hashlib.sha256(good_file.read_bytes()).hexdigest()
    assert [(n.kind, n.row_number) for n in parsed.nominations] == [
        (NomineeKind.INDIVIDUAL, 4),
        (NomineeKind.INDIVIDUAL, 5),
        (NomineeKind.COLLECTIVE, 4),
        (NomineeKind.COLLECTIVE, 5),
    ]
    for got, sent in zip(parsed.nominations, rows, strict=True):
        assert got.model_dump(exclude={"row_number"}) == sent.model_dump(exclude={"row_number"})


def test_names_in_cells_are_mapped_to_codes(good_file: Path, awards: list[AwardChoice]) -> None:
    """The sheet shows Vietnamese names; the system stores the campaign's codes."""
    book = load_workbook(good_file)
    assert individuals(book)["K4"].value == "Chiến sĩ thi đua cấp Bộ"
    assert individuals(book)["J4"].value == "Bằng khen của Bộ trưởng"
    assert collectives(book)["D5"].value == "Bằng khen của Bộ trưởng"

    parsed = read(good_file, awards)
    hương, dũng, phòng, tổ = parsed.nominations
    assert (hương.proposed_title, hương.proposed_form) == ("CSTD_BO", "BK_BT")
    assert (dũng.proposed_title, dũng.proposed_form) == ("CSTDCS", None)
    assert (phòng.proposed_title, tổ.proposed_form) == ("TTLDXS", "BK_BT")
    assert tổ.women_share == 0.45 and tổ.under_discipline is True


def test_template_layout_dropdowns_and_hidden_identity(
    tmp_path: Path, header: ListHeader, awards: list[AwardChoice]
) -> None:
    path = write_unit_template(tmp_path / "mau.xlsx", header, awards)
    book = load_workbook(path)

    assert book.sheetnames == [SHEET_INDIVIDUALS, SHEET_COLLECTIVES, SHEET_LISTS, SHEET_META]
    sheet = individuals(book)
    assert sheet["A1"].value == "DANH SÁCH CÁ NHÂN ĐỀ NGHỊ KHEN THƯỞNG"
    assert "Vụ Bưu chính" in sheet["A2"].value and "08/03/2019" in sheet["A2"].value
    assert "(*)" in sheet["A2"].value  # the note explaining required columns
    assert [c.value for c in sheet[3]] == INDIVIDUAL_HEADERS
    assert all(c.font.bold for c in sheet[3])
    assert sheet.freeze_panes == "C4"
    assert sheet.column_dimensions["B"].width > 20
    assert collectives(book)["A1"].value == "DANH SÁCH TẬP THỂ ĐỀ NGHỊ KHEN THƯỞNG"
    assert [c.value for c in collectives(book)[3]] == COLLECTIVE_HEADERS

    # Each dropdown names a range on "Danh mục" holding exactly the choices that fit the sheet.
    def choices(worksheet: Any, column: str) -> list[str]:
        rule = next(
            dv
            for dv in worksheet.data_validations.dataValidation
            if dv.type == "list" and str(dv.sqref).startswith(f"{column}4:")
        )
        reference = book.defined_names[rule.formula1].attr_text
        sheet_name, cells = reference.rsplit("!", 1)
        assert sheet_name.strip("'") == SHEET_LISTS
        return [c.value for (c,) in book[SHEET_LISTS][cells.replace("$", "")]]

    assert choices(sheet, "K") == [
        "Lao động tiên tiến",
        "Chiến sĩ thi đua cơ sở",
        "Chiến sĩ thi đua cấp Bộ",
    ]
    assert choices(sheet, "J") == ["Bằng khen của Bộ trưởng", "Kỷ niệm chương"]
    assert choices(sheet, "C") == ["Nam", "Nữ"]
    assert choices(sheet, "O") == ["Có", "Không"]
    assert choices(sheet, "N") == ["Không", "Cơ sở", "Bộ", "Toàn quốc"]
    assert choices(collectives(book), "E") == [
        "Tập thể lao động tiên tiến",
        "Tập thể lao động xuất sắc",
        "Cờ thi đua cấp Bộ",
    ]
    assert choices(collectives(book), "D") == ["Bằng khen của Bộ trưởng"]
    date_rule = next(dv for dv in sheet.data_validations.dataValidation if dv.type == "date")
    assert str(date_rule.sqref).startswith("D4:")
    assert sheet.column_dimensions["D"].number_format == "dd/mm/yyyy"

    meta = book[SHEET_META]
    assert meta.sheet_state == "veryHidden"
    values = {row[0]: row[1] for row in meta.iter_rows(values_only=True)}
    assert values["unit_code"] == UNIT
    assert values["campaign_code"] == CAMPAIGN
    assert values["template_version"] == "1"


def test_blank_template_is_rejected_as_empty(
    tmp_path: Path, header: ListHeader, awards: list[AwardChoice]
) -> None:
    path = write_unit_template(tmp_path / "mau.xlsx", header, awards)
    error = only_error(rejected(path, awards))
    assert error.code == "empty_list"
    assert error.reason_vi.startswith("Danh sách không có dòng nào")


def test_typed_entries_are_normalised(good_file: Path, awards: list[AwardChoice]) -> None:
    """Decomposed Unicode (macOS), odd spaces, lower case award names typed by hand, "Cấp Bộ",
    years as text, a percent-formatted share, a date cell with a time: all read as meant."""

    def change(book: Any) -> None:
        sheet = individuals(book)
        sheet["B5"] = unicodedata.normalize("NFD", "  Trần\u00a0Văn   Dũng ")
        sheet["K5"] = "  chiến sĩ  thi đua CƠ SỞ "
        sheet["N5"] = "Cấp Bộ"
        sheet["L5"] = "3"
        sheet["O5"] = "có"
        sheet["D5"] = datetime(1978, 11, 3, 0, 0)
        share = collectives(book)["F4"]
        share.value = 0.6
        share.number_format = "0%"

    edit(good_file, change)
    parsed = read(good_file, awards)
    dũng = parsed.nominations[1]
    assert dũng.full_name == "Trần Văn Dũng"
    assert dũng.full_name == unicodedata.normalize("NFC", dũng.full_name)
    assert dũng.proposed_title == "CSTDCS"
    assert dũng.initiative_level == InitiativeLevel.MINISTRY
    assert dũng.consecutive_base_years == 3
    assert dũng.excellent_completion is True
    assert dũng.birth_date == date(1978, 11, 3)
    assert parsed.nominations[2].women_share == 0.6


def test_empty_rows_and_pre_numbered_rows_are_skipped(
    good_file: Path, awards: list[AwardChoice]
) -> None:
    """Units leave blank lines and number STT down the sheet in advance."""

    def change(book: Any) -> None:
        sheet = individuals(book)
        for column in range(1, 19):  # move row 5 to row 8, leaving 5-7 empty
            sheet.cell(row=8, column=column).value = sheet.cell(row=5, column=column).value
            sheet.cell(row=8, column=column).number_format = sheet.cell(
                row=5, column=column
            ).number_format
            sheet.cell(row=5, column=column).value = None
        sheet["A6"] = 3
        sheet["A7"] = "   "
        sheet["A9"] = "=ROW()-3"  # a dragged STT formula on an otherwise empty row

    edit(good_file, change)
    parsed = read(good_file, awards)
    assert [n.row_number for n in parsed.nominations if n.kind == "individual"] == [4, 8]
    assert parsed.nominations[1].full_name == "Trần Văn Dũng"


def test_same_name_with_another_birth_date_is_not_a_duplicate(
    tmp_path: Path, header: ListHeader, awards: list[AwardChoice]
) -> None:
    twins = [
        person("Nguyễn Văn An", date(1980, 1, 1)),
        person("Nguyễn Văn An", date(1990, 2, 2)),
    ]
    path = write_filled_list(tmp_path / "l.xlsx", header, awards, twins)
    assert len(read(path, awards).nominations) == 2


def test_a_summary_starting_with_equals_is_text_not_formula(
    tmp_path: Path, header: ListHeader, awards: list[AwardChoice]
) -> None:
    row = person("Lê Thu Hà", date(1990, 7, 1), achievement_summary="= Vượt 120% kế hoạch")
    path = write_filled_list(tmp_path / "l.xlsx", header, awards, [row])
    summary = read(path, awards).nominations[0].achievement_summary
    assert summary == "= Vượt 120% kế hoạch"


# --------------------------------------------------------------------------------------------
# Structure: sheets, headers, identity
# --------------------------------------------------------------------------------------------


def test_missing_sheet(good_file: Path, awards: list[AwardChoice]) -> None:
    edit(good_file, lambda book: book.remove(collectives(book)))
    error = only_error(rejected(good_file, awards))
    assert (error.sheet, error.row, error.code) == (SHEET_COLLECTIVES, 0, "missing_sheet")
    assert 'Thiếu sheet "Tập thể"' in error.reason_vi
    assert str(error).startswith('Sheet "Tập thể": Thiếu sheet')


def test_renamed_header_reports_expected_and_found(
    good_file: Path, awards: list[AwardChoice]
) -> None:
    edit(good_file, lambda book: individuals(book).__setitem__("D3", "Năm sinh"))
    error = only_error(rejected(good_file, awards))
    assert (error.sheet, error.row, error.column) == (SHEET_INDIVIDUALS, 3, "Ngày sinh")
    assert error.code == "wrong_header"
    assert '"Ngày sinh (*)"' in error.reason_vi and '"Năm sinh"' in error.reason_vi
    assert "expected header 'Ngày sinh (*)', found 'Năm sinh'" in error.reason_en


def test_header_without_the_required_marker_is_accepted(
    good_file: Path, awards: list[AwardChoice]
) -> None:
    edit(good_file, lambda book: individuals(book).__setitem__("B3", "họ và tên"))
    assert len(read(good_file, awards).nominations) == 4


def test_reordered_columns(good_file: Path, awards: list[AwardChoice]) -> None:
    def swap(book: Any) -> None:
        sheet = individuals(book)
        sheet["J3"], sheet["K3"] = sheet["K3"].value, sheet["J3"].value

    edit(good_file, swap)
    rejection = rejected(good_file, awards)
    assert [(e.row, e.column) for e in rejection.errors] == [
        (3, "Hình thức khen thưởng"),
        (3, "Danh hiệu thi đua (nếu có)"),
    ]
    assert all("đổi chỗ" in e.reason_vi for e in rejection.errors)
    # the data under a wrong header is not read: no cascade of row errors
    assert all(e.row == 3 for e in rejection.errors)


def test_deleted_column(good_file: Path, awards: list[AwardChoice]) -> None:
    edit(good_file, lambda book: collectives(book).delete_cols(3))  # "Phân loại tập thể"
    rejection = rejected(good_file, awards)
    assert {e.sheet for e in rejection.errors} == {SHEET_COLLECTIVES}
    assert rejection.errors[0].column == "Phân loại tập thể"
    assert '"Hình thức khen thưởng"' in rejection.errors[0].reason_vi
    assert "để trống" in rejection.errors[-1].reason_vi  # the last header is now missing


def test_rows_inserted_above_the_header(good_file: Path, awards: list[AwardChoice]) -> None:
    """A unit adds its own letterhead above the table: one clear error, not one per column."""
    edit(good_file, lambda book: individuals(book).insert_rows(1, amount=2))
    error = only_error(rejected(good_file, awards))
    assert (error.sheet, error.row, error.column) == (SHEET_INDIVIDUALS, 5, "")
    assert error.code == "header_moved"
    assert "Dòng tiêu đề phải ở dòng 3 nhưng đang ở dòng 5" in error.reason_vi


def test_merged_cells_in_the_data_area(good_file: Path, awards: list[AwardChoice]) -> None:
    """Merging "Đơn vị công tác" over two people shows one unit for both; the file holds it for
    the first only, so the merge is refused rather than guessed."""
    edit(good_file, lambda book: individuals(book).merge_cells("G4:G5"))
    error = only_error(rejected(good_file, awards))
    assert (error.sheet, error.row, error.column) == (SHEET_INDIVIDUALS, 4, "Đơn vị công tác")
    assert "G4:G5 đang được gộp" in error.reason_vi
    assert error.code == "merged_cells"


def test_list_of_another_unit_is_rejected(good_file: Path, awards: list[AwardChoice]) -> None:
    error = only_error(rejected(good_file, awards, expected_unit_code="CUC_TIN_HOC_HOA"))
    assert (error.sheet, error.row, error.column, error.code) == ("", 0, "", "wrong_unit")
    assert "Vụ Bưu chính" in error.reason_vi and "CUC_TIN_HOC_HOA" in error.reason_vi
    assert "list belongs to unit VU_BUU_CHINH" in error.reason_en


def test_list_of_another_campaign_is_rejected(good_file: Path, awards: list[AwardChoice]) -> None:
    error = only_error(rejected(good_file, awards, expected_campaign_code="TV2019"))
    assert error.code == "wrong_campaign"
    assert "TV2018" in error.reason_vi and "không phải đợt TV2019" in error.reason_vi


def test_list_copied_into_a_new_workbook_is_rejected(
    good_file: Path, awards: list[AwardChoice]
) -> None:
    edit(good_file, lambda book: book.remove(book[SHEET_META]))
    error = only_error(rejected(good_file, awards))
    assert error.code == "not_issued"
    assert "không phải danh sách do hệ thống cấp" in error.reason_vi


def test_tampered_template_version_is_rejected(good_file: Path, awards: list[AwardChoice]) -> None:
    edit(good_file, lambda book: book[SHEET_META].__setitem__("B2", "0"))
    error = only_error(rejected(good_file, awards))
    assert error.code == "unsupported_version"
    assert "phiên bản 0" in error.reason_vi


# --------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------


def test_empty_required_cells(good_file: Path, awards: list[AwardChoice]) -> None:
    def change(book: Any) -> None:
        individuals(book)["B4"] = None
        individuals(book)["C5"] = "  "
        individuals(book)["D5"] = None
        collectives(book)["H4"] = None

    edit(good_file, change)
    rejection = rejected(good_file, awards)
    assert reasons(rejection, SHEET_INDIVIDUALS, 4, "Họ và tên") == ["Ô bắt buộc bị trống"]
    assert reasons(rejection, SHEET_INDIVIDUALS, 5, "Giới tính") == ["Ô bắt buộc bị trống"]
    assert reasons(rejection, SHEET_INDIVIDUALS, 5, "Ngày sinh") == ["Ô bắt buộc bị trống"]
    assert reasons(rejection, SHEET_COLLECTIVES, 4, "Tóm tắt thành tích") == ["Ô bắt buộc bị trống"]
    assert len(rejection.errors) == 4
    assert {e.code for e in rejection.errors} == {"required"}


def test_unknown_title_not_on_offer(good_file: Path, awards: list[AwardChoice]) -> None:
    # a real title, but not one this campaign offers
    edit(good_file, lambda book: individuals(book).__setitem__("K5", "Chiến sĩ thi đua toàn quốc"))
    error = only_error(rejected(good_file, awards))
    assert (error.sheet, error.row, error.column) == (
        SHEET_INDIVIDUALS,
        5,
        "Danh hiệu thi đua (nếu có)",
    )
    assert "không có trong danh mục danh hiệu thi đua của đợt thi đua này" in error.reason_vi
    assert error.code == "unknown_award"


def test_collective_title_on_an_individual_and_form_in_title_column(
    good_file: Path, awards: list[AwardChoice]
) -> None:
    def change(book: Any) -> None:
        individuals(book)["K5"] = "Tập thể lao động xuất sắc"
        collectives(book)["E4"] = "Bằng khen của Bộ trưởng"

    edit(good_file, change)
    rejection = rejected(good_file, awards)
    assert (
        "chỉ xét cho tập thể"
        in reasons(rejection, SHEET_INDIVIDUALS, 5, "Danh hiệu thi đua (nếu có)")[0]
    )
    assert (
        'hãy ghi vào cột "Hình thức khen thưởng"'
        in reasons(rejection, SHEET_COLLECTIVES, 4, "Danh hiệu thi đua (nếu có)")[0]
    )
    assert [e.code for e in rejection.errors] == ["award_for_other_kind", "award_in_other_column"]


def test_neither_title_nor_form(good_file: Path, awards: list[AwardChoice]) -> None:
    def change(book: Any) -> None:
        individuals(book)["J4"] = None
        individuals(book)["K4"] = None

    edit(good_file, change)
    error = only_error(rejected(good_file, awards))
    assert (error.row, error.column, error.code) == (4, "Hình thức khen thưởng", "no_award")
    assert "phải có ít nhất một" in error.reason_vi


@pytest.mark.parametrize(
    ("typed", "expected", "code"),
    [
        ("12/05/1980", "đang là chữ, không phải ô kiểu ngày", "date_as_text"),
        ("31/02/1980", "không phải một ngày có thật", "impossible_date"),
        ("tháng 5/1980", "không phải ngày tháng", "not_a_date"),
        (29353, "không phải ngày", "not_a_date"),  # a date that lost its date format
        (datetime(2019, 6, 1), "ở tương lai", "future_date"),
        (datetime(2015, 6, 1), "không hợp lý", "implausible_date"),  # a typo in the year
    ],
)
def test_bad_birth_dates(
    good_file: Path, awards: list[AwardChoice], typed: object, expected: str, code: str
) -> None:
    def change(book: Any) -> None:
        cell = individuals(book)["D4"]
        cell.value = typed
        if isinstance(typed, int):
            cell.number_format = "General"  # a serial number is a date only in a date format

    edit(good_file, change)
    error = only_error(rejected(good_file, awards))
    assert (error.sheet, error.row, error.column) == (SHEET_INDIVIDUALS, 4, "Ngày sinh")
    assert expected in error.reason_vi
    assert error.code == code


def test_birth_dates_are_judged_on_the_day_given_not_the_clock(
    tmp_path: Path, header: ListHeader, awards: list[AwardChoice]
) -> None:
    """Born 1 June 2005: 15 years old on 1 June 2020, not the day before, whatever the clock
    says (here: 2040, when the person is 35)."""
    young = person("Lê Văn Trẻ", date(2005, 6, 1))
    path = write_filled_list(tmp_path / "l.xlsx", header, awards, [young])
    clock.set_now(datetime(2040, 1, 1, 9, 0, tzinfo=clock.VN_TZ))
    try:
        assert read(path, awards, today=date(2020, 6, 1)).nominations[0].full_name == "Lê Văn Trẻ"
        too_young = only_error(rejected(path, awards, today=date(2020, 5, 31)))
        assert (too_young.code, too_young.column) == ("implausible_date", "Ngày sinh")
        assert "chưa đủ 15 tuổi" in too_young.reason_vi
        unborn = only_error(rejected(path, awards, today=date(2005, 5, 31)))
        assert unborn.code == "future_date"
        assert "Ngày sinh 01/06/2005 ở tương lai" in unborn.reason_vi
    finally:
        clock.set_now(None)


def test_formula_cells_are_refused(good_file: Path, awards: list[AwardChoice]) -> None:
    def change(book: Any) -> None:
        individuals(book)["L4"] = "=2+1"
        individuals(book)["B5"] = '=CONCATENATE("Trần ","Văn Dũng")'
        collectives(book)["A4"] = "=ROW()-3"

    edit(good_file, change)
    rejection = rejected(good_file, awards)
    assert [(e.sheet, e.row, e.column) for e in rejection.errors] == [
        (SHEET_INDIVIDUALS, 4, "Số năm liên tục đạt CSTĐCS"),
        (SHEET_INDIVIDUALS, 5, "Họ và tên"),
        (SHEET_COLLECTIVES, 4, "STT"),
    ]
    assert all("công thức" in e.reason_vi for e in rejection.errors)
    assert all("formula" in e.reason_en for e in rejection.errors)
    assert {e.code for e in rejection.errors} == {"formula"}


def test_duplicate_individual_reports_both_rows(
    tmp_path: Path, header: ListHeader, awards: list[AwardChoice]
) -> None:
    rows = [
        person("Nguyễn Thị Hương", date(1985, 5, 12)),
        person("Lê Minh Tuấn", date(1982, 8, 20), gender="Nam"),
        # typed again further down, decomposed and in capitals
        person(unicodedata.normalize("NFD", "NGUYỄN THỊ HƯƠNG"), date(1985, 5, 12)),
    ]
    path = write_filled_list(tmp_path / "l.xlsx", header, awards, rows)
    rejection = rejected(path, awards)
    assert [(e.row, e.column) for e in rejection.errors] == [(4, "Họ và tên"), (6, "Họ và tên")]
    assert "Trùng với dòng 6" in rejection.errors[0].reason_vi
    assert "Trùng với dòng 4" in rejection.errors[1].reason_vi
    assert {e.code for e in rejection.errors} == {"duplicate"}


def test_duplicate_collective(
    tmp_path: Path, header: ListHeader, awards: list[AwardChoice]
) -> None:
    rows = [
        collective("Phòng Tổng hợp"),
        collective("Phòng Kế hoạch - Tài chính"),
        collective("phòng  tổng hợp", proposed_title="TTLDTT"),
    ]
    path = write_filled_list(tmp_path / "l.xlsx", header, awards, rows)
    rejection = rejected(path, awards)
    assert [(e.sheet, e.row) for e in rejection.errors] == [
        (SHEET_COLLECTIVES, 4),
        (SHEET_COLLECTIVES, 6),
    ]
    assert "cùng tên tập thể" in rejection.errors[0].reason_vi


def test_numbers_out_of_range(good_file: Path, awards: list[AwardChoice]) -> None:
    def change(book: Any) -> None:
        individuals(book)["L4"] = 51
        individuals(book)["M4"] = -1
        individuals(book)["L5"] = 2.5
        collectives(book)["F4"] = 120
        collectives(book)["F5"] = "nhiều"

    edit(good_file, change)
    rejection = rejected(good_file, awards)
    assert (
        "ngoài khoảng cho phép 0–50"
        in reasons(rejection, SHEET_INDIVIDUALS, 4, "Số năm liên tục đạt CSTĐCS")[0]
    )
    assert (
        "ngoài khoảng cho phép 0–50"
        in reasons(rejection, SHEET_INDIVIDUALS, 4, "Số năm liên tục đạt CSTĐ cấp Bộ")[0]
    )
    assert (
        "không phải số nguyên"
        in reasons(rejection, SHEET_INDIVIDUALS, 5, "Số năm liên tục đạt CSTĐCS")[0]
    )
    assert "ngoài khoảng 0–100" in reasons(rejection, SHEET_COLLECTIVES, 4, "Tỷ lệ nữ (%)")[0]
    assert "không phải số" in reasons(rejection, SHEET_COLLECTIVES, 5, "Tỷ lệ nữ (%)")[0]
    assert len(rejection.errors) == 5
    assert [e.code for e in rejection.errors] == [
        "out_of_range",
        "out_of_range",
        "not_a_whole_number",
        "out_of_range",
        "not_a_number",
    ]


def test_yes_no_and_list_values(good_file: Path, awards: list[AwardChoice]) -> None:
    def change(book: Any) -> None:
        individuals(book)["O4"] = "Rồi"
        individuals(book)["P5"] = True  # TRUE typed in Excel
        individuals(book)["C4"] = "Nữ giới"
        individuals(book)["N4"] = "Cấp tỉnh"
        collectives(book)["G4"] = "K"

    edit(good_file, change)
    rejection = rejected(good_file, awards)
    yes_no = "Hoàn thành xuất sắc nhiệm vụ (Có/Không)"
    discipline = "Đang bị kỷ luật, điều tra, khiếu nại (Có/Không)"
    assert "chỉ chọn Có hoặc Không" in reasons(rejection, SHEET_INDIVIDUALS, 4, yes_no)[0]
    assert "chỉ chọn Có hoặc Không" in reasons(rejection, SHEET_INDIVIDUALS, 5, discipline)[0]
    assert "chọn Nam hoặc Nữ" in reasons(rejection, SHEET_INDIVIDUALS, 4, "Giới tính")[0]
    initiative = "Sáng kiến (cấp công nhận: Không / Cơ sở / Bộ / Toàn quốc)"
    assert "Toàn quốc" in reasons(rejection, SHEET_INDIVIDUALS, 4, initiative)[0]
    assert "chỉ chọn Có hoặc Không" in reasons(rejection, SHEET_COLLECTIVES, 4, discipline)[0]
    assert len(rejection.errors) == 5
    assert {e.code for e in rejection.errors} == {"invalid_choice"}


def test_too_long_text(good_file: Path, awards: list[AwardChoice]) -> None:
    edit(good_file, lambda book: individuals(book).__setitem__("E4", "Chuyên viên " * 30))
    error = only_error(rejected(good_file, awards))
    assert (error.column, error.code) == ("Chức vụ", "too_long")
    assert "tối đa 255" in error.reason_vi


# --------------------------------------------------------------------------------------------
# Whole files
# --------------------------------------------------------------------------------------------


def test_every_error_of_a_file_is_reported_together(
    good_file: Path, awards: list[AwardChoice]
) -> None:
    """What a hurried unit sends: nothing is saved and the reply lists everything at once."""

    def change(book: Any) -> None:
        sheet = individuals(book)
        sheet["D4"] = "12/05/1980"  # date typed as text
        sheet["K4"] = "Chiến sĩ thi đua xuất sắc"  # invented title
        sheet["Q5"] = None  # no achievements
        sheet["B6"] = "Phạm Quốc Việt"  # a new row, half filled
        sheet["C6"] = "Nam"
        sheet["D6"] = datetime(1990, 1, 15)
        sheet["Q6"] = "Hoàn thành tốt nhiệm vụ."
        collectives(book)["F5"] = 101

    edit(good_file, change)
    rejection = rejected(
        good_file, awards, expected_unit_code="CUC_BUU_DIEN", expected_campaign_code=CAMPAIGN
    )
    located = [(e.sheet, e.row, e.column) for e in rejection.errors]
    assert located == [
        ("", 0, ""),
        (SHEET_INDIVIDUALS, 4, "Ngày sinh"),
        (SHEET_INDIVIDUALS, 4, "Danh hiệu thi đua (nếu có)"),
        (SHEET_INDIVIDUALS, 5, "Tóm tắt thành tích"),
        (SHEET_INDIVIDUALS, 6, "Hình thức khen thưởng"),
        (SHEET_COLLECTIVES, 5, "Tỷ lệ nữ (%)"),
    ]
    text = str(rejection)
    assert text.count("\n") == len(rejection.errors) - 1
    assert text.splitlines()[1] == (
        'Sheet "Cá nhân", dòng 4, cột "Ngày sinh": Ngày sinh "12/05/1980" đang là chữ, không '
        "phải ô kiểu ngày (Excel không hiểu là ngày). Hãy định dạng ô là ngày và nhập lại dạng "
        "dd/mm/yyyy (date typed as text, not a date cell)"
    )


def test_the_extension_does_not_matter(good_file: Path, awards: list[AwardChoice]) -> None:
    """Mail clients rename attachments; the content decides."""
    renamed = good_file.rename(good_file.with_suffix(".XLS"))
    assert len(read(renamed, awards).nominations) == 4


def test_row_error_text() -> None:
    error = RowError(SHEET_INDIVIDUALS, 7, "Ngày sinh", "required", "Ô bắt buộc bị trống", "empty")
    assert str(error) == 'Sheet "Cá nhân", dòng 7, cột "Ngày sinh": Ô bắt buộc bị trống (empty)'
    empty = RowError("", 0, "", "empty_file", "Tệp rỗng", "empty file")
    assert str(empty) == "Tệp rỗng (empty file)"


def test_ambiguous_award_names_are_a_configuration_error(
    good_file: Path, awards: list[AwardChoice]
) -> None:
    clash = [*awards, AwardChoice("BK_BT_2", "Bằng khen của Bộ trưởng", "form", "individual")]
    with pytest.raises(ValueError, match="Ambiguous"):
        read(good_file, clash)


def test_ten_thousand_rows(tmp_path: Path, header: ListHeader, awards: list[AwardChoice]) -> None:
    family = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"]
    rows = [
        person(
            f"{family[i % 8]} Văn Thành {i:05d}",
            date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
            proposed_title="LDTT",
        )
        for i in range(9_000)
    ] + [collective(f"Tổ công tác số {i:04d}") for i in range(1_000)]
    path = write_filled_list(tmp_path / "lon.xlsx", header, awards, rows)
    parsed = read(path, awards)
    assert len(parsed.nominations) == 10_000
    assert parsed.nominations[-1].row_number == 4 + 999
    assert parsed.nominations[8_999].full_name == "Bùi Văn Thành 08999"
