"""The council's tally: quorum, thresholds over the whole membership, quotas and tie-breaks.

All shares are compared as exact fractions (10 of 15 members meets a 2/3 quorum; 12 of 15 votes
is exactly 80%). Thresholds count votes in favour against ALL members of the council, not against
those present: absent members vote in writing and count like the others.

The council decides on each award a nomination proposes: a dossier proposing a title (e.g. Chiến
sĩ thi đua cơ sở) and a form (e.g. Bằng khen của Bộ trưởng) is two candidates, each judged by its
own award's threshold and ranked within its own award's quota, so the title may pass while the
form does not. A vote names the award it is on, or none when the council votes once on the whole
proposal (then it counts for each award the nomination proposes). ``TallyOutcome.by_nomination``
gathers the results per nomination and says which awards passed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from models.rules.rulepack import RulePack

# A candidate is one award proposed for one nomination.
CandidateKey = tuple[int, str]  # (nomination_id, award_code)


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
    # The award voted on; None when the vote is on the whole proposal, so on each of its awards.
    award_code: str | None = None


@dataclass(frozen=True)
class Candidate:
    nomination_id: int
    award_code: str
    threshold: float  # share of all members that must vote in favour
    # A woman, or a collective with enough women (see RulePack.prefers_in_tie).
    tie_break_preferred: bool
    # (nomination_id, award_code), built once: the tally looks it up millions of times.
    key: CandidateKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", (self.nomination_id, self.award_code))


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

    @property
    def key(self) -> CandidateKey:
        return (self.nomination_id, self.award_code)


@dataclass(frozen=True)
class NominationOutcome:
    """What the council decided on one nomination: a result per award it proposes."""

    nomination_id: int
    results: tuple[CandidateResult, ...]  # in the order of the candidates (title, then form)
    unresolved: tuple[str, ...]  # award codes still tied at their quota's cut line

    @property
    def awarded(self) -> tuple[str, ...]:
        """The award codes the council passed for this nomination (none, one or both)."""
        return tuple(r.award_code for r in self.results if r.selected)

    @property
    def passed(self) -> bool:
        """At least one award passed: the nomination goes on to leadership for that award."""
        return any(r.selected for r in self.results)

    @property
    def decided(self) -> bool:
        """No award of the nomination is waiting for the chair to break a tie."""
        return not self.unresolved

    def result_for(self, award_code: str) -> CandidateResult | None:
        return next((r for r in self.results if r.award_code == award_code), None)

    def note(self, award_names: Mapping[str, str] | None = None) -> str:
        """One line for the minutes or the audit trail: each award with its own verdict."""
        names = award_names or {}
        return "; ".join(f"{names.get(r.award_code, r.award_code)}: {r.note}" for r in self.results)


@dataclass(frozen=True)
class TallyOutcome:
    quorum_met: bool
    members_total: int
    members_voting: int
    quorum: float
    results: list[CandidateResult]  # one per (nomination, award), in the order of the candidates
    unresolved_ties: list[int]  # nomination ids with an award still tied at a quota's cut line
    unresolved: list[CandidateKey] = field(default_factory=list)  # the (nomination, award) pairs

    def by_nomination(self) -> list[NominationOutcome]:
        """The results gathered per nomination, in the order nominations first appear."""
        grouped: dict[int, list[CandidateResult]] = {}
        for result in self.results:
            grouped.setdefault(result.nomination_id, []).append(result)
        tied: dict[int, list[str]] = defaultdict(list)
        for nomination_id, award_code in self.unresolved:
            tied[nomination_id].append(award_code)
        return [
            NominationOutcome(nomination_id, tuple(results), tuple(tied.get(nomination_id, ())))
            for nomination_id, results in grouped.items()
        ]


# ----------------------------------------------------------- candidates from the rule pack


@dataclass(frozen=True)
class CouncilNominee:
    """A nomination before the council, as the tally needs it."""

    nomination_id: int
    proposed_title: str | None  # award codes (or names as the list typed them)
    proposed_form: str | None
    gender: str | None = None  # "Nữ" for a woman
    women_share: float | None = None  # collectives: share of women, 0..1


def council_candidates(nominees: Iterable[CouncilNominee], pack: RulePack) -> list[Candidate]:
    """One candidate per award each nomination proposes (its title first, then its form), with
    that award's council threshold and the pack's tie-break preference.

    A nomination proposing neither is left out (review does not pass such a dossier); an award
    the pack does not know raises ValueError naming it.
    """
    candidates: list[Candidate] = []
    for nominee in nominees:
        preferred = pack.prefers_in_tie(nominee.gender, nominee.women_share)
        seen: set[str] = set()
        for proposed in (nominee.proposed_title, nominee.proposed_form):
            if not proposed or not proposed.strip():
                continue
            award = pack.award_for(proposed.strip())
            if award.code in seen:
                continue
            seen.add(award.code)
            candidates.append(
                Candidate(nominee.nomination_id, award.code, award.council_threshold, preferred)
            )
    return candidates


def tally_nominations(
    seats: Sequence[CouncilSeat],
    votes: Sequence[Vote],
    nominees: Iterable[CouncilNominee],
    quotas: Mapping[str, int],
    pack: RulePack,
    recused: Mapping[int, int] | None = None,
) -> TallyOutcome:
    """The council's tally under ``pack``: its quorum, each award's threshold, its tie-break;
    ``recused`` (nomination id → members not voting on it) enters the thresholds as the pack's
    recusal rule says."""
    return tally_council(
        seats,
        votes,
        council_candidates(nominees, pack),
        quotas,
        quorum=pack.quorum,
        tie_break_rule_vi=pack.tie_break_rule_vi(),
        recused=recused if pack.recused_excluded_from_denominator else None,
    )


# ---------------------------------------------------------------------------------- the tally


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
    """Refuse an impossible ballot (a stranger's vote, a double vote, a vote on an award the
    nomination does not propose, a duplicate candidate, a threshold outside (0, 1])."""
    member_ids = [s.member_id for s in seats]
    if not member_ids:
        raise ValueError("Hội đồng không có thành viên nào. / The council has no members.")
    if len(set(member_ids)) != len(member_ids):
        raise ValueError("Thành viên Hội đồng bị trùng. / Duplicate council members.")
    if sum(s.is_chair for s in seats) > 1:
        raise ValueError("Hội đồng có nhiều hơn một Chủ tịch. / More than one council chair.")
    keys = [c.key for c in candidates]
    if len(set(keys)) != len(keys):
        raise ValueError("Đề nghị bị trùng trong danh sách bỏ phiếu. / Duplicate candidates.")
    awards_of: dict[int, tuple[str, ...]] = {}
    for c in candidates:
        awards_of[c.nomination_id] = (*awards_of.get(c.nomination_id, ()), c.award_code)
        if not 0 < c.threshold <= 1:
            raise ValueError(
                f"Ngưỡng phiếu {c.threshold} của đề nghị {c.nomination_id} phải trong (0, 1]. / "
                f"Threshold {c.threshold} of nomination {c.nomination_id} must be within (0, 1]."
            )
    known_members = set(member_ids)
    # Seen (nomination, member) pairs of votes on the whole proposal, and (nomination, award,
    # member) of votes on one award; a vote on the whole proposal covers each award, so with a
    # vote on one of them it would count twice and is refused like any double vote. (Pairs, not
    # a triple per award, for the common whole-proposal vote: a national council casts ~750,000.)
    whole: set[tuple[int, int]] = set()
    on_award: set[tuple[int, str, int]] = set()
    some_award: set[tuple[int, int]] = set()
    for v in votes:
        if v.member_id not in known_members:
            raise ValueError(
                f"Phiếu của người không phải thành viên Hội đồng (mã {v.member_id}). / "
                f"Vote by a non-member (id {v.member_id})."
            )
        awards = awards_of.get(v.nomination_id)
        if awards is None:
            raise ValueError(
                f"Phiếu cho đề nghị không có trong danh sách (mã {v.nomination_id}). / "
                f"Vote for an unknown nomination (id {v.nomination_id})."
            )
        pair = (v.nomination_id, v.member_id)
        if v.award_code is None:
            twice = pair in whole or pair in some_award
            whole.add(pair)
        else:
            if v.award_code not in awards:
                raise ValueError(
                    f"Phiếu cho «{v.award_code}» nhưng đề nghị {v.nomination_id} không đề nghị "
                    f"danh hiệu/hình thức đó. / Vote on award {v.award_code}, which nomination "
                    f"{v.nomination_id} does not propose."
                )
            triple = (v.nomination_id, v.award_code, v.member_id)
            twice = triple in on_award or pair in whole
            on_award.add(triple)
            some_award.add(pair)
        if twice:
            raise ValueError(
                f"Thành viên {v.member_id} bỏ phiếu hai lần cho đề nghị {v.nomination_id}. / "
                f"Member {v.member_id} voted twice on nomination {v.nomination_id}."
            )


_PREFERRED = "ưu tiên nữ, tập thể có tỷ lệ nữ theo quy định"
_CHAIR = "Chủ tịch Hội đồng quyết định khi bằng phiếu"


def _break_tie(
    tied: list[Candidate],
    slots: int,
    over: str,
    preferred_rule: str,
    chair_for: set[CandidateKey],
    selected: dict[CandidateKey, bool],
    extra: dict[CandidateKey, str],
    unresolved: list[CandidateKey],
) -> None:
    """Fill ``slots`` among candidates tied at a quota's cut line, one tie-break after the other.

    Invariant: more candidates remain than slots, and at least one slot is left.
    """
    stages: tuple[tuple[Callable[[Candidate], bool], str, str], ...] = (
        (
            lambda c: c.tie_break_preferred,
            f"Bằng phiếu, được {preferred_rule}",
            f"Bằng phiếu, không thuộc diện {preferred_rule}; {over}",
        ),
        (
            lambda c: c.key in chair_for,
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
                selected[c.key] = True
                extra[c.key] = won
            slots -= len(winners)
            remaining = losers
        else:
            for c in losers:
                extra[c.key] = lost
            remaining = winners
        if slots == 0:
            for c in remaining:
                extra[c.key] = lost
            return
    for c in remaining:
        unresolved.append(c.key)
        extra[c.key] = (
            "Bằng phiếu tại ngưỡng chỉ tiêu, chưa phân định được: chờ Chủ tịch Hội đồng quyết định"
        )


def tally_council(
    seats: Sequence[CouncilSeat],
    votes: Sequence[Vote],
    candidates: Sequence[Candidate],
    quotas: Mapping[str, int],
    quorum: float = 2 / 3,
    tie_break_rule_vi: str = _PREFERRED,
    recused: Mapping[int, int] | None = None,
) -> TallyOutcome:
    """Count the council's ballot and select within quotas, one result per candidate, i.e. per
    (nomination, award).

    - quorum: distinct members who cast any vote (in person or in writing) over all members;
      without quorum nothing is selected.
    - a candidate passes when votes in favour / all members >= its own threshold; a vote without
      an award counts for each award of its nomination.
    - per award, if more pass than the quota (absent from ``quotas`` = unlimited), the most votes
      win; at the cut line a tie goes first to the preferred (a woman, or a collective with
      enough women: ``tie_break_rule_vi`` says the rule in the minutes, e.g. the rule pack's
      ``tie_break_rule_vi()``), then to the candidate the chair voted for; what is still tied is
      left unselected and listed in ``unresolved`` for the council to settle.
    - ``recused`` (nomination id → members recused on it): those members leave that
      nomination's denominator (the quorum still counts the whole membership).

    Results keep the order of ``candidates``.
    """
    _validate(seats, votes, candidates)
    members_total = len(seats)
    chair_id = next((s.member_id for s in seats if s.is_chair), None)
    members_voting = len({v.member_id for v in votes})
    needed = _fraction(quorum)
    quorum_met = Fraction(members_voting) >= needed * members_total

    # Votes on the whole proposal are counted per nomination and votes on one award per
    # (nomination, award), then added up per candidate: the per-vote work stays one dictionary
    # update, as it was before awards were counted apart (~750,000 votes nationally).
    favour_whole: dict[int, int] = defaultdict(int)
    written_whole: dict[int, int] = defaultdict(int)
    chair_whole: set[int] = set()
    favour_award: dict[CandidateKey, int] = defaultdict(int)
    written_award: dict[CandidateKey, int] = defaultdict(int)
    chair_award: set[CandidateKey] = set()
    for v in votes:
        if v.award_code is None:
            if v.in_favour:
                favour_whole[v.nomination_id] += 1
                if v.member_id == chair_id:
                    chair_whole.add(v.nomination_id)
            if v.in_writing:
                written_whole[v.nomination_id] += 1
            continue
        key = (v.nomination_id, v.award_code)
        if v.in_favour:
            favour_award[key] += 1
            if v.member_id == chair_id:
                chair_award.add(key)
        if v.in_writing:
            written_award[key] += 1
    in_favour: dict[CandidateKey, int] = {}
    written: dict[CandidateKey, int] = {}
    chair_for: set[CandidateKey] = set()
    for c in candidates:
        n = c.nomination_id
        in_favour[c.key] = favour_whole.get(n, 0) + favour_award.get(c.key, 0)
        written[c.key] = written_whole.get(n, 0) + written_award.get(c.key, 0)
        if n in chair_whole or c.key in chair_award:
            chair_for.add(c.key)

    passed: dict[CandidateKey, bool] = {}
    basis: dict[CandidateKey, str] = {}
    totals = {
        c.key: max(members_total - (recused or {}).get(c.nomination_id, 0), 1) for c in candidates
    }
    for c in candidates:
        share = Fraction(in_favour[c.key], totals[c.key])
        threshold = _fraction(c.threshold)
        passed[c.key] = share >= threshold
        sign = "≥" if passed[c.key] else "<"
        verdict = "Đạt" if passed[c.key] else "Không đạt"
        text = (
            f"{verdict} {in_favour[c.key]}/{totals[c.key]} phiếu "
            f"({_percent_1(share)}) {sign} {_percent(threshold)}"
        )
        if written[c.key]:
            text += f" (gồm {written[c.key]} phiếu bằng văn bản)"
        basis[c.key] = text

    selected: dict[CandidateKey, bool] = {c.key: False for c in candidates}
    ranks: dict[CandidateKey, int | None] = {c.key: None for c in candidates}
    extra: dict[CandidateKey, str] = {}
    unresolved: list[CandidateKey] = []

    by_award: dict[str, list[Candidate]] = defaultdict(list)
    for c in candidates:
        if passed[c.key]:
            by_award[c.award_code].append(c)

    def rank_key(c: Candidate) -> tuple[int, bool, bool]:
        return (in_favour[c.key], c.tie_break_preferred, c.key in chair_for)

    for award_code, group in by_award.items():
        group.sort(key=rank_key, reverse=True)
        # Competition ranking ("1, 2, 2, 4"): 1 + how many rank strictly higher, read off the
        # sorted group in one pass (comparing every pair took hours for 40,000 dossiers).
        previous: tuple[int, bool, bool] | None = None
        rank = 0
        for position, c in enumerate(group, start=1):
            current = rank_key(c)
            if current != previous:
                rank, previous = position, current
            ranks[c.key] = rank
        quota = quotas.get(award_code)
        if quota is None or len(group) <= quota:
            for c in group:
                selected[c.key] = True
                if quota is not None:
                    extra[c.key] = f"Trong chỉ tiêu ({quota})"
            continue
        quota = max(quota, 0)
        over = f"Vượt chỉ tiêu ({quota})"
        cut_votes = in_favour[group[quota - 1].key] if quota > 0 else None
        tied: list[Candidate] = []
        for c in group:
            votes_c = in_favour[c.key]
            if cut_votes is not None and votes_c > cut_votes:
                selected[c.key] = True
                extra[c.key] = f"Trong chỉ tiêu ({quota}): xếp thứ {ranks[c.key]}"
            elif votes_c == cut_votes:
                tied.append(c)
            else:
                extra[c.key] = f"{over}: xếp thứ {ranks[c.key]}"
        slots = quota - sum(1 for c in group if selected[c.key])
        if len(tied) <= slots:
            for c in tied:
                selected[c.key] = True
                extra[c.key] = f"Trong chỉ tiêu ({quota})"
        else:
            _break_tie(tied, slots, over, tie_break_rule_vi, chair_for, selected, extra, unresolved)

    results: list[CandidateResult] = []
    for c in candidates:
        parts = [basis[c.key]]
        if not quorum_met:
            parts.append(
                f"Không chọn: chưa đủ số thành viên tham gia ({members_voting}/{members_total} "
                f"< {_percent(needed)})"
            )
        elif c.key in extra:
            parts.append(extra[c.key])
        results.append(
            CandidateResult(
                nomination_id=c.nomination_id,
                award_code=c.award_code,
                votes_in_favour=in_favour[c.key],
                members_total=totals[c.key],
                threshold=c.threshold,
                above_threshold=passed[c.key],
                selected=selected[c.key] and quorum_met,
                rank=ranks[c.key] if quorum_met else None,
                note="; ".join(parts),
            )
        )
    still_tied = sorted(unresolved) if quorum_met else []
    return TallyOutcome(
        quorum_met=quorum_met,
        members_total=members_total,
        members_voting=members_voting,
        quorum=quorum,
        results=results,
        unresolved_ties=sorted({nomination_id for nomination_id, _ in still_tied}),
        unresolved=still_tied,
    )
