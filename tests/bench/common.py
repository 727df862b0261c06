"""Shared pieces of the benchmarks: configuration, realistic data at national scale, servers.

Nothing here is collected by pytest (no ``test_*.py`` names). Every scenario prints ONE JSON
object on its own line (``emit``); everything else goes to stderr.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import random
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"

# The demo's campaign calendar: the call goes out in January, the conference is in March.
CAMPAIGN_CODE = "tdkt-2018"
CAMPAIGN_NAME = "Biểu dương, tôn vinh điển hình tiên tiến ngành TT&TT năm 2018"
CONFERENCE = date(2019, 3, 29)
PLANNED_ON = date(2019, 1, 21)

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = {"Nam": ["Văn", "Đức", "Minh", "Quang", "Hữu"], "Nữ": ["Thị", "Thu", "Ngọc", "Hồng"]}
GIVEN = {
    "Nam": ["Hùng", "Dũng", "Tuấn", "Long", "Sơn", "Thắng", "Cường", "Hải", "Phong", "Tiến"],
    "Nữ": ["Lan", "Hương", "Mai", "Hà", "Linh", "Trang", "Thảo", "Nga", "Yến", "Phương"],
}
PROVINCES = [
    "Hà Nội", "Hải Phòng", "Đà Nẵng", "Thành phố Hồ Chí Minh", "Cần Thơ", "Quảng Ninh",
    "Thừa Thiên Huế", "Nghệ An", "Thanh Hóa", "Đắk Lắk", "Lâm Đồng", "Bà Rịa - Vũng Tàu",
    "Khánh Hòa", "Bình Định", "Quảng Nam", "Lào Cai", "Điện Biên", "Hà Giang", "Cà Mau",
    "An Giang", "Kiên Giang", "Đồng Tháp", "Tiền Giang", "Bến Tre", "Sóc Trăng", "Bắc Ninh",
]  # fmt: skip
UNIT_KINDS = [
    ("so", "Sở Thông tin và Truyền thông"),
    ("buudien", "Bưu điện"),
    ("trungtam", "Trung tâm Công nghệ thông tin và Truyền thông"),
    ("phong", "Phòng Văn hóa và Thông tin huyện"),
    ("dai", "Đài Phát thanh - Truyền hình"),
    ("cty", "Công ty Viễn thông"),
]
POSITIONS = ["Chuyên viên", "Chuyên viên chính", "Phó Trưởng phòng", "Trưởng phòng", "Kỹ sư"]
DEPARTMENTS = ["Phòng Tổng hợp", "Phòng Kế hoạch - Tài chính", "Phòng Bưu chính", "Văn phòng"]
ACHIEVEMENTS = [
    "Hoàn thành xuất sắc nhiệm vụ năm 2018; chủ trì xây dựng đề án chuyển đổi số của đơn vị.",
    "Có sáng kiến cải tiến quy trình tiếp nhận hồ sơ trực tuyến, rút ngắn 30% thời gian xử lý.",
    "Tham gia soạn thảo văn bản quy phạm pháp luật về bưu chính, viễn thông ban hành đúng hạn.",
    "Triển khai hệ thống một cửa điện tử cấp tỉnh; đào tạo 120 cán bộ cấp xã sử dụng thành thạo.",
]


# --------------------------------------------------------------------------------------------
# Output and measurement
# --------------------------------------------------------------------------------------------


def emit(result: dict[str, Any]) -> None:
    """The scenario's one JSON line on stdout."""
    print(json.dumps(result, ensure_ascii=False, default=str), flush=True)


