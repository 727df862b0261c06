"""The council's membership from a CSV file (name, position, unit code, email, role): validated
whole, every problem named by row and column in Vietnamese, saved all-or-nothing."""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationError
from sqlmodel import Session, select

from documents.nomination_list import ErrorCode, RowError, SubmissionRejected
from documents.nomination_list.errors import ErrorLog
from models.council import CouncilMember, CouncilMemberCreate, CouncilRole
from models.unit import Unit
from services.campaigns import load_campaign
from services.council import register_council
from services.csv_rows import read_csv_rows, report_empty, report_invalid

MEMBER_COLUMNS = ("name", "position", "unit_code", "email", "role")
REQUIRED = ("name", "email", "role")
MEMBERS_CSV_MAX_ROWS = 500
# The role as the department may type it, in either language.
ROLE_WORDS = {
    "chair": CouncilRole.CHAIR,
    "chủ tịch": CouncilRole.CHAIR,
    "secretary": CouncilRole.SECRETARY,
    "thư ký": CouncilRole.SECRETARY,
    "member": CouncilRole.MEMBER,
    "thành viên": CouncilRole.MEMBER,
    "ủy viên": CouncilRole.MEMBER,
}


def parse_members_csv(
    data: bytes, file_name: str, known_units: set[str]
) -> list[CouncilMemberCreate]:
    """Every row validated; raises ``SubmissionRejected`` naming row, column and reason."""
    rows = read_csv_rows(
        data,
        file_name,
        required=REQUIRED,
        max_rows=MEMBERS_CSV_MAX_ROWS,
        rows_vi="thành viên",
        rows_en="members",
    )
    errors = ErrorLog()
    members: list[CouncilMemberCreate] = []
    seen: dict[str, int] = {}

    def problem(row: int, column: str, code: ErrorCode, vi: str, en: str) -> None:
        errors.add(RowError(file_name, row, column, code, vi, en))

    for number, row in rows:
        empty = report_empty(errors, file_name, number, row, REQUIRED)
        role = ROLE_WORDS.get(row.get("role", "").casefold())
        if "role" not in empty and role is None:
            problem(
                number,
                "role",
                ErrorCode.INVALID,
                "Vai trò phải là chair/secretary/member (Chủ tịch/Thư ký/Thành viên)",
                "role must be chair, secretary or member",
            )
        unit_code = row.get("unit_code") or None
        if unit_code and unit_code not in known_units:
            problem(
                number,
                "unit_code",
                ErrorCode.INVALID,
                f"Mã đơn vị '{unit_code}' không có trong danh mục đơn vị",
                "unknown unit code",
            )
        key = " ".join(row.get("name", "").casefold().split())
        if key and key in seen:
            problem(
                number,
                "name",
                ErrorCode.DUPLICATE,
                f"Thành viên trùng với dòng {seen[key]}",
                f"duplicate of row {seen[key]}",
            )
        seen.setdefault(key, number)
        try:
            member = CouncilMemberCreate.model_validate(
                {
                    "name": row.get("name", ""),
                    "position": row.get("position") or None,
                    "unit_code": unit_code,
                    "email": row.get("email", ""),
                    "role": role or CouncilRole.MEMBER,
                }
            )
        except ValidationError as exc:
            report_invalid(errors, file_name, number, exc, empty)
            continue
        if not empty and role is not None:
            members.append(member)
    chairs = sum(1 for m in members if m.role is CouncilRole.CHAIR)
    if not errors and chairs != 1:
        problem(
            1,
            "role",
            ErrorCode.INVALID,
            f"Hội đồng phải có đúng một Chủ tịch (tệp có {chairs})",
            f"exactly one chair needed ({chairs} found)",
        )
    if errors:
        raise errors.rejection()
    return members


def import_members(
    session: Session, campaign_code: str, data: bytes, file_name: str, now: datetime, actor: str
) -> int:
    """Register the members of the file (idempotent by name; a known member's position, unit
    and email are brought up to date); returns how many were added."""
    campaign = load_campaign(session, campaign_code)
    assert campaign.id is not None
    known_units = set(session.exec(select(Unit.code)).all())
    members = parse_members_csv(data, file_name, known_units)
    existing = {
        m.name: m
        for m in session.exec(
            select(CouncilMember).where(CouncilMember.campaign_id == campaign.id)
        ).all()
    }
    for member in members:
        row = existing.get(member.name)
        if row is not None:
            row.position, row.unit_code, row.email = member.position, member.unit_code, member.email
            row.role = member.role
            session.add(row)
    return register_council(session, campaign, members, now, actor)


__all__ = ["MEMBER_COLUMNS", "SubmissionRejected", "import_members", "parse_members_csv"]
