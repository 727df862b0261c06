"""Refusals an operator or a unit can act on: a stable code, its parameters, and the reason in
Vietnamese and in English, so a page can show a table, the CLI one line, and tests the code."""

from __future__ import annotations

from typing import Any


class OperatorError(Exception):
    """A request refused before anything changed (or rolled back whole).

    ``code`` is stable and machine-readable (``campaign_not_found``, ``deadline_on_day_off``…);
    ``params`` are the values the reason names; ``vi``/``en`` are the reason itself.
    """

    def __init__(self, code: str, vi: str, en: str, **params: Any) -> None:
        self.code = code
        self.vi = vi
        self.en = en
        self.params = params
        super().__init__(f"{vi} / {en}")

    def text(self, lang: str) -> str:
        """The reason in ``lang`` ("en" or Vietnamese for anything else)."""
        return self.en if lang == "en" else self.vi
