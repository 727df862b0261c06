"""The operator's command line as the tests run it: the installed ``tonvinh`` in a child
process, as an operator types it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TONVINH = str(Path(sys.executable).with_name("tonvinh"))


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TONVINH, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def on_the_test_server() -> dict[str, str]:
    """The environment that points a child at the session's Prefect server (the
    ``prefect_server`` fixture), as an operator's shell points at ``make up``'s: without a
    server, each child running a flow starts a throwaway one of its own (~15 s of CPU)."""
    from prefect.settings import PREFECT_API_URL

    return {"PREFECT_API_URL": str(PREFECT_API_URL.value())}
