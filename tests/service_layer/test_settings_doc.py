"""docs/settings.md is what ``models.settings_doc`` generates from ``Settings``: every field,
with its default and meaning, and every TONVINH_ variable the code reads."""

from __future__ import annotations

import re
from pathlib import Path

from models.settings import Settings
from models.settings_doc import settings_markdown

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "settings.md"
CODE_DIRS = ("models", "documents", "notifications", "services", "flows", "portal", "cli", "deploy")


def test_the_settings_table_is_generated_from_settings() -> None:
    assert DOC.read_text(encoding="utf-8") == settings_markdown(), (
        "docs/settings.md is stale: run `python -m models.settings_doc > docs/settings.md`"
    )


def test_every_field_is_listed_with_its_default_and_meaning() -> None:
    rows = {
        match.group(1): (match.group(2).strip(), match.group(3).strip())
        for match in re.finditer(r"^\| `(TONVINH_\w+)` \|([^|]*)\|(.*)\|$", DOC.read_text(), re.M)
    }
    for name, field in Settings.model_fields.items():
        variable = f"TONVINH_{name.upper()}"
        assert variable in rows, variable
        default, meaning = rows[variable]
        assert default, variable
        assert field.description and len(meaning) > 10, variable


def test_every_variable_the_code_reads_is_documented() -> None:
    documented = set(re.findall(r"`(TONVINH_\w+)`", DOC.read_text()))
    used: set[str] = set()
    for folder in CODE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            used |= {
                name.rstrip("_") for name in re.findall(r"TONVINH_[A-Z0-9_]+", path.read_text())
            }
    for extra in ("README.md", "deploy/README.md", "Makefile"):
        used |= {
            n.rstrip("_") for n in re.findall(r"TONVINH_[A-Z0-9_]+", (ROOT / extra).read_text())
        }
    # "TONVINH_SCHEDULER_*" in prose names a family, not a variable.
    undocumented = {
        name
        for name in used
        if name not in documented and not any(d.startswith(f"{name}_") for d in documented)
    }
    assert not undocumented, sorted(undocumented)
