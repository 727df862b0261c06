"""`make up` / `make down`: a local Prefect server, the deployments, a worker, the scheduler and
the unit portal.

    python -m deploy.stack up     [--var-dir var] [--host 127.0.0.1] [--port 4200]
                                  [--portal-port 8030] [--no-portal]
    python -m deploy.stack down   [--var-dir var]
    python -m deploy.stack status [--var-dir var]

`up` starts, each in its own session with its log under var/log/ and its pid file under
var/run/:

1. `prefect server start` — SQLite under var/prefect/ by default, PostgreSQL when
   PREFECT_SERVER_DATABASE_CONNECTION_URL is set; basic auth on (a random `admin:…` string is
   generated into var/deploy.env on the first `up`, unless PREFECT_SERVER_API_AUTH_STRING is
   already set); analytics off; PREFECT_SERVER_API_HOST/PORT set to what the server listens on,
   so the UI calls the right API address;
2. (meanwhile tonvinh's own database is migrated) `python -m deploy.deployments` — the work
   pool and every deployment;
3. `prefect worker start --pool tonvinh --type process`;
4. `tonvinh scheduler` — the one reminder scheduler (skipped with a warning if this checkout's
   CLI has no `scheduler` command yet);
5. a local SMTP server writing to var/mailbox/ — only when TONVINH_SMTP_HOST is a loopback
   address, nobody listens on TONVINH_SMTP_PORT, and --no-mail is not given (a pilot's default);
6. `tonvinh portal` — the unit portal the emailed links open (TONVINH_SUBMISSION_BASE_URL is set
   to it for every process unless already set), skipped with a warning if its port is taken.

`down` stops exactly the processes named in var/run/*.pid (checking each pid still is the
process that was started, by its start time) and the flow-run processes the worker started:
SIGTERM, then SIGKILL after a grace period. Nothing is looked up by name.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from deploy.links import artifact_lines, campaign_codes

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
POOL = "tonvinh"
# Started in this order, stopped in the reverse one.
SERVICES = ("server", "mail", "worker", "scheduler", "portal")
AUTH_USER = "admin"


@dataclass(frozen=True)
class Stack:
    var_dir: Path
    host: str = "127.0.0.1"
    port: int = 4200
    pool: str = POOL
    portal_port: int = 8030

    @property
    def run_dir(self) -> Path:
        return self.var_dir / "run"

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "log"

    @property
    def prefect_home(self) -> Path:
        return self.var_dir / "prefect"

    @property
    def env_file(self) -> Path:
        return self.var_dir / "deploy.env"

    @property
    def public_host(self) -> str:
        return "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host

    @property
    def api_url(self) -> str:
        return f"http://{self.public_host}:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://{self.public_host}:{self.port}/v2"

    @property
    def portal_url(self) -> str:
        return f"http://{self.public_host}:{self.portal_port}"

    def pid_file(self, service: str) -> Path:
        return self.run_dir / f"{service}.pid"

    def log_file(self, service: str) -> Path:
        return self.log_dir / f"{service}.log"


# --- processes, by id ------------------------------------------------------------------------


def _start_ticks(pid: int) -> str | None:
    """The process's start time (clock ticks since boot): a pid and this identify a process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces or parentheses: split after the last ")".
    fields = stat.rsplit(")", 1)[1].split()
    return fields[19] if len(fields) > 19 and fields[0] != "Z" else None


