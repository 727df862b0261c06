"""Loose ends of issue 16: one scheduler per database whatever path reaches it, no scheduler
without a Prefect server of its own (so no throwaway server outlives a ``kill -9``), and the
files under var/ readable by their owner only. Real processes, real files."""

from __future__ import annotations

import os
import smtplib
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.scheduler import (
    SchedulerLocked,
    acquire_scheduler_lock,
    lock_file_for,
)
from models.settings import Settings, get_settings
from notifications.smtp_server import free_port
from tests import launcher
from tests.scheduler.conftest import Children

REPO = Path(__file__).resolve().parents[2]


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


# ------------------------------------------------------------------ one scheduler per database


def test_the_same_database_through_a_symlink_is_refused(
    children: Children, database: str, prefect_server: None, tmp_path: Path
) -> None:
    if not database.startswith("sqlite"):
        pytest.skip("a PostgreSQL database is one server-side object: its advisory lock")
    from prefect.settings import PREFECT_API_URL

    children.env["PREFECT_API_URL"] = str(PREFECT_API_URL.value())
    real = Path(database.removeprefix("sqlite:///"))
    (tmp_path / "link.sqlite").symlink_to(real)  # another name for the file
    (tmp_path / "alias").symlink_to(real.parent, target_is_directory=True)  # another folder

    first = children.start()
    first.wait_ready()
    for other in (tmp_path / "link.sqlite", tmp_path / "alias" / real.name):
        second = children.start(TONVINH_DATABASE_URL=f"sqlite:///{other}")
        assert second.wait_exit() == 3, second.output
        message = " ".join(second.output.split())
        assert "Refusing to start: another scheduler is running on the same database" in message
        assert f"pid={first.process.pid}" in message
    # The lock sits beside the real file, and says which file it holds (its identity too).
    lock = lock_file_for(get_settings())
    assert lock == real.with_name(real.name + ".scheduler.lock")
    info = os.stat(real)
    assert f"dev:ino={info.st_dev}:{info.st_ino}" in lock.read_text()
    assert _mode(lock) == 0o600


def test_a_database_replaced_under_the_lock_loses_it(tmp_path: Path) -> None:
    """A restore that puts a new file where the database was: the scheduler holding the old
    one must stop (it would write into a deleted file), and a new one may start."""
    real = tmp_path / "tonvinh.sqlite"
    real.write_bytes(b"")
    settings = Settings(database_url=f"sqlite:///{real}")
    with acquire_scheduler_lock(settings) as lock:
        assert lock.still_held()
        with pytest.raises(SchedulerLocked):
            link = tmp_path / "link.sqlite"
            link.symlink_to(real)
            with acquire_scheduler_lock(Settings(database_url=f"sqlite:///{link}")):
                pass
        restored = tmp_path / "restored.sqlite"
        restored.write_bytes(b"")
        os.replace(restored, real)
        assert not lock.still_held()


# ------------------------------------------------------------------- a Prefect server of its own


def test_without_a_prefect_server_the_scheduler_refuses_to_start_and_says_how(
    children: Children, database: str
) -> None:
    """Without PREFECT_API_URL every reminder run would start a throwaway Prefect server in the
    scheduler's process, left running (~190 MB, listening) after a ``kill -9``. Refused."""
    assert "PREFECT_API_URL" not in children.env
    child = children.start()
    assert child.wait_exit() == 2, child.output
    message = " ".join(child.output.split())
    assert "Không khởi động: chưa đặt PREFECT_API_URL" in message
    assert "Refusing to start: PREFECT_API_URL is not set" in message
    assert "make up" in message and "export PREFECT_API_URL=http://127.0.0.1:4200/api" in message
    assert "Bộ lập lịch đã sẵn sàng" not in message
    if database.startswith("sqlite"):
        assert not lock_file_for(get_settings()).exists()  # refused before taking anything


# ---------------------------------------------------------------------------- var/ owner-only


