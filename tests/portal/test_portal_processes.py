"""`tonvinh portal --processes 2`: two serving processes on one port behave as one portal. A form
one process served is accepted by the other (they sign with one key, made once however they
race to make it), a unit's list is stored once, both log with the link redacted, and stopping
the portal, even with SIGKILL, stops them all."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlmodel import func, select

from cli.demo_units import XLSX
from models.db import session_scope
from models.nomination import Submission
from notifications.smtp_server import free_port
from tests import launcher
from tests.flows.conftest import at
from tests.portal.support import (
    CSRF_FIELD,
    Campaign,
    list_bytes,
    portal_subprocess,
    two_people,
)


@dataclass
class Served:
    url: str
    port: int
    process: subprocess.Popen[bytes]

    def workers(self) -> list[int]:
        """The serving processes: the supervisor's children that are not multiprocessing's
        resource tracker."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = [int(pid) for pid in children.read_text().split()]
        return [pid for pid in pids if b"resource_tracker" not in _cmdline(pid)]

    def server_of(self, response: httpx.Response) -> int:
        """Which serving process holds the connection ``response`` came on: the socket whose
        peer is the client's port, among each process's open files."""
        client_port = response.extensions["network_stream"].get_extra_info("client_addr")[1]
        inode = _socket_inode(self.port, client_port)
        for pid in self.workers():
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    if os.readlink(fd) == f"socket:[{inode}]":
                        return pid
                except FileNotFoundError:
                    continue
        raise AssertionError("no serving process holds the connection")


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return b""


def _socket_inode(server_port: int, client_port: int) -> str:
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == (
            client_port
        ):
            return fields[9]
    raise AssertionError(f"no connection from port {client_port}")


@pytest.fixture
def two_processes(campaign: Campaign, database: str, tmp_path: Path) -> Iterator[Served]:
    """The portal in two serving processes, on the campaign's database and day, with a fresh
    var folder: no secret key yet, so both race to make it. PostgreSQL only: with SQLite the
    portal refuses a second process (the last test)."""
    if database.startswith("sqlite"):
        pytest.skip("with SQLite the portal runs one process")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "TONVINH_DATABASE_URL": database,
        "TONVINH_VAR_DIR": str(tmp_path / "var"),
        "TONVINH_NOW": at(campaign.dispatch_on, 10).isoformat(),
    }
    log = tmp_path / "portal.log"
    with portal_subprocess(env, "--processes", "2", log=log) as (url, process):
        served = Served(url, int(url.rsplit(":", 1)[1]), process)
        deadline = time.monotonic() + 60
        while len(served.workers()) < 2:  # the first answered; the second may still start
            assert time.monotonic() < deadline, "the second process did not start"
            time.sleep(0.2)
        yield served


def test_a_form_from_one_process_is_taken_by_the_other_and_stop_ends_both(
    campaign: Campaign, two_processes: Served, tmp_path: Path
) -> None:
    unit = campaign.codes[0]
    page = f"{two_processes.url}/nop/{campaign.token(unit)}/"
    # Fresh connections until each process has served the unit's page, all with one cookie.
    cookies = httpx.Cookies()
    fields: dict[int, str] = {}
    for _ in range(200):
        with httpx.Client(cookies=cookies, timeout=30) as client:
            shown = client.get(page)
            assert shown.status_code == 200
            found = CSRF_FIELD.search(shown.text)
            assert found is not None
            fields[two_processes.server_of(shown)] = found.group(1)
            cookies = client.cookies
        if len(fields) == 2:
            break
    assert len(fields) == 2, "one process served every connection"
    assert len(set(fields.values())) == 1, "the processes sign forms with different keys"

    # The form one process served, sent to the other.
    [(_first, field), (second, _)] = fields.items()
    data = list_bytes(tmp_path, unit, two_people())
    for _ in range(200):
        with httpx.Client(cookies=cookies, timeout=30) as client:
            probe = client.get(f"{two_processes.url}/")
            if two_processes.server_of(probe) != second:
                continue
            sent = client.post(
                page + "nop-danh-sach",
                data={"csrf": field},
                files={"file": ("ds.xlsx", data, XLSX)},
            )
            assert two_processes.server_of(sent) == second
            break
    else:
        raise AssertionError("never reached the second process")
    assert sent.status_code == 200, sent.text
    with session_scope() as session:
        assert session.exec(select(func.count()).select_from(Submission)).one() == 1

    workers = two_processes.workers()
    two_processes.process.send_signal(signal.SIGTERM)
    assert two_processes.process.wait(30) == 0
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or _cmdline(pid) == b"", f"{pid} still runs"
    # Both processes' access logs, with the link redacted.
    logged = (tmp_path / "portal.log").read_text(encoding="utf-8")
    assert logged.count('"POST /nop/…/nop-danh-sach HTTP/1.1" 200') == 1
    assert campaign.token(unit) not in logged


def test_a_killed_portal_leaves_no_serving_process_behind(two_processes: Served) -> None:
    """SIGKILL gives the supervisor no chance to stop its processes: they end with it rather
    than serve on alone (systemd would stop the whole group; a shell or a test does not)."""
    workers = two_processes.workers()
    two_processes.process.kill()
    two_processes.process.wait(30)
    deadline = time.monotonic() + 10
    while any(_cmdline(pid) for pid in workers):
        assert time.monotonic() < deadline, "a serving process outlived the killed portal"
        time.sleep(0.1)
    with pytest.raises(httpx.TransportError):
        httpx.get(two_processes.url + "/", timeout=2)


def test_with_sqlite_more_than_one_process_is_refused(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "TONVINH_"))}
    env |= {"TONVINH_VAR_DIR": str(tmp_path / "var"), "TONVINH_PORTAL_PROCESSES": "2"}
    port = free_port()
    refused = launcher.run("portal", "--port", str(port), env=env, timeout=60)
    assert refused.returncode == 2
    assert "SQLite" in refused.stderr and "TONVINH_PORTAL_PROCESSES" in refused.stderr
    assert not (tmp_path / "var" / "tonvinh.sqlite").exists()  # refused before anything
