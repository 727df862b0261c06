"""Who a nominee is: one key for the same person or collective however the name is typed."""

from __future__ import annotations

import unicodedata
from datetime import date


def nominee_identity(kind: str, full_name: str, birth_date: date | None) -> str:
    """``kind|name|birth date`` with the name in NFC, case-folded, spaces collapsed: a list
    saved on a Mac (decomposed "Nguyễn"), a name in capitals or with a double space is the
    same nominee, so a resubmitted row updates its dossier instead of adding one."""
    name = " ".join(unicodedata.normalize("NFC", full_name).casefold().split())
    born = birth_date.isoformat() if birth_date else ""
    return f"{kind}|{name}|{born}"
