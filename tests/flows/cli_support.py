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
