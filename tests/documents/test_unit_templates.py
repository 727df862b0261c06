"""Many units' templates at once (dispatch): the same workbooks as one by one, only faster."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from documents.nomination_list import (
    AwardChoice,
    ListHeader,
    SubmissionRejected,
    write_filled_list,
    write_unit_template,
    write_unit_templates,
)

from .builders import CAMPAIGN, person, read

NAME = "Đợt thi đua 2018 & <tôn vinh>"
HEADERS = [
    ListHeader(CAMPAIGN, NAME, "007", "Sở A & B <Hà Nội>", date(2019, 3, 1)),
    ListHeader(CAMPAIGN, NAME, "U2", 'Bưu điện "Cà Mau"', date(2019, 3, 4)),
]


def _values(path: Path) -> dict[str, list[tuple[str, object]]]:
    book = load_workbook(path)
    return {
        sheet.title: [(c.coordinate, c.value) for row in sheet.iter_rows() for c in row]
        + [("state", sheet.sheet_state)]
        for sheet in book.worksheets
    } | {"title": [("title", book.properties.title)]}


def test_bulk_templates_equal_one_by_one(tmp_path: Path, awards: list[AwardChoice]) -> None:
    bulk = write_unit_templates(
        [(tmp_path / "bulk" / f"{h.unit_code}.xlsx", h) for h in HEADERS], awards
    )
    for header, path in zip(HEADERS, bulk, strict=True):
        single = write_unit_template(tmp_path / "one" / f"{header.unit_code}.xlsx", header, awards)
        assert _values(path) == _values(single)


def test_bulk_template_is_the_units_own(tmp_path: Path, awards: list[AwardChoice]) -> None:
    header = HEADERS[0]
    (path,) = write_unit_templates([(tmp_path / "t.xlsx", header)], awards)
    with pytest.raises(SubmissionRejected) as refused:
        read(path, awards, expected_unit_code=header.unit_code)
    # Only "no rows": identity, version and headers are all as the unit's own template.
    assert len(refused.value.errors) == 1 and "không có dòng nào" in str(refused.value)
    # And a list filled the usual way still belongs to the same unit.
    filled = write_filled_list(
        tmp_path / "f.xlsx", header, awards, [person("Nguyễn Thị Hương", date(1980, 5, 12))]
    )
    parsed = read(filled, awards, expected_unit_code=header.unit_code)
    assert parsed.header == header
