"""The operator's units register (CSV): every problem coded and located, and a bounded read."""

from __future__ import annotations

from pathlib import Path

import pytest

from documents.nomination_list import SubmissionRejected, read_upload_file
from services.units import parse_units_csv

HEADER = "code,name_vi,parent_code,focal_name,focal_email,head_name,head_email\n"
UNIT = "vu_{n},Vụ {n},,Nguyễn Văn A,a{n}@vu.example.gov.vn,Trần Thị B,b{n}@vu.example.gov.vn\n"


def refused(path: Path, **caps: int) -> SubmissionRejected:
    with pytest.raises(SubmissionRejected) as rejection:
        parse_units_csv(path.read_bytes(), path.name, **caps)
    return rejection.value


def test_every_problem_has_its_code(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(
        HEADER
        + UNIT.format(n=1)
        + "vu_1,Vụ trùng,,Lê C,c@vu.example.gov.vn,Lê D,d@vu.example.gov.vn\n"
        + "vu_3,Vụ 3,vu_9,,khong-phai-email,Lê E,e@vu.example.gov.vn\n",
        encoding="utf-8",
    )
    rejection = refused(path)
    assert [(e.row, e.column, e.code) for e in rejection.errors] == [
        (3, "code", "duplicate"),
        (4, "focal_name", "required"),
        (4, "focal_email", "invalid_email"),
    ]
    assert 'dòng 3, cột "code": Mã đơn vị trùng với dòng 2' in str(rejection)


def test_an_unknown_parent(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(HEADER + UNIT.format(n=1).replace(",,", ",vu_9,", 1), encoding="utf-8")
    (error,) = refused(path).errors
    assert (error.row, error.column, error.code) == (2, "parent_code", "unknown_parent")


def test_a_register_past_the_row_cap_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(HEADER + "".join(UNIT.format(n=n) for n in range(5)), encoding="utf-8")
    assert len(parse_units_csv(path.read_bytes(), path.name, max_rows=5)) == 5
    (error,) = refused(path, max_rows=4).errors
    assert error.code == "too_many_rows"
    assert "Tệp có hơn 4 đơn vị" in error.reason_vi


def test_a_file_past_the_byte_cap_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(HEADER + UNIT.format(n=1) * 100, encoding="utf-8")
    with pytest.raises(SubmissionRejected) as rejection:
        read_upload_file(path, 1_000)  # how the CLI and the flows read an operator's file
    (error,) = rejection.value.errors
    assert error.code == "file_too_large"


@pytest.mark.parametrize(
    "content",
    [b"code,name_vi\n\xff\xfe\n", (HEADER + "x" * 200_000 + "\n").encode()],
    ids=["not-utf8", "a-field-larger-than-csv-reads"],
)
def test_an_unreadable_file_is_refused_not_raised(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes(content)
    (error,) = refused(path).errors
    assert error.code == "unreadable"
    assert "Không đọc được tệp CSV" in error.reason_vi
