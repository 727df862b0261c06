"""Operator-facing text: Vietnamese first, English when TONVINH_LANG=en."""

from __future__ import annotations

import os

from pydantic import ValidationError

from models.settings import get_settings


def t(vi: str, en: str) -> str:
    try:
        lang = get_settings().lang
    except ValidationError:
        # A bad TONVINH_ variable is the command's to report, in one line (cli.common); the
        # help texts, read at import, must not fail on it first.
        lang = os.environ.get("TONVINH_LANG", "vi")
    return en if lang == "en" else vi
