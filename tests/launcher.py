"""The installed ``tonvinh`` command as the tests run it: one process per command, started
without paying for its imports each time.

Each command is a process of its own, as when an operator types it: its own environment,
working directory, umask, standard streams, exit code and exit handlers. What a test worker
saves is the import: ``import cli`` is ~1.5 s of the ~1.9 s of CPU a short command costs, and
the suite runs about a hundred commands on two cores. A launcher process imports ``cli`` once
and forks a child for each command (``run``); the child sets the command's environment and
arguments and calls the Typer app, and leaves through ``SystemExit`` as the real script does.

What is fixed at import is fixed per launcher: the help texts' language (``TONVINH_LANG``) and
the console's size and colours (rich reads them when ``cli.common`` makes its consoles). So a
worker keeps one launcher for each combination of those variables that its tests ask for.
The launcher has no thread and no open connection when it forks (it checks the first).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import locale
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

TONVINH = str(Path(sys.executable).with_name("tonvinh"))
ROOT = Path(__file__).resolve().parents[1]
# Read while ``cli`` is imported (see the module's docstring), so a launcher serves one value.
IMPORT_TIME_VARIABLES = ("TONVINH_LANG", "COLUMNS", "LINES", "TERM", "NO_COLOR", "FORCE_COLOR")


class _Launcher:
    """One launcher process and the pipe pair to it (requests in, replies out; JSON lines)."""

    def __init__(self, environment: Mapping[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.launcher"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
            cwd=ROOT,
            env=dict(environment),
        )
        self.pending = b""
        if self._reply(timeout=180) != {"ready": True}:
            raise RuntimeError("tests.launcher did not start")

    def _reply(self, timeout: float | None) -> dict[str, Any] | None:
        """The launcher's next line, or None when ``timeout`` seconds pass first."""
        assert self.process.stdout is not None
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self.pending:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self.process.stdout], [], [], left)[0]:
                return None
            chunk = os.read(self.process.stdout.fileno(), 65536)
            if not chunk:
                raise RuntimeError(f"tests.launcher ended ({self.process.wait()})")
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        reply: dict[str, Any] = json.loads(line)
        return reply

    def run(
        self,
        args: Sequence[str],
        environment: Mapping[str, str],
        cwd: str,
        umask: int,
        timeout: float,
    ) -> subprocess.CompletedProcess[str]:
        assert self.process.stdin is not None
        with tempfile.TemporaryDirectory(prefix="tonvinh-command-") as folder:
            out, err = Path(folder, "stdout"), Path(folder, "stderr")
            out.touch()
            err.touch()
            request = {
                "args": list(args),
                "env": dict(environment),
                "cwd": cwd,
                "umask": umask,
                "stdout": str(out),
                "stderr": str(err),
            }
            data = memoryview(json.dumps(request).encode() + b"\n")
            while data:  # a raw pipe may take part of a long request at a time
                data = data[os.write(self.process.stdin.fileno(), data) :]
            started = self._reply(timeout=30)
            if started is None:
                raise RuntimeError("tests.launcher did not fork the command")
            finished = self._reply(timeout)
            if finished is None:
                with contextlib.suppress(ProcessLookupError):  # it may end meanwhile
                    os.killpg(started["pid"], signal.SIGKILL)  # it and what it started
                self._reply(timeout=30)
            # Decoded as subprocess.run(text=True) does: output that is not valid text fails.
            encoding = locale.getpreferredencoding(False)
            stdout = out.read_text(encoding=encoding)
            stderr = err.read_text(encoding=encoding)
        command = [TONVINH, *args]
        if finished is None:
            raise subprocess.TimeoutExpired(command, timeout, stdout, stderr)
        return subprocess.CompletedProcess(command, finished["returncode"], stdout, stderr)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()  # the launcher ends at the end of its requests
        self.process.wait(timeout=30)


_launchers: dict[tuple[str | None, ...], _Launcher] = {}
_lock = threading.Lock()


def run(
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    cwd: str | Path | None = None,
    umask: int | None = None,
) -> subprocess.CompletedProcess[str]:
    """``subprocess.run([tonvinh, *args], capture_output=True, text=True, ...)``: ``env`` is
    the command's whole environment (this process's by default), its umask this process's
    unless given, and its standard input empty."""
    environment = dict(os.environ if env is None else env)
    if umask is None:
        umask = os.umask(0o077)  # reading the umask means setting it
        os.umask(umask)
    key = tuple(environment.get(name) for name in IMPORT_TIME_VARIABLES)
    with _lock:  # one command at a time per launcher: it answers in order
        launcher = _launchers.get(key)
        if launcher is None or launcher.process.poll() is not None:
            launcher = _launchers[key] = _Launcher(environment)
        return launcher.run(args, environment, str(cwd or os.getcwd()), umask, timeout)


def _close_all() -> None:
    """End this worker's launchers (one whose worker died ends too, at the end of its input)."""
    with _lock:
        while _launchers:
            _launchers.popitem()[1].close()


atexit.register(_close_all)


# The launcher's side.


def _command(request: dict[str, Any]) -> None:
    """In the forked child: become the command the request describes, then run it. The
    ``SystemExit`` Typer raises (or any exception) ends this process as it ends the script."""
    os.setsid()  # a timeout kills the command and whatever it started, not the launcher
    os.chdir(request["cwd"])
    os.umask(request["umask"])
    os.environ.clear()
    os.environ.update(request["env"])
    for fd, path, flags in (
        (0, os.devnull, os.O_RDONLY),
        (1, request["stdout"], os.O_WRONLY),
        (2, request["stderr"], os.O_WRONLY),
    ):
        opened = os.open(path, flags)
        os.dup2(opened, fd)
        os.close(opened)
    sys.argv = [TONVINH, *request["args"]]
    from cli import app
    from models.settings import get_settings

    get_settings.cache_clear()  # read at import (the help texts' language) with our environment
    app(prog_name="tonvinh")  # as the installed script names itself in usage lines


def _serve() -> None:
    import cli  # noqa: F401  (the import every command would otherwise pay for)

    def say(reply: dict[str, Any]) -> None:
        os.write(1, json.dumps(reply).encode() + b"\n")

    say({"ready": True})
    for line in sys.stdin.buffer:
        if threading.active_count() != 1:  # a fork copies only the forking thread
            raise RuntimeError("tests.launcher must not run threads")
        pid = os.fork()
        if pid == 0:
            _command(json.loads(line))
            raise SystemExit(0)  # an app that returned instead of exiting
        say({"pid": pid})
        say({"returncode": os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])})


if __name__ == "__main__":
    _serve()
