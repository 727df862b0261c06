"""The council's minutes as Word documents, rendered with docxtpl from the templates the
department edits (``documents/templates/*.docx``, first built by ``build_minutes_templates.py``).

The figures are the tally's own (``services.council_close`` builds the context from it); this
module only fills a template and saves it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate

TEMPLATES = Path(__file__).parent / "templates"
VOTE_COUNT_TEMPLATE = TEMPLATES / "bien-ban-kiem-phieu.docx"
COUNCIL_TEMPLATE = TEMPLATES / "bien-ban-hop-hoi-dong.docx"


def render_docx(template: Path, context: Mapping[str, Any], target: Path) -> Path:
    """Fill ``template`` with ``context`` (autoescaped: a name with "&" or "<" stays text) and
    save it at ``target``."""
    document = DocxTemplate(str(template))
    document.render(dict(context), autoescape=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(target))
    return target
