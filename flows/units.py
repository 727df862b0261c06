"""The ministry's unit register: imported from a CSV, validated whole, saved all-or-nothing."""

from __future__ import annotations

import csv
import io
import itertools
import unicodedata
from pathlib import Path

from pydantic import ValidationError
from sqlmodel import Session, select

from documents.nomination_list import ErrorCode, RowError, SubmissionRejected, read_upload_file
from documents.nomination_list.errors import ErrorLog
from models.unit import Unit, UnitCreate

UNIT_COLUMNS = (
    "code",
    "name_vi",
    "abbreviation",
    "kind",
    "parent_code",
    "focal_name",
    "focal_email",
    "head_name",
    "head_email",
)
REQUIRED = ("code", "name_vi", "focal_name", "focal_email", "head_name", "head_email")
# A ministry's register is a few thousand units: far bigger files are refused, not read.
UNITS_CSV_MAX_BYTES = 16 * 1024 * 1024
UNITS_CSV_MAX_ROWS = 50_000


def parse_units_csv(
    path: Path,
    *,
    max_bytes: int = UNITS_CSV_MAX_BYTES,
    max_rows: int = UNITS_CSV_MAX_ROWS,
) -> list[UnitCreate]:
    """Read and validate every row; raise with the problems, naming row and field.

    The file is read whole but never beyond ``max_bytes``, and at most ``max_rows`` units: a
    ministry's register is a few thousand lines, so anything bigger is refused with the reason
    instead of being read for minutes.
    """
    sheet = path.name
    data = read_upload_file(path, max_bytes)
    try:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
        rows = list(itertools.islice(reader, max_rows + 1))
        header = list(reader.fieldnames or [])
    except (UnicodeDecodeError, csv.Error) as exc:
        raise SubmissionRejected(
            [
                RowError(
                    sheet,
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
                    sheet,
                    max_rows + 2,
                    "",
                    ErrorCode.TOO_MANY_ROWS,
                    f"Tệp có hơn {max_rows} đơn vị; hãy kiểm tra lại tệp",
                    f"more than {max_rows} units",
                    {"max_rows": max_rows},
                )
            ]
        )
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise SubmissionRejected(
            [
                RowError(
                    sheet,
                    1,
                    column,
                    ErrorCode.MISSING_COLUMN,
                    "Thiếu cột bắt buộc",
                    "required column missing",
                )
                for column in missing
            ]
        )
    errors = ErrorLog()
    units: list[tuple[int, UnitCreate]] = []
    seen: dict[str, int] = {}
    for row_number, raw in enumerate(rows, start=2):
        row = {k: unicodedata.normalize("NFC", (v or "").strip()) for k, v in raw.items() if k}
        for column in REQUIRED:
            if not row.get(column):
                errors.add(
                    RowError(
                        sheet,
                        row_number,
                        column,
                        ErrorCode.REQUIRED,
                        "Ô bắt buộc bị trống",
                        "empty",
                    )
                )
        code = row.get("code", "")
        if code in seen:
            errors.add(
                RowError(
                    sheet,
                    row_number,
                    "code",
                    ErrorCode.DUPLICATE,
                    f"Mã đơn vị trùng với dòng {seen[code]}",
                    f"duplicate of row {seen[code]}",
                )
            )
        seen.setdefault(code, row_number)
        empty = {column for column in REQUIRED if not row.get(column)}
        try:
            unit = UnitCreate.model_validate(
                {
                    "code": code,
                    "name": row.get("name_vi", ""),
                    "abbreviation": row.get("abbreviation") or None,
                    "kind": row.get("kind") or "khac",
                    "parent_code": row.get("parent_code") or None,
                    "focal_name": row.get("focal_name", ""),
                    "focal_email": row.get("focal_email", ""),
                    "head_name": row.get("head_name", ""),
                    "head_email": row.get("head_email", ""),
                }
            )
            if not empty:
                units.append((row_number, unit))
        except ValidationError as exc:
            for problem in exc.errors():
                field = str(problem["loc"][0]) if problem["loc"] else ""
                if field in empty:
                    continue  # already reported as empty
                email = field.endswith("email")
                errors.add(
                    RowError(
                        sheet,
                        row_number,
                        field,
                        ErrorCode.INVALID_EMAIL if email else ErrorCode.INVALID,
                        "Địa chỉ email không hợp lệ" if email else "Giá trị không hợp lệ",
                        str(problem["msg"]),
                    )
                )
    known = set(seen)
    for row_number, unit in units:
        if unit.parent_code and unit.parent_code not in known:
            errors.add(
                RowError(
                    sheet,
                    row_number,
                    "parent_code",
                    ErrorCode.UNKNOWN_PARENT,
                    f"Đơn vị cấp trên '{unit.parent_code}' không có trong danh sách",
                    "unknown parent unit",
                )
            )
    if errors:
        raise errors.rejection()
    return [unit for _, unit in units]


def upsert_units(session: Session, units: list[UnitCreate]) -> tuple[int, int]:
    """Insert new units and update known ones by code; returns (created, updated)."""
    existing = {u.code: u for u in session.exec(select(Unit)).all()}
    created = updated = 0
    for unit in units:
        current = existing.get(unit.code)
        if current is None:
            session.add(Unit.model_validate(unit))
            created += 1
            continue
        changes = unit.model_dump(exclude_unset=False)
        if any(getattr(current, key) != value for key, value in changes.items()):
            current.sqlmodel_update(changes)
            session.add(current)
            updated += 1
    return created, updated
