"""The same person proposed by two units of the ministry: a pure rule over plain rows.

A unit cannot nominate the same person twice in one list (the list is refused, see the Excel
reader); but two units may each propose a person who moved between them during the year, or
who works for one and is claimed by the other. That is for the review officer to settle, not
for the system to refuse: the rule only points at the pairs. People are matched by the key the
intake stores (kind, normalised name, birth date); a person without a birth date, and every
collective (two units may each have a "Phòng Tổ chức cán bộ"), is never matched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Proposal:
    """One active nomination, as the rule needs it."""

    nomination_id: int
    unit_id: int
    nominee_key: str  # "individual|<name>|<birth date>" as flows.intake.nominee_key writes it
    individual: bool


def _matchable(proposal: Proposal) -> bool:
    return proposal.individual and not proposal.nominee_key.endswith("|")


def cross_unit_duplicates(
    proposals: Iterable[Proposal], checking: Iterable[int]
) -> dict[int, list[Proposal]]:
    """For each nomination id in ``checking``: the proposals of OTHER units for the same
    person (empty lists left out), in nomination order."""
    by_key: dict[str, list[Proposal]] = defaultdict(list)
    for proposal in proposals:
        if _matchable(proposal):
            by_key[proposal.nominee_key].append(proposal)
    by_id = {p.nomination_id: p for group in by_key.values() for p in group}
    found: dict[int, list[Proposal]] = {}
    for nomination_id in checking:
        mine = by_id.get(nomination_id)
        if mine is None:
            continue
        others = sorted(
            (p for p in by_key[mine.nominee_key] if p.unit_id != mine.unit_id),
            key=lambda p: p.nomination_id,
        )
        if others:
            found[nomination_id] = others
    return found
