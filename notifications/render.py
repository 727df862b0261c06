"""Render one email (subject, plain text, HTML) from the packaged Jinja2 templates.

Templates live in ``notifications/templates/<lang>/<kind>.{subject,txt,html}.j2``. Vietnamese is
the working language; English is the fallback, used when asked for or when a kind has no
Vietnamese set. Rendering is strict (a missing context key raises) because a letter to a unit
with a blank deadline is worse than no letter at all.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

TEMPLATES_DIR = Path(__file__).parent / "templates"
FALLBACK_LANG = "en"
PARTS = ("subject", "txt", "html")

# C0/C1 controls, DEL and the Unicode line/paragraph separators, with any whitespace around them.
_CONTROL_RUN = re.compile(r"\s*[\x00-\x1f\x7f-\x9f\u2028\u2029]+\s*")


@dataclass(frozen=True)
class RenderedEmail:
    """What an email says; who receives it is the outbox's business."""

    subject: str
    text: str
    html: str


def nfc(value: str) -> str:
    """Vietnamese typed on different keyboards arrives composed or decomposed; store one form."""
    return unicodedata.normalize("NFC", value)


def clean_header(value: str) -> str:
    """One safe header line: NFC, every run of CR/LF/control characters becomes one space.

    A unit name or subject carrying ``\\r\\n`` must never start a new header (injection), and
    Python 3.11 serialises a value with ``\\n\\n`` as a broken header block.
    """
    return _CONTROL_RUN.sub(" ", nfc(value)).strip()


def _autoescape(template_name: str | None) -> bool:
    # Only HTML is escaped; subjects and plain text must keep "&" and "<" as typed.
    return template_name is not None and template_name.endswith(".html.j2")


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The one Jinja2 environment: strict, HTML-only autoescape, blocks without stray newlines."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=_autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Templates ship with the code: no stat() of each file at every render (a tenth of the
        # time of queuing 4,000 nudges); a changed template takes effect at the next start.
        auto_reload=False,
    )


def available_kinds(lang: str = "vi") -> list[str]:
    """Kinds with a complete template set in ``lang`` (helper files start with ``_``)."""
    folder = TEMPLATES_DIR / lang
    kinds = {p.name.split(".")[0] for p in folder.glob("*.j2") if not p.name.startswith("_")}
    return sorted(k for k in kinds if all((folder / f"{k}.{part}.j2").is_file() for part in PARTS))


@lru_cache(maxsize=256)
def _language_for(kind: str, lang: str, templates: Path) -> str:
    """The first language, of ``lang`` then English, holding all three parts of ``kind``.

    A set is never mixed across languages: a Vietnamese subject over an English body would
    look like a mistake to the unit.
    """
    for candidate in dict.fromkeys((lang, FALLBACK_LANG)):
        folder = templates / candidate
        if all((folder / f"{kind}.{part}.j2").is_file() for part in PARTS):
            return candidate
    raise TemplateNotFound(f"{lang}/{kind}.*.j2 (and no {FALLBACK_LANG} fallback)")


def render_email(kind: str, context: Mapping[str, Any], lang: str = "vi") -> RenderedEmail:
    """Render ``kind`` in ``lang`` (falling back to English); every output is NFC.

    Raises ``jinja2.UndefinedError`` when the context lacks a key the template names and
    ``jinja2.TemplateNotFound`` for an unknown kind.
    """
    if not re.fullmatch(r"[a-z0-9_]+", kind) or not re.fullmatch(r"[a-z]{2,8}", lang):
        # Names become file paths: refuse anything that could climb out of the folder.
        raise TemplateNotFound(f"{lang}/{kind}")
    chosen = _language_for(kind, lang, TEMPLATES_DIR)  # cached per folder
    env = environment()
    values = dict(context)
    subject, text, html = (
        env.get_template(f"{chosen}/{kind}.{part}.j2").render(values) for part in PARTS
    )
    return RenderedEmail(subject=clean_header(subject), text=nfc(text), html=nfc(html))
