"""The council's tally with 15 members: thresholds over the whole membership, quorum, quotas."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from models.rules.tally import Candidate, CouncilSeat, Vote, tally_council

CHAIR = 1
SEATS = [CouncilSeat(member_id=m, is_chair=m == CHAIR) for m in range(1, 16)]
EVERYONE = range(1, 16)


def ballot(
    nomination_id: int,
    in_favour: Iterable[int],
    voters: Iterable[int] = EVERYONE,
    in_writing: Iterable[int] = (),
) -> list[Vote]:
    favour, written = set(in_favour), set(in_writing)
    return [Vote(nomination_id, m, in_favour=m in favour, in_writing=m in written) for m in voters]


def cand(nomination_id: int, award: str = "CSTD_BO", threshold: float = 0.9, women: bool = False):
    return Candidate(nomination_id, award, threshold, tie_break_preferred=women)


def test_twelve_of_fifteen_is_exactly_eighty_percent_and_passes():
    outcome = tally_council(SEATS, ballot(1, range(1, 13)), [cand(1, "CSTDCS", 0.8)], {})
    [result] = outcome.results
    assert outcome.quorum_met
    assert (result.votes_in_favour, result.members_total) == (12, 15)
    assert result.above_threshold and result.selected and result.rank == 1
    assert result.note.startswith("Đạt 12/15 phiếu (80,0%) ≥ 80%")


def test_ninety_percent_is_counted_over_all_members_not_those_present():
    # 13 of 15 in favour is 86.7%: below 90% although all 13 present agreed.
    present = range(1, 14)
    outcome = tally_council(
        SEATS,
        ballot(1, present, voters=present) + ballot(2, range(1, 15)),
        [cand(1), cand(2)],
        {},
    )
    first, second = outcome.results
    assert not first.above_threshold and not first.selected and first.rank is None
    assert first.note == "Không đạt 13/15 phiếu (86,7%) < 90%"
    assert second.above_threshold and second.selected  # 14/15 = 93.3%


def test_absent_members_vote_in_writing_and_count():
    present, absent = range(1, 11), range(11, 16)
    votes = ballot(1, range(1, 15), in_writing=absent)
    outcome = tally_council(SEATS, votes, [cand(1)], {})
    assert outcome.members_voting == 15 and outcome.quorum_met
    assert outcome.results[0].selected
    assert "gồm 5 phiếu bằng văn bản" in outcome.results[0].note
    # without the written votes, the 10 present reach quorum (exactly 2/3) but not 90%
    outcome = tally_council(SEATS, ballot(1, present, voters=present), [cand(1)], {})
    assert outcome.members_voting == 10 and outcome.quorum_met
    assert not outcome.results[0].above_threshold


def test_nine_of_fifteen_is_no_quorum_and_nothing_is_selected():
    voters = range(1, 10)
    outcome = tally_council(SEATS, ballot(1, voters, voters=voters), [cand(1, "LDTT", 0.5)], {})
    assert not outcome.quorum_met
    assert (outcome.members_voting, outcome.members_total) == (9, 15)
    [result] = outcome.results
    assert result.above_threshold  # 9/15 = 60% >= 50% ...
    assert not result.selected  # ... but the ballot is void
    assert "chưa đủ số thành viên tham gia (9/15 < 66,7%)" in result.note


def test_over_quota_the_most_votes_win():
    votes = ballot(1, range(1, 16)) + ballot(2, range(1, 15)) + ballot(3, range(2, 16))
    votes += ballot(4, range(2, 16))
    outcome = tally_council(SEATS, votes, [cand(1), cand(2), cand(3), cand(4)], {"CSTD_BO": 1})
    by_id = {r.nomination_id: r for r in outcome.results}
    assert [by_id[i].selected for i in (1, 2, 3, 4)] == [True, False, False, False]
    assert by_id[1].rank == 1
    assert "Trong chỉ tiêu (1)" in by_id[1].note
    assert "Vượt chỉ tiêu (1)" in by_id[2].note
    assert outcome.unresolved_ties == []


def test_a_tie_at_the_cut_goes_to_the_woman_first():
    # 1 has 15 votes; 2 and 3 both have 14 for the last of two places; 3 is a woman.
    votes = ballot(1, range(1, 16)) + ballot(2, range(1, 15)) + ballot(3, range(1, 15))
    outcome = tally_council(SEATS, votes, [cand(1), cand(2), cand(3, women=True)], {"CSTD_BO": 2})
    by_id = {r.nomination_id: r for r in outcome.results}
    assert [by_id[i].selected for i in (1, 2, 3)] == [True, False, True]
    assert [by_id[i].rank for i in (1, 2, 3)] == [1, 3, 2]
    assert "ưu tiên nữ" in by_id[3].note
    assert "không thuộc diện ưu tiên" in by_id[2].note


def test_then_the_chairs_vote_decides():
    # 2 and 3 tie with 14 votes, neither preferred; the chair (member 1) voted only for 3.
    votes = ballot(1, range(1, 16)) + ballot(2, range(2, 16)) + ballot(3, range(1, 15))
    outcome = tally_council(SEATS, votes, [cand(1), cand(2), cand(3)], {"CSTD_BO": 2})
    by_id = {r.nomination_id: r for r in outcome.results}
    assert [by_id[i].selected for i in (1, 2, 3)] == [True, False, True]
    assert "Chủ tịch Hội đồng quyết định khi bằng phiếu" in by_id[3].note
    assert "Chủ tịch không đồng ý" in by_id[2].note
    assert outcome.unresolved_ties == []


def test_a_tie_that_no_rule_breaks_is_left_for_the_council():
    # 2 and 3: both women, 14 votes each, the chair voted for both: one place left.
    votes = ballot(1, range(1, 16)) + ballot(2, range(1, 15)) + ballot(3, range(1, 15))
    candidates = [cand(1), cand(2, women=True), cand(3, women=True)]
    outcome = tally_council(SEATS, votes, candidates, {"CSTD_BO": 2})
    by_id = {r.nomination_id: r for r in outcome.results}
    assert by_id[1].selected
    assert not by_id[2].selected and not by_id[3].selected
    assert outcome.unresolved_ties == [2, 3]
    assert "chưa phân định được" in by_id[2].note


def test_women_preference_then_chair_among_three_tied_for_two_places():
    # 2, 3, 4 tie with 14 votes for 2 places: 4 is a woman (in), then the chair picks 2 over 3.
    votes = ballot(2, range(1, 15)) + ballot(3, range(2, 16)) + ballot(4, range(2, 16))
    outcome = tally_council(SEATS, votes, [cand(2), cand(3), cand(4, women=True)], {"CSTD_BO": 2})
    assert [r.selected for r in outcome.results] == [True, False, True]


def test_quotas_apply_per_award_and_a_missing_quota_is_unlimited():
    votes = []
    candidates = []
    for n in range(1, 6):
        votes += ballot(n, range(1, 14))
        candidates.append(cand(n, "CSTDCS", 0.8))
    outcome = tally_council(SEATS, votes, candidates, {"CSTD_BO": 1})
    assert all(r.selected for r in outcome.results)
    assert all(r.rank == 1 for r in outcome.results)  # all level


def test_fractions_are_exact():
    # 2/3 passed as a float still means exactly ten of fifteen.
    voters = range(1, 11)
    outcome = tally_council(SEATS, ballot(1, voters, voters=voters), [cand(1, "X", 0.6)], {})
    assert outcome.quorum_met and outcome.results[0].selected


def test_bad_ballots_are_refused():
    with pytest.raises(ValueError, match="non-member"):
        tally_council(SEATS, [Vote(1, 99, True)], [cand(1)], {})
    with pytest.raises(ValueError, match="voted twice"):
        tally_council(SEATS, [Vote(1, 2, True), Vote(1, 2, False)], [cand(1)], {})
    with pytest.raises(ValueError, match="unknown nomination"):
        tally_council(SEATS, [Vote(7, 2, True)], [cand(1)], {})
    with pytest.raises(ValueError, match="no members"):
        tally_council([], [], [cand(1)], {})
