"""The house shows the architecture: the service layer imports nothing of Prefect, so a web
request, the CLI and a flow can all call it without starting a flow run."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import services

ROOT = Path(__file__).resolve().parents[2]


def _imports_prefect(modules: list[str]) -> list[str]:
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print('\\n'.join(sorted(m for m in sys.modules if m.split('.')[0] == 'prefect')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return done.stdout.split()


def test_no_service_module_imports_prefect() -> None:
    names = [f"services.{m.name}" for m in pkgutil.iter_modules(services.__path__)]
    assert "services.intake" in names and "services.units" in names
    assert _imports_prefect(["services", *names]) == []


def test_the_documents_and_the_domain_import_no_prefect_either() -> None:
    assert _imports_prefect(["documents.nomination_list", "models.rules.tally", "models.db"]) == []
