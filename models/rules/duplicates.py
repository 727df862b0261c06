"""The same person proposed by two units of the ministry: a pure rule over plain rows.

A unit cannot nominate the same person twice in one list (the list is refused, see the Excel
reader); but two units may each propose a person who moved between them during the year, or
who works for one and is claimed by the other. That is for the review officer to settle, not
for the system to refuse: the rule only points at the pairs. People are matched by the key the
intake stores (``models.rules.identity.nominee_identity``: kind, normalised name, birth date); a
person without a birth date, and every collective (two units may each have a "Phòng Tổ chức cán
bộ"), is never matched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from models.rules.identity import canonical_identity, identity_parts, nominee_identity


@dataclass(frozen=True)
class Proposal:
    """One active nomination, as the rule needs it."""

    nomination_id: int
    unit_id: int
    nominee_key: str  # nominee_identity(kind, full_name, birth_date), as intake stores it
    individual: bool

    @classmethod
    def of(
        cls,
        nomination_id: int,
        unit_id: int,
        kind: str,
        full_name: str,
        birth_date: date | None,
    ) -> Proposal:
        """A proposal from the nominee's own fields, keyed exactly as intake keys them."""
        return cls(
            nomination_id,
            unit_id,
            nominee_identity(kind, full_name, birth_date),
            str(kind) == "individual",
        )


def _match_key(proposal: Proposal) -> str | None:
    """The key the proposal is matched by, or None when it is never matched: a collective, a
    person without a birth date, or a malformed stored key (pointed at by nobody rather than
    stopping the whole review round)."""
    if not proposal.individual:
        return None
    try:
        if identity_parts(proposal.nominee_key).born == "":
            return None
        # Normalised again so that a key stored by anything but intake (or spelt in another
        # Unicode form) still meets its twin; for intake's own keys this changes nothing.
        return canonical_identity(proposal.nominee_key)
    except ValueError:
        return None


def cross_unit_duplicates(
    proposals: Iterable[Proposal], checking: Iterable[int]
) -> dict[int, list[Proposal]]:
    """For each nomination id in ``checking``: the proposals of OTHER units for the same
    person (empty lists left out), in nomination order."""
    by_key: dict[str, list[Proposal]] = defaultdict(list)
    key_of: dict[int, str] = {}
    for proposal in proposals:
        key = _match_key(proposal)
        if key is not None:
            by_key[key].append(proposal)
            key_of[proposal.nomination_id] = key
    by_id = {p.nomination_id: p for group in by_key.values() for p in group}
    found: dict[int, list[Proposal]] = {}
    for nomination_id in checking:
        mine = by_id.get(nomination_id)
        if mine is None:
            continue
        others = sorted(
            (p for p in by_key[key_of[nomination_id]] if p.unit_id != mine.unit_id),
            key=lambda p: p.nomination_id,
        )
        if others:
            found[nomination_id] = others
    return found
