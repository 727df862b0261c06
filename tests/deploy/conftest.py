"""One real stack for the deployment tests: `python -m deploy.stack up` (the code behind
`make up`) on a free port and a temporary var dir — a Prefect server (PostgreSQL when
TONVINH_TEST_POSTGRES_URL is set, SQLite otherwise), the deployments, a process worker and the
tonvinh scheduler — with mail going to a real local SMTP server that refuses one address.
`python -m deploy.stack down` stops it at the end, whatever happened.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from notifications.smtp_server import MailboxServer, free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
POSTGRES_URL = os.environ.get("TONVINH_TEST_POSTGRES_URL", "")
# The SMTP server answers this one address with a permanent refusal: a failed email to show.
REFUSED = "thidua@vu-khcn.example.gov.vn"


@dataclass
class RunningStack:
    var_dir: Path
    port: int
    auth: str
    env: dict[str, str]
    mailbox: Path
    report: dict[str, Any]
    backend: str
    started: list[str] = field(default_factory=list)

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def ui(self) -> str:
        return f"http://127.0.0.1:{self.port}/v2"

    def client(self) -> httpx.Client:
        user, _, password = self.auth.partition(":")
        return httpx.Client(base_url=self.api, auth=(user, password), timeout=30)

    def get(self, path: str) -> Any:
        with self.client() as client:
            response = client.get(path)
            response.raise_for_status()
            return response.json()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        with self.client() as client:
            response = client.post(path, json=body)
            response.raise_for_status()
            return response.json()

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        """A command with the stack's environment (PREFECT_API_URL, auth, tonvinh's database)."""
        return subprocess.run(
            list(args),
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def prepare(self, *args: str, timeout: float = 180) -> Any:
        done = self.run(sys.executable, "-m", "tests.deploy.prepare", *args, timeout=timeout)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    def tonvinh(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = self.run(str(BIN / "tonvinh"), *args)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done

    def deployment_run(self, name: str, params: dict[str, Any], watch: bool = True) -> str:
        """`prefect deployment run NAME --params JSON [--watch]`; returns the flow run id."""
        command = [str(BIN / "prefect"), "deployment", "run", name, "--params", json.dumps(params)]
        if watch:
            command += ["--watch", "--watch-timeout", "150"]
        done = self.run(*command, timeout=180)
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
        found = re.search(r"UUID: ([0-9a-f-]{36})", done.stdout)
        assert found, done.stdout
        return found.group(1)

    def flow_run(self, run_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.get(f"/flow_runs/{run_id}")
        return result

    def wait_for_state(self, run_id: str, state_type: str, timeout: float = 90) -> dict[str, Any]:
        return wait_until(
            lambda: (run := self.flow_run(run_id))["state_type"] == state_type and run,
            timeout,
            f"flow run {run_id} to reach {state_type}",
        )

    def events(self, *names: str) -> list[dict[str, Any]]:
        body = {"filter": {"event": {"name": list(names)}}, "limit": 50}
        page = self.post("/events/filter", body)
        events: list[dict[str, Any]] = page["events"]
        while page.get("next_page") and len(events) < 2000:
            with self.client() as client:
                response = client.get(page["next_page"])
                response.raise_for_status()
                page = response.json()
            events += page["events"]
        return events

    def latest_artifact(self, key: str) -> dict[str, Any]:
        rows = self.post(
            "/artifacts/filter",
            {"artifacts": {"key": {"any_": [key]}}, "sort": "CREATED_DESC", "limit": 1},
        )
        assert rows, f"no artifact {key}"
        result: dict[str, Any] = rows[0]
        return result

    def log(self, service: str) -> str:
        return (self.var_dir / "log" / f"{service}.log").read_text(errors="replace")


def table_rows(artifact: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of a table artifact as read from the API (stored as a JSON string)."""
    data = artifact["data"]
    rows = json.loads(data) if isinstance(data, str) else data
    assert isinstance(rows, list)
    return rows


def wait_until(check: Callable[[], Any], timeout: float, what: str, every: float = 0.5) -> Any:
    """Poll ``check`` until it returns something truthy; fail the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


def _postgres_databases() -> tuple[str, str, Callable[[], None]]:
    """A fresh database for Prefect and a fresh schema for tonvinh; and how to drop them."""
    import psycopg

    name = f"tonvinh_prefect_{uuid.uuid4().hex[:10]}"
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
        connection.execute(f'CREATE SCHEMA "{schema}"')
    base = POSTGRES_URL.rsplit("/", 1)[0].split("://", 1)[1]
    prefect_url = f"postgresql+asyncpg://{base}/{name}"
    tonvinh_url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"

    def drop() -> None:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    return prefect_url, tonvinh_url, drop


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    var_dir = tmp_path_factory.mktemp("stack")
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PREFECT_", "TONVINH_")) or k == "TONVINH_TEST_POSTGRES_URL"
    }
    drop: Callable[[], None] | None = None
    backend = "sqlite"
    if POSTGRES_URL:
        backend = "postgresql"
        prefect_url, tonvinh_url, drop = _postgres_databases()
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = prefect_url
        env["TONVINH_DATABASE_URL"] = tonvinh_url
    mailbox = var_dir / "mailbox"
    smtp = MailboxServer(mailbox, fail_rcpt={REFUSED: "550 5.1.1 No such mailbox"}).start()
    env.update(
        {
            "TONVINH_VAR_DIR": str(var_dir),
            "TONVINH_SMTP_HOST": "127.0.0.1",
            "TONVINH_SMTP_PORT": str(smtp.port),
            "TONVINH_SMTP_TLS": "none",
            "TONVINH_SMTP_USER": "",
            "PREFECT_WORKER_QUERY_SECONDS": "2",
            # The pause of an in-process flow polls every 10 s by default; not used here.
            "PYTHONUNBUFFERED": "1",
        }
    )
    stack_command = [sys.executable, "-m", "deploy.stack"]
    # Nothing binds `port` before the stack starts, so the OS may offer it again: a portal on
    # the Prefect server's port was not started ("port taken") and the stack had no portal.
    portal_port = free_port()
    while portal_port in (port, smtp.port):
        portal_port = free_port()
    where = ["--var-dir", str(var_dir), "--port", str(port), "--portal-port", str(portal_port)]
    started = time.monotonic()
    try:
        up = subprocess.run(
            [*stack_command, "up", *where, "--no-mail", "--json"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert up.returncode == 0, f"stack up failed:\n{up.stdout[-4000:]}\n{up.stderr[-4000:]}"
        report = json.loads(up.stdout.strip().splitlines()[-1])
        report["seconds"] = round(time.monotonic() - started, 1)
        client_env = dict(env)
        for line in (var_dir / "deploy.env").read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                key, _, value = line.partition("=")
                client_env[key] = value
        client_env["PREFECT_HOME"] = str(var_dir / "prefect")
        yield RunningStack(
            var_dir=var_dir,
            port=port,
            auth=report["login"],
            env=client_env,
            mailbox=mailbox,
            report=report,
            backend=backend,
        )
    finally:
        down = subprocess.run(
            [*stack_command, "down", *where, "--json"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        smtp.stop()
        if drop is not None:
            drop()
        assert down.returncode == 0, down.stdout + down.stderr
        assert not list((var_dir / "run").glob("*.pid")), "down left pid files behind"
