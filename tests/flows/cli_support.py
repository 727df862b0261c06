"""The operator's command line as the tests run it: ``tonvinh`` in a process of its own, as an
operator types it (``tests/launcher.py``)."""

from __future__ import annotations

import os
import subprocess

from tests import launcher


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return launcher.run(*args, env={**os.environ, **(env or {})})


def on_the_test_server() -> dict[str, str]:
    """The environment that points a child at the session's Prefect server (the
    ``prefect_server`` fixture), as an operator's shell points at ``make up``'s: without a
    server, each child running a flow starts a throwaway one of its own (~15 s of CPU)."""
    from prefect.settings import PREFECT_API_URL

    return {"PREFECT_API_URL": str(PREFECT_API_URL.value())}
