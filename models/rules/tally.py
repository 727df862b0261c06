"""The council's tally: quorum, thresholds over the whole membership, quotas and tie-breaks.

All shares are compared as exact fractions (10 of 15 members meets a 2/3 quorum; 12 of 15 votes
is exactly 80%). Thresholds count votes in favour against ALL members of the council, not against
those present: absent members vote in writing and count like the others.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class CouncilSeat:
    member_id: int
    is_chair: bool


@dataclass(frozen=True)
class Vote:
    nomination_id: int
    member_id: int
    in_favour: bool
    in_writing: bool = False  # absent members vote in writing; such votes count fully


@dataclass(frozen=True)
class Candidate:
    nomination_id: int
    award_code: str
    threshold: float  # share of all members that must vote in favour
    tie_break_preferred: bool  # a woman, or a collective with >= 70% women


@dataclass(frozen=True)
class CandidateResult:
    nomination_id: int
    award_code: str
    votes_in_favour: int
    members_total: int
    threshold: float
    above_threshold: bool
    selected: bool
    rank: int | None  # 1-based among the above-threshold candidates of the same award
    note: str  # Vietnamese explanation for the minutes


@dataclass(frozen=True)
class TallyOutcome:
    quorum_met: bool
    members_total: int
    members_voting: int
    quorum: float
    results: list[CandidateResult]
    unresolved_ties: list[int]  # nomination ids still tied at a quota's cut line


def _fraction(share: float) -> Fraction:
    """The exact share a configured float stands for (0.9 -> 9/10, 2/3 float -> 2/3)."""
    return Fraction(share).limit_denominator(10_000)


def _percent(share: Fraction) -> str:
    """Vietnamese percentage: 4/5 -> "80%", 12/15 -> "80%", 13/15 -> "86,7%"."""
    value = share * 100
    if value.denominator == 1:
        return f"{value.numerator}%"
    return f"{float(value):.1f}%".replace(".", ",")


def _percent_1(share: Fraction) -> str:
    """Always one decimal: 12/15 -> "80,0%"."""
    return f"{float(share * 100):.1f}%".replace(".", ",")


def _validate(
    seats: Sequence[CouncilSeat], votes: Sequence[Vote], candidates: Sequence[Candidate]
) -> None:
    member_ids = [s.member_id for s in seats]
    if not member_ids:
        raise ValueError("Hội đồng không có thành viên nào. / The council has no members.")
    if len(set(member_ids)) != len(member_ids):
        raise ValueError("Thành viên Hội đồng bị trùng. / Duplicate council members.")
    if sum(s.is_chair for s in seats) > 1:
        raise ValueError("Hội đồng có nhiều hơn một Chủ tịch. / More than one council chair.")
    nominations = [c.nomination_id for c in candidates]
    if len(set(nominations)) != len(nominations):
        raise ValueError("Đề nghị bị trùng trong danh sách bỏ phiếu. / Duplicate candidates.")
    for c in candidates:
        if not 0 < c.threshold <= 1:
            raise ValueError(
                f"Ngưỡng phiếu {c.threshold} của đề nghị {c.nomination_id} phải trong (0, 1]. / "
                f"Threshold {c.threshold} of nomination {c.nomination_id} must be within (0, 1]."
            )
    known_members = set(member_ids)
    known_nominations = set(nominations)
    seen: set[tuple[int, int]] = set()
    for v in votes:
        if v.member_id not in known_members:
            raise ValueError(
                f"Phiếu của người không phải thành viên Hội đồng (mã {v.member_id}). / "
                f"Vote by a non-member (id {v.member_id})."
            )
        if v.nomination_id not in known_nominations:
            raise ValueError(
                f"Phiếu cho đề nghị không có trong danh sách (mã {v.nomination_id}). / "
                f"Vote for an unknown nomination (id {v.nomination_id})."
            )
        key = (v.nomination_id, v.member_id)
        if key in seen:
            raise ValueError(
                f"Thành viên {v.member_id} bỏ phiếu hai lần cho đề nghị {v.nomination_id}. / "
                f"Member {v.member_id} voted twice on nomination {v.nomination_id}."
            )
        seen.add(key)


_PREFERRED = "ưu tiên nữ, tập thể có từ 70% nữ"
_CHAIR = "Chủ tịch Hội đồng quyết định khi bằng phiếu"


def _break_tie(
    tied: list[Candidate],
    slots: int,
    over: str,
    chair_for: set[int],
    selected: dict[int, bool],
    extra: dict[int, str],
    unresolved: list[int],
) -> None:
    """Fill ``slots`` among candidates tied at a quota's cut line, one tie-break after the other.

    Invariant: more candidates remain than slots, and at least one slot is left.
    """
    stages: tuple[tuple[Callable[[Candidate], bool], str, str], ...] = (
        (
            lambda c: c.tie_break_preferred,
            f"Bằng phiếu, được {_PREFERRED}",
            f"Bằng phiếu, không thuộc diện {_PREFERRED}; {over}",
        ),
        (
            lambda c: c.nomination_id in chair_for,
            f"Bằng phiếu: {_CHAIR} (Chủ tịch đồng ý)",
            f"Bằng phiếu: {_CHAIR} (Chủ tịch không đồng ý); {over}",
        ),
    )
    remaining = list(tied)
    for wins, won, lost in stages:
        winners = [c for c in remaining if wins(c)]
        losers = [c for c in remaining if not wins(c)]
        if not winners or not losers:
            continue  # this tie-break does not tell them apart
        if len(winners) <= slots:
            for c in winners:
                selected[c.nomination_id] = True
                extra[c.nomination_id] = won
            slots -= len(winners)
            remaining = losers
        else:
            for c in losers:
                extra[c.nomination_id] = lost
            remaining = winners
        if slots == 0:
            for c in remaining:
                extra[c.nomination_id] = lost
            return
    for c in remaining:
        unresolved.append(c.nomination_id)
        extra[c.nomination_id] = (
            "Bằng phiếu tại ngưỡng chỉ tiêu, chưa phân định được: chờ Chủ tịch Hội đồng quyết định"
        )


def tally_council(
    seats: Sequence[CouncilSeat],
    votes: Sequence[Vote],
    candidates: Sequence[Candidate],
    quotas: Mapping[str, int],
    quorum: float = 2 / 3,
) -> TallyOutcome:
    """Count the council's ballot and select within quotas.

    - quorum: distinct members who cast any vote (in person or in writing) over all members;
      without quorum nothing is selected.
    - a candidate passes when votes in favour / all members >= its threshold.
    - per award, if more pass than the quota (absent from ``quotas`` = unlimited), the most votes
      win; at the cut line a tie goes first to the preferred (woman, or collective with >= 70%
      women), then to the candidate the chair voted for; what is still tied is left unselected
      and listed in ``unresolved_ties`` for the council to settle.

    Results keep the order of ``candidates``.
    """
    _validate(seats, votes, candidates)
    members_total = len(seats)
    chair_id = next((s.member_id for s in seats if s.is_chair), None)
    members_voting = len({v.member_id for v in votes})
    needed = _fraction(quorum)
    quorum_met = Fraction(members_voting) >= needed * members_total

    in_favour: dict[int, int] = defaultdict(int)
    chair_for: set[int] = set()
    written: dict[int, int] = defaultdict(int)
    for v in votes:
        if v.in_favour:
            in_favour[v.nomination_id] += 1
            if v.member_id == chair_id:
                chair_for.add(v.nomination_id)
        if v.in_writing:
            written[v.nomination_id] += 1

    passed: dict[int, bool] = {}
    basis: dict[int, str] = {}
    for c in candidates:
        share = Fraction(in_favour[c.nomination_id], members_total)
        threshold = _fraction(c.threshold)
        passed[c.nomination_id] = share >= threshold
        sign = "≥" if passed[c.nomination_id] else "<"
        verdict = "Đạt" if passed[c.nomination_id] else "Không đạt"
        text = (
            f"{verdict} {in_favour[c.nomination_id]}/{members_total} phiếu "
            f"({_percent_1(share)}) {sign} {_percent(threshold)}"
        )
        if written[c.nomination_id]:
            text += f" (gồm {written[c.nomination_id]} phiếu bằng văn bản)"
        basis[c.nomination_id] = text

    selected: dict[int, bool] = {c.nomination_id: False for c in candidates}
    ranks: dict[int, int | None] = {c.nomination_id: None for c in candidates}
    extra: dict[int, str] = {}
    unresolved: list[int] = []

    by_award: dict[str, list[Candidate]] = defaultdict(list)
    for c in candidates:
        if passed[c.nomination_id]:
            by_award[c.award_code].append(c)

    def key(c: Candidate) -> tuple[int, bool, bool]:
        return (in_favour[c.nomination_id], c.tie_break_preferred, c.nomination_id in chair_for)

    for award_code, group in by_award.items():
        group.sort(key=key, reverse=True)
        # Competition ranking ("1, 2, 2, 4"): 1 + how many rank strictly higher, read off the
        # sorted group in one pass (comparing every pair took hours for 40,000 dossiers).
        previous: tuple[int, bool, bool] | None = None
        rank = 0
        for position, c in enumerate(group, start=1):
            current = key(c)
            if current != previous:
                rank, previous = position, current
            ranks[c.nomination_id] = rank
        quota = quotas.get(award_code)
        if quota is None or len(group) <= quota:
            for c in group:
                selected[c.nomination_id] = True
                if quota is not None:
                    extra[c.nomination_id] = f"Trong chỉ tiêu ({quota})"
            continue
        quota = max(quota, 0)
        over = f"Vượt chỉ tiêu ({quota})"
        cut_votes = in_favour[group[quota - 1].nomination_id] if quota > 0 else None
        tied: list[Candidate] = []
        for c in group:
            votes_c = in_favour[c.nomination_id]
            if cut_votes is not None and votes_c > cut_votes:
                selected[c.nomination_id] = True
                extra[c.nomination_id] = (
                    f"Trong chỉ tiêu ({quota}): xếp thứ {ranks[c.nomination_id]}"
                )
            elif votes_c == cut_votes:
                tied.append(c)
            else:
                extra[c.nomination_id] = f"{over}: xếp thứ {ranks[c.nomination_id]}"
        slots = quota - sum(1 for c in group if selected[c.nomination_id])
        if len(tied) <= slots:
            for c in tied:
                selected[c.nomination_id] = True
                extra[c.nomination_id] = f"Trong chỉ tiêu ({quota})"
        else:
            _break_tie(tied, slots, over, chair_for, selected, extra, unresolved)

    results: list[CandidateResult] = []
    for c in candidates:
        n_id = c.nomination_id
        parts = [basis[n_id]]
        is_selected = selected[n_id] and quorum_met
        if not quorum_met:
            parts.append(
                f"Không chọn: chưa đủ số thành viên tham gia ({members_voting}/{members_total} "
                f"< {_percent(needed)})"
            )
        elif n_id in extra:
            parts.append(extra[n_id])
        results.append(
            CandidateResult(
                nomination_id=n_id,
                award_code=c.award_code,
                votes_in_favour=in_favour[n_id],
                members_total=members_total,
                threshold=c.threshold,
                above_threshold=passed[n_id],
                selected=is_selected,
                rank=ranks[n_id] if quorum_met else None,
                note="; ".join(parts),
            )
        )
    return TallyOutcome(
        quorum_met=quorum_met,
        members_total=members_total,
        members_voting=members_voting,
        quorum=quorum,
        results=results,
        unresolved_ties=sorted(unresolved) if quorum_met else [],
    )
