"""Real scheduler processes against the test database and SMTP server, and small campaigns.

Every child is started through ``Children`` and killed (SIGKILL) at teardown whatever happens;
every wait is bounded.
"""

from __future__ import annotations

import contextlib
import os
import signal
import struct
import subprocess
import sys
import threading
import time
import zoneinfo
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import pytest

from models.campaign import Campaign, CampaignStage, CampaignUnit, ParticipationStatus
from models.clock import VN_TZ
from models.db import session_scope
from models.unit import Unit

TONVINH = Path(sys.executable).parent / "tonvinh"
READY = "Bộ lập lịch đã sẵn sàng"


class Child:
    """One ``tonvinh scheduler`` process with its output collected line by line."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [str(TONVINH), "scheduler", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._readers = [
            threading.Thread(
                target=self._drain, args=(self.process.stdout, self.stdout), daemon=True
            ),
            threading.Thread(
                target=self._drain, args=(self.process.stderr, self.stderr), daemon=True
            ),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _drain(stream: object, sink: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            sink.append(line)

    @property
    def output(self) -> str:
        return "".join(self.stdout) + "".join(self.stderr)

    def wait_ready(self, timeout: float = 30.0) -> float:
        """Seconds from start to the ready line; fails with the child's output otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(READY in line for line in self.stdout):
                return time.monotonic() - self.started
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        for reader in self._readers:
            reader.join(timeout=1)
        pytest.fail(f"scheduler not ready (rc={self.process.poll()}):\n{self.output}")

    def wait_exit(self, timeout: float = 60.0) -> int:
        """The exit code; past ``timeout`` the child dumps every thread's stack (SIGABRT with
        ``PYTHONFAULTHANDLER``) and the test fails with its output, so a hang says where."""
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGABRT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
            for reader in self._readers:
                reader.join(timeout=5)
            pytest.fail(f"scheduler did not exit within {timeout} s:\n{self.output[-20000:]}")
        for reader in self._readers:
            reader.join(timeout=5)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


class Children:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.started: list[Child] = []

    def start(self, *args: str, **extra_env: str) -> Child:
        child = Child({**self.env, **extra_env}, *args)
        self.started.append(child)
        return child

    def kill_all(self) -> None:
        for child in self.started:
            with contextlib.suppress(Exception):  # teardown must reach every child
                child.kill()


@pytest.fixture
def children(database: str, mail_server: object) -> Iterator[Children]:
    """Start scheduler processes on this test's database and SMTP server; all die at teardown."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.pop("TONVINH_NOW", None)
    env.update(
        {
            "PYTHONUNBUFFERED": "1",
            "PYTHONFAULTHANDLER": "1",  # a hung child dumps its threads on SIGABRT (wait_exit)
            "COLUMNS": "240",  # rich wraps at 80 columns on a pipe otherwise
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "TONVINH_LANG": "vi",
        }
    )
    group = Children(env)
    try:
        yield group
    finally:
        group.kill_all()


def make_campaign(
    code: str,
    deadlines: list[date],
    *,
    stage: CampaignStage = CampaignStage.CALLING,
    year: int | None = None,
) -> dict[str, int]:
    """A campaign taking submissions with one unit per deadline; returns {unit code: part id}."""
    first = min(deadlines)
    year = year or first.year
    now = datetime.now(VN_TZ)
    parts: dict[str, int] = {}
    with session_scope() as session:
        campaign = Campaign(
            code=code,
            year=year,
            name=f"Đợt thử {code}",
            rule_pack="nd91-2017",
            conference_date=first + timedelta(days=90),
            dispatch_on=first - timedelta(days=30),
            submission_due=first,
            review_due=first + timedelta(days=20),
            council_on=first + timedelta(days=40),
            approval_due=first + timedelta(days=60),
            stage=stage,
            created_at=now,
        )
        session.add(campaign)
        session.flush()
        for number, deadline in enumerate(deadlines, start=1):
            unit_code = f"{code}-u{number}"
            unit = Unit(
                code=unit_code,
                name=f"Đơn vị thử {number}",
                focal_name=f"Đầu mối {number}",
                focal_email=f"daumoi{number}@{code}.example.gov.vn",
                head_name=f"Thủ trưởng {number}",
                head_email=f"thutruong{number}@{code}.example.gov.vn",
            )
            session.add(unit)
            session.flush()
            assert campaign.id is not None and unit.id is not None
            part = CampaignUnit(
                campaign_id=campaign.id,
                unit_id=unit.id,
                deadline=deadline,
                status=ParticipationStatus.CALLED,
                called_at=now,
            )
            session.add(part)
            session.flush()
            assert part.id is not None
            parts[unit_code] = part.id
    return parts


# ------------------------------------------------------------------ a Vietnam time for the child


def _tzif(offset_seconds: int, abbr: str = "TVT") -> bytes:
    """A TZif v2 file for a fixed UTC offset (any number of seconds)."""
    chars = abbr.encode() + b"\0"
    header = b"TZif2" + b"\0" * 15 + struct.pack(">6l", 0, 0, 0, 0, 1, len(chars))
    body = struct.pack(">lBB", offset_seconds, 0, 0) + chars
    hours, rest = divmod(abs(offset_seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    sign = "-" if offset_seconds >= 0 else "+"  # POSIX TZ strings count west of Greenwich
    footer = f"\n<{abbr}>{sign}{hours}:{minutes:02d}:{seconds:02d}\n".encode()
    return header + body + header + body + footer


def shifted_vietnam(
    folder: Path, send_at: datetime, send_hour: int = 8
) -> tuple[dict[str, str], date]:
    """Env making ``send_hour``:00 "Vietnam time" fall on the instant ``send_at`` in a child.

    The ladder's steps fall due at a whole hour of Asia/Ho_Chi_Minh, so a test cannot wait for
    one on the real zone. The child gets its own definition of that zone (PYTHONTZPATH, searched
    before the system's) with the offset that puts ``send_hour``:00 of the returned day at
    ``send_at``. The wall clock stays real and APScheduler, models.clock and the ladder all read
    the same zone, so what is tested is the real timing, only the zone's offset moved.
    """
    moment = send_at.astimezone(UTC).replace(microsecond=0)
    day = moment.date()
    offset = int(
        (datetime.combine(day, dtime(send_hour)) - moment.replace(tzinfo=None)).total_seconds()
    )
    zone = folder / "Asia" / "Ho_Chi_Minh"
    zone.parent.mkdir(parents=True, exist_ok=True)
    zone.write_bytes(_tzif(offset))
    path = os.pathsep.join([str(folder), *zoneinfo.TZPATH])
    return {"PYTHONTZPATH": path}, day


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, child: Child) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(
        f"timed out after {timeout:.0f} s waiting for {what}; scheduler said:\n{child.output}"
    )