def children(pid: int) -> list[int]:
    """Direct children of a process (the worker's flow runs live in sessions of their own)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            children.append(int(entry.name))
    return children


@dataclass(frozen=True)
class Recorded:
    pid: int
    ticks: str
    command: str

    def alive(self) -> bool:
        return _start_ticks(self.pid) == self.ticks


def read_pid_file(path: Path) -> Recorded | None:
    try:
        pid, ticks, command = path.read_text().splitlines()[:3]
        return Recorded(int(pid), ticks, command)
    except (OSError, ValueError):
        return None


def write_pid_file(path: Path, pid: int, command: list[str]) -> None:
    ticks = _start_ticks(pid) or "?"
    path.write_text(f"{pid}\n{ticks}\n{' '.join(command)}\n")


def running(stack: Stack, service: str) -> Recorded | None:
    recorded = read_pid_file(stack.pid_file(service))
    return recorded if recorded is not None and recorded.alive() else None


def spawn(stack: Stack, service: str, command: list[str], env: dict[str, str]) -> int:
    stack.log_dir.mkdir(parents=True, exist_ok=True)
    stack.run_dir.mkdir(parents=True, exist_ok=True)
    with stack.log_file(service).open("ab") as log:
        log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(command)}\n".encode())
        log.flush()
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: `down` stops it and its children
        )
    write_pid_file(stack.pid_file(service), process.pid, command)
    return process.pid


def _signal(recorded: Recorded, sig: int) -> None:
    try:
        if os.getpgid(recorded.pid) == recorded.pid:
            os.killpg(recorded.pid, sig)
        else:
            os.kill(recorded.pid, sig)
    except ProcessLookupError:
        pass


def _wait_gone(processes: list[Recorded], seconds: float) -> list[Recorded]:
    deadline = time.monotonic() + seconds
    left = [p for p in processes if p.alive()]
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = [p for p in left if p.alive()]
    return left


def stop(stack: Stack, service: str, grace: float = 20.0) -> str:
    """Stop one recorded service (and, for the worker, the flow-run processes it started)."""
    path = stack.pid_file(service)
    recorded = read_pid_file(path)
    if recorded is None:
        return "not running"
    if not recorded.alive():
        path.unlink(missing_ok=True)
        return f"pid {recorded.pid} had already exited"
    # Flow runs are started in sessions of their own: note them while they are still children.
    offspring = [
        Recorded(child, ticks, "flow run")
        for child in children(recorded.pid)
        if (ticks := _start_ticks(child)) is not None
    ]
    _signal(recorded, signal.SIGTERM)
    left = _wait_gone([recorded], grace)
    for process in offspring:
        if process.alive():
            _signal(process, signal.SIGTERM)
    left += _wait_gone(offspring, min(grace, 10.0))
    for process in left:
        if process.alive():
            _signal(process, signal.SIGKILL)
    _wait_gone(left, 5.0)
    path.unlink(missing_ok=True)
    forced = " (killed after the grace period)" if left else ""
    extra = f", and {len(offspring)} flow-run process(es)" if offspring else ""
    return f"stopped pid {recorded.pid}{extra}{forced}"


# --- configuration ---------------------------------------------------------------------------


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip() and not line.lstrip().startswith("#") and "=" in line:
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip().strip("'\"")
    return values


def auth_string(stack: Stack) -> str:
    """PREFECT_SERVER_API_AUTH_STRING from the environment, else var/deploy.env, else new."""
    if "PREFECT_SERVER_API_AUTH_STRING" in os.environ:
        return os.environ["PREFECT_SERVER_API_AUTH_STRING"]
    stored = read_env_file(stack.env_file).get("PREFECT_SERVER_API_AUTH_STRING")
    return stored or f"{AUTH_USER}:{secrets.token_urlsafe(18)}"


def write_env_file(stack: Stack, auth: str) -> None:
    """What a shell needs to use this server: `set -a; . var/deploy.env; set +a` (mode 600)."""
    stack.var_dir.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Written by `make up` (deploy/stack.py). Private: it holds the API's basic-auth string.",
        "# Use it from a shell: set -a; . var/deploy.env; set +a",
        f"PREFECT_API_URL={stack.api_url}",
    ]
    if auth:
        lines += [f"PREFECT_API_AUTH_STRING={auth}", f"PREFECT_SERVER_API_AUTH_STRING={auth}"]
    fd = os.open(stack.env_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    os.chmod(stack.env_file, 0o600)


def environment(stack: Stack, auth: str) -> dict[str, str]:
    """The environment every started process shares (the caller's, plus the stack's)."""
    env = dict(os.environ)
    env.update(
        {
            "PREFECT_HOME": str(stack.prefect_home),
            "PREFECT_API_URL": stack.api_url,
            "PREFECT_SERVER_API_HOST": stack.host,
            "PREFECT_SERVER_API_PORT": str(stack.port),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
            "TONVINH_VAR_DIR": env.get("TONVINH_VAR_DIR") or str(stack.var_dir),
            # The links in every email open this stack's portal, unless a public one is set.
            "TONVINH_SUBMISSION_BASE_URL": env.get("TONVINH_SUBMISSION_BASE_URL")
            or f"{stack.portal_url}/nop",
            # Artifacts link each document to this stack's operator area (portal /dieu-hanh/).
            "TONVINH_OPERATOR_BASE_URL": env.get("TONVINH_OPERATOR_BASE_URL") or stack.portal_url,
            "TONVINH_APPROVAL_BASE_URL": env.get("TONVINH_APPROVAL_BASE_URL")
            or f"{stack.portal_url}/duyet",
        }
    )
    env.setdefault("PREFECT_WORKER_QUERY_SECONDS", "5")
    if auth:
        env["PREFECT_SERVER_API_AUTH_STRING"] = auth
        env["PREFECT_API_AUTH_STRING"] = auth
    else:
        env.pop("PREFECT_SERVER_API_AUTH_STRING", None)
        env.pop("PREFECT_API_AUTH_STRING", None)
    return env


# --- health ----------------------------------------------------------------------------------


def api_get(stack: Stack, path: str, auth: str, timeout: float = 3.0) -> object:
    request = urllib.request.Request(stack.api_url + path)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


def api_post(stack: Stack, path: str, auth: str, body: object, timeout: float = 5.0) -> object:
    request = urllib.request.Request(
        stack.api_url + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


def wait_for(check: Callable[[], bool], seconds: float, what: str, alive: Recorded | None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, urllib.error.URLError, ValueError):
            pass
        if alive is not None and not alive.alive():
            raise SystemExit(f"{what}: the process exited; see its log")
        time.sleep(0.25)
    raise SystemExit(f"{what}: not ready after {seconds:.0f} s; see the logs under var/log/")


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def probe_scheduler(env: dict[str, str]) -> subprocess.Popen[bytes] | None:
    """Start asking whether this checkout's CLI has the `scheduler` command (in the background:
    importing the CLI takes seconds, the server takes longer to start anyway)."""
    tonvinh = BIN / "tonvinh"
    if not tonvinh.exists():
        return None
    return subprocess.Popen(
        [str(tonvinh), "scheduler", "--help"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def scheduler_available(probe: subprocess.Popen[bytes] | None) -> bool:
    if probe is None:
        return False
    try:
        return probe.wait(timeout=60) == 0
    except subprocess.TimeoutExpired:
        probe.kill()
        probe.wait()
        return False


def local_smtp_wanted() -> tuple[str, int] | None:
    """The local SMTP address to serve, when mail is configured for loopback and nobody is there."""
    from models.settings import Settings

    settings = Settings()
    if settings.smtp_host not in ("127.0.0.1", "localhost", "::1"):
        return None
    if port_in_use("127.0.0.1", settings.smtp_port):
        return None
    return "127.0.0.1", settings.smtp_port


# --- commands --------------------------------------------------------------------------------


def private_var(stack: Stack) -> list[Path]:
    """Owner-only from here on: this process and every service it starts create their files
    0600 (the Prefect server's prefect.db, logs, pid files, the mailbox), and what an older
    version left readable to all under var/ is tightened (``models.private_files``)."""
    from models.private_files import private_umask, secure_var
    from models.settings import Settings

    private_umask()
    stack.var_dir.mkdir(parents=True, exist_ok=True)
    return secure_var(stack.var_dir, [Settings().effective_database_url], deep=True)


def start_portal(stack: Stack, env: dict[str, str]) -> str:
    """The unit portal on ``stack.portal_port`` (the server's host); waits until it answers."""
    if running(stack, "portal") is not None:
        return f"{stack.portal_url}/ (already running)"
    if port_in_use(stack.public_host, stack.portal_port):
        return f"NOT STARTED: port {stack.portal_port} is taken (pass --portal-port)"
    command = [str(BIN / "tonvinh"), "portal", "--host", stack.host, "--port"]
    spawn(stack, "portal", [*command, str(stack.portal_port)], env)

    def answers() -> bool:
        with urllib.request.urlopen(f"{stack.portal_url}/", timeout=2) as response:
            return bool(response.status == 200)

    wait_for(answers, 60, "Unit portal", running(stack, "portal"))
    return f"{stack.portal_url}/"


def up(
    stack: Stack, scheduler: bool = True, mail: bool = True, portal: bool = True
) -> dict[str, object]:
    started = time.monotonic()
    timings: dict[str, float] = {}
    private_var(stack)
    auth = auth_string(stack)
    write_env_file(stack, auth)
    env = environment(stack, auth)
    stack.prefect_home.mkdir(parents=True, exist_ok=True)
    prefect = str(BIN / "prefect")
    report: dict[str, object] = {"ui": stack.ui_url, "api": stack.api_url, "login": auth}
    report["artifacts"] = f"{stack.ui_url}/artifacts"  # not in the V2 sidebar
    report["documents"] = f"{stack.portal_url}/dieu-hanh/"
    want_scheduler = scheduler and running(stack, "scheduler") is None
    probe = probe_scheduler(env) if want_scheduler else None
    # tonvinh's own database, migrated while the server starts (flows and scheduler need it).
    migrate = subprocess.Popen(
        [sys.executable, "-c", "from models.migrate import upgrade; upgrade()"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )

    def health() -> bool:
        return api_get(stack, "/health", auth) is True

    # 1. The server.
    server = running(stack, "server")
    if server is None:
        if port_in_use(stack.public_host, stack.port):
            raise SystemExit(
                f"Port {stack.port} is already taken by another program: set "
                f"PREFECT_SERVER_API_PORT or pass --port."
            )
        command = [prefect, "server", "start", "--host", stack.host, "--port", str(stack.port)]
        spawn(stack, "server", command, env)
        server = running(stack, "server")
    wait_for(health, 120, "Prefect server", server)
    timings["server"] = time.monotonic() - started

    output, _ = migrate.communicate(timeout=300)
    if migrate.returncode != 0:
        sys.stderr.write(output.decode(errors="replace"))
        raise SystemExit("Migrating tonvinh's database failed (output above).")

    # 2. The pool and the deployments (a child process: it reads its settings from env).
    mark = time.monotonic()
    registered = subprocess.run(
        [sys.executable, "-m", "deploy.deployments", "--pool", stack.pool],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if registered.returncode != 0:
        sys.stderr.write(registered.stdout + registered.stderr)
        raise SystemExit("Registering the deployments failed (output above).")
    report["deployments"] = json.loads(registered.stdout.strip().splitlines()[-1])
    timings["deployments"] = time.monotonic() - mark

    # 3. The local SMTP server (optional), the worker, the scheduler.
    mark = time.monotonic()
    if mail and running(stack, "mail") is None and (address := local_smtp_wanted()):
        host, port = address
        mailbox = stack.var_dir / "mailbox"
        spawn(
            stack,
            "mail",
            [
                sys.executable,
                "-m",
                "deploy.mailbox",
                "--host",
                host,
                "--port",
                str(port),
                "--dir",
                str(mailbox),
            ],
            env,
        )
        report["mail"] = f"local SMTP {host}:{port} → {mailbox}"
    elif running(stack, "mail") is not None:
        report["mail"] = "local SMTP already running"
    worker_name = f"{stack.pool}-{socket.gethostname()}"
    # A worker restarted under the same name must heartbeat anew (the old record looks online).
    since = datetime.now(UTC) - timedelta(seconds=2)
    if running(stack, "worker") is not None:
        since = datetime.min.replace(tzinfo=UTC)  # already ours and alive: online is enough
    else:
        spawn(
            stack,
            "worker",
            [
                prefect,
                "worker",
                "start",
                "--pool",
                stack.pool,
                "--type",
                "process",
                "--name",
                worker_name,
            ],
            env,
        )

    def worker_online() -> bool:
        workers = api_post(stack, f"/work_pools/{stack.pool}/workers/filter", auth, {})
        assert isinstance(workers, list)
        return any(
            w.get("name") == worker_name
            and w.get("status") == "ONLINE"
            and datetime.fromisoformat(w["last_heartbeat_time"]) >= since
            for w in workers
        )

    wait_for(worker_online, 90, "Prefect worker", running(stack, "worker"))
    timings["worker"] = time.monotonic() - mark
    if want_scheduler:
        if scheduler_available(probe):
            spawn(stack, "scheduler", [str(BIN / "tonvinh"), "scheduler"], env)
            report["scheduler"] = "started"
        else:
            report["scheduler"] = "NOT STARTED: this checkout has no `tonvinh scheduler` command"
    elif running(stack, "scheduler") is not None:
        report["scheduler"] = "already running"
    else:
        report["scheduler"] = "skipped (--no-scheduler)"
    report["portal"] = start_portal(stack, env) if portal else "skipped (--no-portal)"
    timings["total"] = time.monotonic() - started
    report["timings"] = {k: round(v, 1) for k, v in timings.items()}
    report["pids"] = {
        service: recorded.pid for service in SERVICES if (recorded := running(stack, service))
    }
    return report


def down(stack: Stack, only: list[str] | None = None) -> dict[str, str]:
    return {
        service: stop(stack, service)
        for service in reversed(SERVICES)
        if service in (only or SERVICES)
    }


def status(stack: Stack) -> dict[str, object]:
    return {
        service: (f"running, pid {r.pid}" if (r := running(stack, service)) else "stopped")
        for service in SERVICES
    }


def _shown(path: Path) -> str:
    """A path relative to the current directory when it is inside it, else absolute."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _print_up(stack: Stack, report: dict[str, object]) -> None:
    timings = report["timings"]
    assert isinstance(timings, dict)
    deployments = report["deployments"]
    assert isinstance(deployments, dict)
    pids = report["pids"]
    assert isinstance(pids, dict)
    env_file = _shown(stack.env_file)
    log_dir = _shown(stack.log_dir)
    lines = [
        f"tonvinh is up in {timings['total']} s "
        f"(server {timings['server']} s, deployments {timings['deployments']} s, "
        f"worker {timings['worker']} s)",
        "",
        f"  Prefect UI   {stack.ui_url}",
        f"  Login        {report['login'] or '(no auth: PREFECT_SERVER_API_AUTH_STRING is empty)'}"
        f"   (type the whole string on the UI's login page)",
        *artifact_lines(stack.ui_url, stack.portal_url, campaign_codes(stack.var_dir)),
        f"  API          {stack.api_url}",
        f"  Work pool    {stack.pool} (process); worker pid {pids.get('worker')}",
        f"  Scheduler    {report.get('scheduler')}",
        f"  Unit portal  {report.get('portal')}   (the links in emails open it)",
    ]
    if "mail" in report:
        lines.append(f"  Mail         {report['mail']}")
    lines += [
        f"  Deployments  {', '.join(sorted(deployments))}",
        "",
        f"  Use the CLI against it:  set -a; . {env_file}; set +a",
        "  Run a stage:  .venv/bin/prefect deployment run dispatch-call/tonvinh "
        "--param campaign_code=tdkt-2026",
        f"  Logs: {log_dir}/*.log      Stop everything: make down",
    ]
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="tonvinh's local Prefect stack")
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument(
        "--var-dir", type=Path, default=Path(os.environ.get("TONVINH_VAR_DIR", "var"))
    )
    parser.add_argument("--host", default=os.environ.get("PREFECT_SERVER_API_HOST", "127.0.0.1"))
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("PREFECT_SERVER_API_PORT", "4200"))
    )
    parser.add_argument("--pool", default=POOL)
    parser.add_argument("--no-scheduler", action="store_true", help="do not start the scheduler")
    parser.add_argument("--no-mail", action="store_true", help="never start the local SMTP server")
    parser.add_argument("--no-portal", action="store_true", help="do not start the unit portal")
    parser.add_argument(
        "--portal-port", type=int, default=int(os.environ.get("TONVINH_PORTAL_PORT", "8030"))
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--only", action="append", choices=SERVICES, help="down: stop only this service"
    )
    args = parser.parse_args(argv)
    var_dir = args.var_dir if args.var_dir.is_absolute() else (Path.cwd() / args.var_dir)
    stack = Stack(
        var_dir=var_dir.resolve(),
        host=args.host,
        port=args.port,
        pool=args.pool,
        portal_port=args.portal_port,
    )
    if args.command == "up":
        if shutil.which("prefect", path=str(BIN)) is None:
            raise SystemExit(f"prefect is not installed in {BIN}: run `make install` first")
        try:
            report = up(
                stack,
                scheduler=not args.no_scheduler,
                mail=not args.no_mail,
                portal=not args.no_portal,
            )
        except BaseException:
            print("`up` did not finish; what it started is still recorded: run `make down`.")
            raise
        print(json.dumps(report, ensure_ascii=False)) if args.json else _print_up(stack, report)
    elif args.command == "down":
        result = down(stack, args.only)
        if args.json:
            print(json.dumps(result))
        else:
            for service, outcome in result.items():
                print(f"  {service:<10} {outcome}")
    else:
        print(json.dumps(status(stack), indent=2))


if __name__ == "__main__":
    main()