def _tonvinh(var: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONVINH_")}
    env["TONVINH_VAR_DIR"] = str(var)  # the default database: var/tonvinh.sqlite
    return launcher.run(*args, env=env, umask=0o022)  # a usual login umask: files 0644


def test_the_cli_creates_var_owner_only_and_tightens_what_was_left_open(tmp_path: Path) -> None:
    var = tmp_path / "var"
    created = _tonvinh(var, "db", "upgrade")
    assert created.returncode == 0, created.stderr
    assert _mode(var) == 0o700
    database = var / "tonvinh.sqlite"
    for path in [database, *var.glob("tonvinh.sqlite-*")]:
        assert _mode(path) == 0o600, path

    # What an older version (or a hand) left readable to every local user ...
    loose = {
        var: 0o755,
        database: 0o644,
        var / "log": 0o755,
        var / "log" / "worker.log": 0o644,
        var / "prefect": 0o755,
        var / "prefect" / "prefect.db": 0o644,
        var / "mailbox": 0o755,
    }
    for path, mode in loose.items():
        if not path.exists():
            path.mkdir() if path.suffix == "" else path.write_bytes(b"x")
        path.chmod(mode)
    again = _tonvinh(var, "db", "upgrade")
    assert again.returncode == 0, again.stderr
    # ... is the owner's alone after any command.
    assert {p: _mode(p) for p in loose} == {p: 0o700 if p.is_dir() else 0o600 for p in loose}


STACK_PROBE = """
import os, sys
from pathlib import Path
from deploy.stack import Stack, private_var, spawn
stack = Stack(var_dir=Path(sys.argv[1]))
private_var(stack)
service = "import sys; open(sys.argv[1], 'w').close()"
written = str(stack.var_dir / "outputs" / "written-by-a-service")
os.makedirs(os.path.dirname(written))
pid = spawn(stack, "probe", [sys.executable, "-c", service, written], dict(os.environ))
os.waitpid(pid, 0)
"""


def test_make_up_keeps_logs_pids_and_the_mailbox_owner_only(tmp_path: Path) -> None:
    var = tmp_path / "var"
    old_mail = var / "mailbox" / "new" / "1700000000.M1P1.host"
    old_mail.parent.mkdir(parents=True)
    old_mail.write_text("From: …")
    old_mail.chmod(0o644)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONVINH_")}
    env["TONVINH_VAR_DIR"] = str(var)
    done = subprocess.run(
        [sys.executable, "-c", STACK_PROBE, str(var)],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=lambda: os.umask(0o022),
    )
    assert done.returncode == 0, done.stderr
    written = [var / "log" / "probe.log", var / "run" / "probe.pid", old_mail]
    modes = {
        path.relative_to(var).as_posix(): _mode(path)
        for path in [var, var / "log", var / "run", *written]
    }
    assert modes == {
        ".": 0o700,
        "log": 0o700,
        "run": 0o700,
        "log/probe.log": 0o600,
        "run/probe.pid": 0o600,
        "mailbox/new/1700000000.M1P1.host": 0o600,
    }
    # What a started service creates is owner-only too (the Prefect server's prefect.db, …).
    assert _mode(var / "outputs" / "written-by-a-service") == 0o600
    assert _mode(var / "outputs") == 0o700


def test_the_local_mailbox_writes_each_email_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "var" / "mailbox"
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "deploy.mailbox", "--port", str(port), "--dir", str(folder)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.umask(0o022),
    )
    try:
        assert server.stdout is not None
        ready = server.stdout.readline()
        assert "SMTP 127.0.0.1" in ready, server.stderr.read() if server.stderr else ""
        with smtplib.SMTP("127.0.0.1", port, local_hostname="test", timeout=10) as client:
            client.sendmail("a@example.gov.vn", ["b@example.gov.vn"], b"Subject: x\r\n\r\nx\r\n")
        deadline = time.monotonic() + 10
        while not list((folder / "new").glob("*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        [message] = list((folder / "new").glob("*"))
        assert _mode(message) == 0o600
        assert _mode(folder) == 0o700
    finally:
        server.terminate()
        server.wait(timeout=10)
