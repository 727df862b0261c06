"""Who a nominee is, whatever the spelling form, case and spacing of the name as typed.

Lists arrive from Windows, macOS and phones: the same "Nguyễn Thị Hương" may come precomposed
(NFC) from one unit and decomposed (NFD, "e" + combining marks) from another, in capitals, or with
a double space. They look identical on screen and must be one person to the system: a resubmitted
row keeps its nomination (and its audit trail), and two units proposing the same person are
pointed out to the reviewer. This module is the one place that decides what "the same" means.

The key's format, ``"<kind>|<name>|<birth date>"`` (e.g. ``"individual|nguyễn thị hương|
1985-05-12"``, ``"collective|phòng tổ chức cán bộ|"``), is stored in ``nomination.nominee_key``;
changing it would make every stored nomination look like a new nominee on resubmission, so it is
kept byte for byte as intake first wrote it.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import NamedTuple

KINDS = ("individual", "collective")
SEPARATOR = "|"


def normalise_text(text: str) -> str:
    """NFC, casefolded, single spaces, stripped: the form two spellings of one name share.

    ``str.split()`` without arguments also splits on non-breaking and other Unicode spaces, so a
    name pasted from a web page matches the one typed by hand.
    """
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def nominee_identity(kind: str, full_name: str, birth_date: date | None) -> str:
    """The key of a nominee: ``"<kind>|<normalised name>|<YYYY-MM-DD or empty>"``.

    ``kind`` is ``"individual"`` or ``"collective"`` (a ``NomineeKind`` works too); anything else
    is refused, because a key with a misspelt kind would silently never match its own nominee.
    """
    kind_text = str(kind)
    if kind_text not in KINDS:
        raise ValueError(
            f"Loại đối tượng không hợp lệ: {kind_text!r} (cá nhân/tập thể). / "
            f"Invalid nominee kind {kind_text!r} (individual or collective)."
        )
    # A datetime is a date too, but its isoformat() carries a time and would never match.
    day = birth_date.date() if isinstance(birth_date, datetime) else birth_date
    born = day.isoformat() if day is not None else ""
    return SEPARATOR.join((kind_text, normalise_text(full_name), born))


class IdentityParts(NamedTuple):
    kind: str
    name: str  # normalised
    born: str  # "YYYY-MM-DD", or "" when the list gave no birth date


def identity_parts(key: str) -> IdentityParts:
    """A stored key split back into its parts (the name may itself hold a "|", so the kind is
    split off from the left and the birth date from the right)."""
    kind, separator, rest = key.partition(SEPARATOR)
    name, separator_2, born = rest.rpartition(SEPARATOR)
    if not separator or not separator_2:
        raise ValueError(f"Not a nominee key: {key!r}")
    return IdentityParts(kind, name, born)


def canonical_identity(key: str) -> str:
    """A stored key normalised again: unchanged for every key intake wrote, and one key for keys
    written elsewhere (a script, a test, an older import) from differently spelt names."""
    parts = identity_parts(key)
    return SEPARATOR.join((parts.kind, normalise_text(parts.name), parts.born))
