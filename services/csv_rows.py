"""Reading an operator's CSV file (the unit register, the council's members, paper ballots):
UTF-8 (with or without BOM), a row cap, the required columns, each row's cells NFC and trimmed.
Refusals name the row and the column, Vietnamese first (``SubmissionRejected``)."""

from __future__ import annotations

import csv
import io
import itertools
import unicodedata

from pydantic import ValidationError

from documents.nomination_list import ErrorCode, RowError, SubmissionRejected
from documents.nomination_list.errors import ErrorLog


def read_csv_rows(
    data: bytes,
    file_name: str,
    *,
    required: tuple[str, ...],
    max_rows: int,
    rows_vi: str,
    rows_en: str,
) -> list[tuple[int, dict[str, str]]]:
    """(row number as the spreadsheet shows it, {column: cell}) for every row; refuses an
    unreadable file, more than ``max_rows`` rows (``rows_vi``/``rows_en`` name what a row is)
    or a missing required column."""
    try:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
        rows = list(itertools.islice(reader, max_rows + 1))
        header = list(reader.fieldnames or [])
    except (UnicodeDecodeError, csv.Error) as exc:
        raise SubmissionRejected(
            [
                RowError(
                    file_name,
                    0,
                    "",
                    ErrorCode.UNREADABLE,
                    "Không đọc được tệp CSV (cần UTF-8)",
                    f"unreadable: {exc}",
                )
            ]
        ) from exc
    if len(rows) > max_rows:
        raise SubmissionRejected(
            [
                RowError(
                    file_name,
                    max_rows + 2,
                    "",
                    ErrorCode.TOO_MANY_ROWS,
                    f"Tệp có hơn {max_rows} {rows_vi}; hãy kiểm tra lại tệp",
                    f"more than {max_rows} {rows_en}",
                    {"max_rows": max_rows},
                )
            ]
        )
    missing = [column for column in required if column not in header]
    if missing:
        raise SubmissionRejected(
            [
                RowError(
                    file_name,
                    1,
                    column,
                    ErrorCode.MISSING_COLUMN,
                    "Thiếu cột bắt buộc",
                    "required column missing",
                )
                for column in missing
            ]
        )
    return [
        (number, {k: unicodedata.normalize("NFC", (v or "").strip()) for k, v in raw.items() if k})
        for number, raw in enumerate(rows, start=2)
    ]


def report_empty(
    errors: ErrorLog, file_name: str, number: int, row: dict[str, str], required: tuple[str, ...]
) -> set[str]:
    """Report each empty required cell of ``row``; returns those columns."""
    empty = {column for column in required if not row.get(column)}
    for column in required:
        if column in empty:
            errors.add(
                RowError(
                    file_name, number, column, ErrorCode.REQUIRED, "Ô bắt buộc bị trống", "empty"
                )
            )
    return empty


def report_invalid(
    errors: ErrorLog, file_name: str, number: int, invalid: ValidationError, empty: set[str]
) -> None:
    """Report each field a model refused (an email address by that name), except the empty
    ones already reported."""
    for problem in invalid.errors():
        column = str(problem["loc"][0]) if problem["loc"] else ""
        if column in empty:
            continue
        email = column.endswith("email")
        errors.add(
            RowError(
                file_name,
                number,
                column,
                ErrorCode.INVALID_EMAIL if email else ErrorCode.INVALID,
                "Địa chỉ email không hợp lệ" if email else "Giá trị không hợp lệ",
                str(problem["msg"]),
            )
        )