def note(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    """This process's peak resident set so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def machine() -> dict[str, Any]:
    load1, load5, _ = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_1m": round(load1, 2),
        "load_5m": round(load5, 2),
    }


class Timer:
    """Seconds since creation, less any time between ``pause()`` and ``resume()``."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.paused_at: float | None = None

    def pause(self) -> None:
        self.paused_at = time.perf_counter()

    def resume(self) -> None:
        assert self.paused_at is not None
        self.started += time.perf_counter() - self.paused_at
        self.paused_at = None

    def __call__(self) -> float:
        return round(time.perf_counter() - self.started, 3)


def quick() -> bool:
    return os.environ.get("QUICK", "") not in ("", "0")


# --------------------------------------------------------------------------------------------
# Database and settings
# --------------------------------------------------------------------------------------------


def configure(var_dir: Path, database_url: str = "", smtp_port: int = 8025) -> None:
    """Point the product's settings at this benchmark's own folder, database and SMTP server."""
    from models.db import clear_engines
    from models.settings import get_settings

    os.environ.update(
        {
            "TONVINH_VAR_DIR": str(var_dir),
            "TONVINH_DATABASE_URL": database_url,
            "TONVINH_SMTP_HOST": "127.0.0.1",
            "TONVINH_SMTP_PORT": str(smtp_port),
            "TONVINH_SMTP_TLS": "none",
            "TONVINH_SMTP_USER": "",
        }
    )
    get_settings.cache_clear()
    clear_engines()


@contextlib.contextmanager
def database(kind: str, var_dir: Path) -> Iterator[str]:
    """A migrated, empty database of our own: a SQLite file, or a PostgreSQL schema (dropped)."""
    from sqlalchemy import create_engine, text

    from models.db import engine_for
    from models.migrate import upgrade

    var_dir.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        url = f"sqlite:///{var_dir / 'tonvinh.sqlite'}"
        configure(var_dir, url, int(os.environ.get("TONVINH_SMTP_PORT", "8025")))
        upgrade()
        yield url
        engine_for(url).dispose()
        return
    base = os.environ.get("TONVINH_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}?options=-csearch_path%3D{schema}"
    try:
        configure(var_dir, url, int(os.environ.get("TONVINH_SMTP_PORT", "8025")))
        upgrade()
        yield url
    finally:
        engine_for(url).dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextlib.contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix=f"tonvinh-{prefix}-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# Servers in their own processes
# --------------------------------------------------------------------------------------------


class SmtpSink:
    """``python -m tests.bench.smtp_sink`` in a separate process; ``stats()`` asks its counters."""

    def __init__(self, maildir: Path | None = None) -> None:
        command = [PYTHON, "-m", "tests.bench.smtp_sink"]
        if maildir is not None:
            command += ["--maildir", str(maildir)]
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.port = int(json.loads(self.process.stdout.readline())["port"])

    def _ask(self, command: str) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        answer: dict[str, Any] = json.loads(self.process.stdout.readline())
        return answer

    def stats(self) -> dict[str, Any]:
        return self._ask("stats")

    def reset(self) -> None:
        self._ask("reset")

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            with contextlib.suppress(OSError):
                self.process.stdin.write("quit\n")
                self.process.stdin.flush()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def __enter__(self) -> SmtpSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class PrefectServer:
    api_url: str
    log_path: Path
    process: subprocess.Popen[bytes] | None
    database: str | None  # PostgreSQL database created for it (dropped on exit)

    def dropped_messages(self) -> int:
        if not self.log_path.exists():
            return 0
        text = self.log_path.read_text(errors="replace").lower()
        return text.count("dropping message")


def _wait_healthy(api_url: str, timeout: float) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"Prefect server at {api_url} not healthy after {timeout:.0f}s")


@contextlib.contextmanager
def prefect_server(folder: Path, backend: str = "postgresql") -> Iterator[PrefectServer]:
    """``prefect server start`` on its own free port, on PostgreSQL (a database of its own,
    dropped afterwards) or SQLite; sets PREFECT_API_URL for this process and its children.

    When PREFECT_API_URL is already set (run.py shares one server between scenarios), that
    server is used and its log is the one named by TONVINH_BENCH_PREFECT_LOG.
    """
    existing = os.environ.get("PREFECT_API_URL")
    if existing:
        log = Path(os.environ.get("TONVINH_BENCH_PREFECT_LOG", folder / "none.log"))
        yield PrefectServer(existing, log, None, None)
        return
    from sqlalchemy import create_engine, text

    port = free_port()
    env = dict(os.environ)
    home = folder / "prefect-home"
    home.mkdir(parents=True, exist_ok=True)
    database = None
    base = os.environ.get("TONVINH_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    if backend == "postgresql":
        database = f"bench_prefect_{uuid.uuid4().hex[:8]}"
        admin = create_engine(
            base.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database}"'))
        admin.dispose()
        server_db = base.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = f"{server_db}/{database}"
    else:
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = (
            f"sqlite+aiosqlite:///{folder / 'prefect.sqlite'}"
        )
    env.update(
        {
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_API_HOST": "127.0.0.1",
            "PREFECT_SERVER_API_PORT": str(port),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
        }
    )
    env.pop("PREFECT_API_URL", None)
    log_path = folder / "prefect-server.log"
    api_url = f"http://127.0.0.1:{port}/api"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(Path(PYTHON).parent / "prefect"), "server", "start", "--host", "127.0.0.1",
             "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=folder,
        )  # fmt: skip
    try:
        started = time.perf_counter()
        _wait_healthy(api_url, 120)
        note(f"Prefect server ({backend}) healthy in {time.perf_counter() - started:.1f}s")
        os.environ["PREFECT_API_URL"] = api_url
        os.environ["TONVINH_BENCH_PREFECT_LOG"] = str(log_path)
        yield PrefectServer(api_url, log_path, process, database)
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        if database is not None:
            admin = create_engine(
                base.replace("postgresql://", "postgresql+psycopg://"),
                isolation_level="AUTOCOMMIT",
            )
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            admin.dispose()


def prefect_quiet() -> None:
    import logging

    logging.getLogger("prefect").setLevel(logging.WARNING)
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


# --------------------------------------------------------------------------------------------
# Realistic data
# --------------------------------------------------------------------------------------------


def at(day: date, hour: int, minute: int = 0) -> datetime:
    from models.clock import VN_TZ

    return datetime.combine(day, clock_time(hour, minute), tzinfo=VN_TZ)


def person_name(rnd: random.Random, gender: str) -> str:
    return f"{rnd.choice(FAMILY)} {rnd.choice(MIDDLE[gender])} {rnd.choice(GIVEN[gender])}"


def unit_rows(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` units of a ministry spread over the provinces, with their two contacts."""
    rnd = random.Random(seed)
    rows = []
    for number in range(1, count + 1):
        kind, label = UNIT_KINDS[number % len(UNIT_KINDS)]
        province = PROVINCES[(number // len(UNIT_KINDS)) % len(PROVINCES)]
        rows.append(
            {
                "code": f"dv{number:05d}",
                "name": f"{label} {province} số {number}",
                "abbreviation": None,
                "kind": kind,
                "parent_code": None,
                "focal_name": person_name(rnd, rnd.choice(["Nam", "Nữ"])),
                "focal_email": f"thidua.dv{number:05d}@example.gov.vn",
                "head_name": person_name(rnd, rnd.choice(["Nam", "Nữ"])),
                "head_email": f"lanhdao.dv{number:05d}@example.gov.vn",
                "active": True,
            }
        )
    return rows


def _collective_name(number: int, unit_name: str) -> str:
    """The unit's ``number``-th collective: its departments, then numbered teams (a list names
    each collective once)."""
    if number < len(DEPARTMENTS):
        return f"{DEPARTMENTS[number]}, {unit_name}"
    return f"Tổ công tác số {number - len(DEPARTMENTS) + 1}, {unit_name}"


def nomination_rows(rnd: random.Random, unit_name: str, count: int) -> list[Any]:
    """``count`` eligible-looking NominationCreate rows for one unit (one in five a collective)."""
    from models.nomination import InitiativeLevel, NominationCreate, NomineeKind

    rows = []
    for index in range(count):
        if index % 5 == 4:
            rows.append(
                NominationCreate(
                    row_number=0,
                    kind=NomineeKind.COLLECTIVE,
                    full_name=_collective_name(index // 5, unit_name),
                    category="Phòng",
                    proposed_title="TTLDXS",
                    achievement_summary="Tập thể hoàn thành xuất sắc nhiệm vụ năm 2018.",
                    women_share=rnd.choice([0.45, 0.72]),
                )
            )
            continue
        gender = rnd.choice(["Nam", "Nữ"])
        rows.append(
            NominationCreate(
                row_number=0,
                kind=NomineeKind.INDIVIDUAL,
                full_name=person_name(rnd, gender),
                gender=gender,
                birth_date=date(1960 + index % 33, rnd.randint(1, 12), rnd.randint(1, 28)),
                position=rnd.choice(POSITIONS),
                department=rnd.choice(DEPARTMENTS),
                workplace=unit_name,
                address=f"Số {rnd.randint(1, 200)} đường Trần Phú, {rnd.choice(PROVINCES)}",
                category="Công chức",
                proposed_title="CSTDCS",
                achievement_summary=rnd.choice(ACHIEVEMENTS),
                consecutive_base_years=1,
                initiative_level=InitiativeLevel.BASE,
                excellent_completion=True,
            )
        )
    return rows


def insert_units(count: int) -> None:
    """Bulk-insert the unit register (setup, not measured)."""
    from sqlalchemy import insert

    from models.db import session_scope
    from models.unit import Unit

    rows = unit_rows(count)
    with session_scope() as session:
        for start in range(0, len(rows), 2000):
            session.execute(insert(Unit), rows[start : start + 2000])


def plan(units: int) -> Any:
    """Units, the campaign and every unit's part, through the product's own plan tasks (their
    plain functions: no Prefect run). Returns the Campaign."""
    from models.campaign import CampaignCreate
    from models.db import session_scope
    from models.rules.deadlines import PlanOffsets
    from models.rules.eligibility import load_rule_pack
    from services.campaigns import load_campaign
    from services.plan import create_campaign, enrol_units

    insert_units(units)
    pack = load_rule_pack("nd91-2017")
    spec = CampaignCreate(
        code=CAMPAIGN_CODE,
        year=2018,
        name=CAMPAIGN_NAME,
        rule_pack=pack.code,
        titles_on_offer=sorted(pack.awards),
        quotas={},
        conference_date=CONFERENCE,
    )
    now = at(PLANNED_ON, 9)
    with session_scope() as session:
        campaign_id, _ = create_campaign(session, spec, PlanOffsets(), now, "bench")
        enrol_units(session, campaign_id, now, "bench")
    with session_scope() as session:
        return load_campaign(session, CAMPAIGN_CODE)


def mark_called_and_submitted(campaign: Any, submitted_share: float, seed: int = 11) -> set[int]:
    """Campaign in CALLING; every unit called; ``submitted_share`` of them submitted (bulk)."""
    from sqlalchemy import update
    from sqlmodel import select

    from models.campaign import Campaign, CampaignStage, CampaignUnit, ParticipationStatus
    from models.db import session_scope

    called_at = at(campaign.dispatch_on, 8)
    with session_scope() as session:
        unit_ids = sorted(
            session.exec(
                select(CampaignUnit.unit_id).where(CampaignUnit.campaign_id == campaign.id)
            ).all()
        )
        rnd = random.Random(seed)
        submitted = set(rnd.sample(unit_ids, round(len(unit_ids) * submitted_share)))
        session.execute(
            update(Campaign).where(Campaign.id == campaign.id).values(stage=CampaignStage.CALLING)
        )
        session.execute(
            update(CampaignUnit)
            .where(CampaignUnit.campaign_id == campaign.id)
            .values(status=ParticipationStatus.CALLED, called_at=called_at)
        )
        ids = sorted(submitted)
        moment = at(campaign.submission_due, 10)
        for start in range(0, len(ids), 900):
            session.execute(
                update(CampaignUnit)
                .where(CampaignUnit.campaign_id == campaign.id)
                .where(CampaignUnit.unit_id.in_(ids[start : start + 900]))  # type: ignore[union-attr]
                .values(
                    status=ParticipationStatus.SUBMITTED,
                    first_submitted_at=moment,
                    last_submitted_at=moment,
                )
            )
    return submitted


def new_token() -> str:
    return secrets.token_urlsafe(16)
