"""Imports point down only: models → documents, notifications → services → flows → cli, deploy.

Read from the source (every ``import``, at module level or inside a function), so a lazy import
that reaches up a layer fails here as surely as a module-level one.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What each package may import of ours (itself included).
ALLOWED = {
    "models": {"models"},
    "documents": {"documents", "models"},
    "notifications": {"notifications", "models"},
    "services": {"services", "documents", "notifications", "models"},
    "flows": {"flows", "services", "documents", "notifications", "models"},
    # The unit portal is a shell over services beside flows: it never imports a flow.
    "portal": {"portal", "services", "documents", "notifications", "models"},
    "cli": {"cli", "flows", "portal", "services", "documents", "notifications", "models"},
}
OURS = set(ALLOWED) | {"deploy", "tests", "portal"}


def _imported_packages(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & OURS


def test_every_package_imports_only_the_layers_below_it() -> None:
    wrong = []
    for package, allowed in ALLOWED.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for reached in sorted(_imported_packages(path) - allowed):
                wrong.append(f"{path.relative_to(ROOT)} imports {reached}")
    assert wrong == []
