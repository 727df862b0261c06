"""Refusals an operator or a unit can act on: a stable code, its parameters, and the reason in
Vietnamese and in English, so a page can show a table, the CLI one line, and tests the code."""

from __future__ import annotations

from typing import Any

from documents.text import clean_text


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


def required_text(value: str, field: str, label_vi: str, label_en: str, max_length: int) -> str:
    """What a person typed into a form field, on one line (``documents.text.clean_text``: NFC,
    no invisible characters, single spaces); refused naming the field when it is empty or
    longer than ``max_length`` characters."""
    cleaned = clean_text(value or "")
    if not cleaned:
        raise OperatorError(
            "field_required", f"Xin nhập {label_vi}.", f"Please enter {label_en}.", field=field
        )
    if len(cleaned) > max_length:
        raise OperatorError(
            "field_too_long",
            f"{label_vi.capitalize()} dài quá {max_length} ký tự.",
            f"The {label_en} is over {max_length} characters.",
            field=field,
        )
    return cleaned
