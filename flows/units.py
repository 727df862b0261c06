"""The ministry's unit register: imported from a CSV, validated whole, saved all-or-nothing."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

from pydantic import ValidationError
from sqlmodel import Session, select

from documents.nomination_list import RowError, SubmissionRejected
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


def parse_units_csv(path: Path) -> list[UnitCreate]:
    """Read and validate every row; raise with the full list of problems, naming row and field."""
    sheet = path.name
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
            header = list(rows[0].keys()) if rows else []
    except (UnicodeDecodeError, OSError) as exc:
        raise SubmissionRejected(
            [RowError(sheet, 0, "", "Không đọc được tệp CSV (cần UTF-8)", f"unreadable: {exc}")]
        ) from exc
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise SubmissionRejected(
            [
                RowError(sheet, 1, column, "Thiếu cột bắt buộc", "required column missing")
                for column in missing
            ]
        )
    errors: list[RowError] = []
    units: list[tuple[int, UnitCreate]] = []
    seen: dict[str, int] = {}
    for row_number, raw in enumerate(rows, start=2):
        row = {k: unicodedata.normalize("NFC", (v or "").strip()) for k, v in raw.items() if k}
        for column in REQUIRED:
            if not row.get(column):
                errors.append(RowError(sheet, row_number, column, "Ô bắt buộc bị trống", "empty"))
        code = row.get("code", "")
        if code in seen:
            errors.append(
                RowError(
                    sheet,
                    row_number,
                    "code",
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
                reason = (
                    "Địa chỉ email không hợp lệ"
                    if field.endswith("email")
                    else "Giá trị không hợp lệ"
                )
                errors.append(RowError(sheet, row_number, field, reason, str(problem["msg"])))
    known = set(seen)
    for row_number, unit in units:
        if unit.parent_code and unit.parent_code not in known:
            errors.append(
                RowError(
                    sheet,
                    row_number,
                    "parent_code",
                    f"Đơn vị cấp trên '{unit.parent_code}' không có trong danh sách",
                    "unknown parent unit",
                )
            )
    if errors:
        raise SubmissionRejected(errors)
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
