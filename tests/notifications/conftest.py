"""Fixtures for the notification tests: a SQLite database of their own and real SMTP servers.

No SMTP mocks: every server here is aiosmtpd on a free loopback port, answering with real
SMTP replies (including the refusals a test asks for).
"""

from __future__ import annotations

import copy
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, SQLModel

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from models.clock import VN_TZ
from models.db import clear_engines, engine_for, get_engine, normalise_url
from models.settings import Settings, get_settings
from notifications.smtp_server import MailboxServer

POSTGRES_URL = os.environ.get("TONVINH_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]
T0 = datetime(2019, 3, 4, 9, 0, tzinfo=VN_TZ)

SAMPLE_CONTEXT: dict[str, Any] = {
    "campaign_name": "Hội nghị biểu dương điển hình tiên tiến năm 2018",
    "campaign_code": "tdkt-2018",
    "year": 2018,
    "unit_name": "Cục Viễn thông",
    # The organising committee's task emails (services.committee).
    "task_title": "In Bằng khen cho các tập thể, cá nhân được biểu dương",
    "contact_name": "Hoàng Hữu Nam",
    "due_text": "Thứ Sáu, ngày 22/03/2019",
    "due_text_en": "Friday, 22 March 2019",
    "task_url": "https://thidua.example.gov.vn/viec/tok-456",
    # The conference invitee's emails (services.ceremony).
    "invitee_name": "Phan Tâm",
    "invitee_position": "Phó Vụ trưởng",
    "organisation": "Cục Viễn thông",
    "via_name": "Nguyễn Thị Hoa",
    "honours": ["Chiến sĩ thi đua cơ sở"],
    "decision_date_text": "20/03/2019",
    "starts_text": "08:00",
    "venue": "Hội trường tầng 2, 18 Nguyễn Du, Hà Nội",
    "seat_area": "Khu A – các hàng ghế đầu",
    "seat_area_en": "Area A – front rows",
    "bring": "Giấy mời và Căn cước công dân",
    "bring_en": "The invitation and an identity card",
    "cutoff_text": "Thứ Năm, ngày 28/3/2019",
    "cutoff_text_en": "Thursday, 28 March 2019",
    "state": "deputy",
    "attendee_name": "Lê Văn Cường",
    "attendee_position": "Trưởng phòng",
    "rsvp_url": "https://thidua.example.gov.vn/moi/tok-789",
    "unit_code": "CVT",
    "focal_name": "Nguyễn Thị Hoa",
    "head_name": "Trần Văn Bình",
    "department_name": "Vụ Thi đua - Khen thưởng",
    "ministry_name": "Bộ Thông tin và Truyền thông",
    "department_head_name": "Vụ trưởng Vụ Thi đua - Khen thưởng",
    "deadline_text": "Thứ Sáu, ngày 08/3/2019",
    "deadline_text_en": "Friday, 8 March 2019",
    "working_days_left": 4,
    "submission_url": "https://thidua.example.gov.vn/nop/tok-123?a=1&b=2",
    "template_file_name": "tdkt-2018_CVT.xlsx",
    "conference_text": "Thứ Sáu, ngày 29/3/2019",
    "conference_text_en": "Friday, 29 March 2019",
    "tier": 1,
    "max_reminders": 6,
    "returned_items": [{"full_name": "Trần Văn Dũng", "reason": "Chưa đủ 3 năm liên tục"}],
    "resubmission_due_text": "Thứ Hai, ngày 18/3/2019",
    "resubmission_due_text_en": "Monday, 18 March 2019",
    "results": [
        {"full_name": "Lê Văn An", "passed": True, "approved": True},
        {"full_name": "Phạm Thu Hà", "passed": False, "approved": False},
    ],
    "honourees": ["Lê Văn An", "Tập thể Phòng Cấp phép"],
    "decision_number": "123/QĐ-BTTTT",
    # receipt, list_rejected
    "file_name": "Danh sách CVT (bản sửa).xlsx",
    "received_text": "16:05, Thứ Hai, ngày 04/03/2019",
    "received_text_en": "16:05 on Monday, 4 March 2019",
    "sha256_short": "3f2a9c0e41b7",
    "created": 2,
    "updated": 1,
    "withdrawn": 1,
    "dossiers": [
        {"full_name": "Lê Văn An", "award": "Chiến sĩ thi đua cơ sở", "is_new": True},
        {"full_name": "Tập thể Phòng Cấp phép", "award": "", "is_new": False},
    ],
    "more_dossiers": 3,
    "errors": [
        {"sheet": "Cá nhân", "row": 6, "column": "Ngày sinh", "reason": "Ngày sinh ở tương lai"},
        {"sheet": "", "row": 0, "column": "", "reason": "Tệp không phải danh sách do hệ thống cấp"},
    ],
    "more_errors": 4,
    # leader_approval
    "approver_name": "Phan Tâm",
    "approver_title": "Thứ trưởng",
    "passed_count": 12,
    "budget_text": "25.020.000 đồng",
    "approval_url": "https://thidua.example.gov.vn/duyet/tok-456?a=1&b=2",
    # not_eligible
    "ineligible_items": [
        {
            "full_name": "Phạm Thu Hà",
            "award": "Chiến sĩ thi đua cấp Bộ",
            "reasons": [
                {
                    "text": "Đang bị xem xét kỷ luật",
                    "citation": "Nghị định 91/2017/NĐ-CP, Điều 8",
                }
            ],
        },
        {
            "full_name": "Hồ Văn Tâm",
            "award": "",
            "reasons": [{"text": "Trùng với hồ sơ của đơn vị khác", "citation": ""}],
        },
    ],
    # The council member's emails (convocation, reminder, result).
    "member_name": "Phan Tâm",
    "council_on_text": "28/02/2019",
    "closes_text": "23:59 ngày 28/02/2019",
    "ballot_url": "https://thidua.example.gov.vn/phieu/tok-456?a=1&b=2",
    "dossiers_count": 4,
    "pack_file_name": "ho-so-trinh-hoi-dong.xlsx",
    "members_total": 5,
    "members_voting": 5,
    "tally": [
        {
            "full_name": "Nguyễn Thị Hương",
            "award_name": "Chiến sĩ thi đua cơ sở",
            "votes": 4,
            "denominator": 5,
            "passed": True,
        },
    ],
}


def _reset_caches() -> None:
    get_settings.cache_clear()
    clear_engines()


@pytest.fixture(params=BACKENDS)
def db(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A fresh database (schema from the models) configured as THE database.

    SQLite always; PostgreSQL too when ``TONVINH_TEST_POSTGRES_URL`` is set (a schema of its
    own per test), because ``enqueue`` and the delivery claim use dialect-specific SQL.
    """
    monkeypatch.setenv("TONVINH_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("TONVINH_SMTP_USER", raising=False)
    monkeypatch.delenv("TONVINH_SMTP_PASSWORD", raising=False)
    schema: str | None = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'notifications.sqlite'}"
    else:
        schema = f"n_{uuid.uuid4().hex[:12]}"
        admin = create_engine(normalise_url(POSTGRES_URL))
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    monkeypatch.setenv("TONVINH_DATABASE_URL", url)
    _reset_caches()
    SQLModel.metadata.create_all(get_engine())
    yield url
    engine_for(url).dispose()
    _reset_caches()
    if schema is not None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def session(db: str) -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as s:
        yield s


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[Callable[..., MailboxServer]]:
    """Factory: ``smtp_server(**options)`` starts a MailboxServer; all stop at teardown."""
    started: list[MailboxServer] = []

    def start(**options: Any) -> MailboxServer:
        folder = options.pop("mailbox_dir", tmp_path / f"mailbox{len(started)}")
        server = MailboxServer(folder, **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def sample_context() -> dict[str, Any]:
    """Every key any template may name (a fresh copy per test)."""
    return copy.deepcopy(SAMPLE_CONTEXT)


@pytest.fixture
def t0() -> datetime:
    """A working-day morning in Hà Nội, the tests' "now"."""
    return T0


@pytest.fixture
def make_settings(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Settings]:
    """Factory: Settings pointing at a loopback SMTP port (no TLS), plus any overrides."""
    for name in ("TONVINH_SMTP_USER", "TONVINH_SMTP_PASSWORD", "TONVINH_SMTP_TLS"):
        monkeypatch.delenv(name, raising=False)

    def build(port: int, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_tls": "none",
            "smtp_timeout_seconds": 5.0,
        }
        values.update(overrides)
        return Settings(**values)

    return build
