"""Operator-facing text: Vietnamese first, English when TONVINH_LANG=en."""

from __future__ import annotations

from models.settings import get_settings


def t(vi: str, en: str) -> str:
    return en if get_settings().lang == "en" else vi
