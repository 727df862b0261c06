"""A nomination proposing a title and a form is judged on each, at each award's own threshold
and within each award's own quota; the outcome says which award passed."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from models.rules.eligibility import load_rule_pack
from models.rules.tally import (
    Candidate,
    CouncilNominee,
    CouncilSeat,
    Vote,
    council_candidates,
    tally_council,
    tally_nominations,
)

SEATS = [CouncilSeat(member_id=m, is_chair=m == 1) for m in range(1, 16)]
EVERYONE = range(1, 16)
PACK = load_rule_pack("luat06-2022")  # CSTDCS 80%, CSTD_BO 90%, BK_BO 50% of all members


def ballot(nomination_id: int, in_favour: Iterable[int], award: str | None = None) -> list[Vote]:
    favour = set(in_favour)
    return [Vote(nomination_id, m, m in favour, award_code=award) for m in EVERYONE]


def nominee(nomination_id: int, title: str | None = "CSTDCS", form: str | None = "BK_BO", **kw):
    return CouncilNominee(nomination_id, title, form, **kw)


def test_both_proposals_become_candidates_each_with_its_own_threshold():
    candidates = council_candidates([nominee(1), nominee(2, form=None), nominee(3, None)], PACK)
    assert [(c.nomination_id, c.award_code, c.threshold) for c in candidates] == [
        (1, "CSTDCS", 0.8),
        (1, "BK_BO", 0.5),
        (2, "CSTDCS", 0.8),
        (3, "BK_BO", 0.5),
    ]
    # A name as the list typed it is the same award; a nomination proposing nothing is left out.
    typed = council_candidates(
        [nominee(4, "chiến sĩ thi đua cơ sở", " "), nominee(5, None, None)], PACK
    )
    assert [(c.nomination_id, c.award_code) for c in typed] == [(4, "CSTDCS")]
    with pytest.raises(ValueError, match="not in rule pack luat06-2022"):
        council_candidates([nominee(6, "CSTD_XYZ")], PACK)


def test_title_passes_and_form_fails_on_their_own_ballots():
    votes = ballot(1, range(1, 14), "CSTDCS") + ballot(1, range(1, 7), "BK_BO")
    outcome = tally_nominations(SEATS, votes, [nominee(1)], {}, PACK)
    title, form = outcome.results
    assert (title.award_code, title.votes_in_favour, title.selected) == ("CSTDCS", 13, True)
    assert (form.award_code, form.votes_in_favour, form.selected) == ("BK_BO", 6, False)
    assert form.note == "Không đạt 6/15 phiếu (40,0%) < 50%"
    [decided] = outcome.by_nomination()
    assert decided.passed and decided.awarded == ("CSTDCS",)
    assert decided.result_for("BK_BO") == form
    names = {code: PACK.awards[code].name_vi for code in ("CSTDCS", "BK_BO")}
    assert decided.note(names) == (
        "Chiến sĩ thi đua cơ sở: Đạt 13/15 phiếu (86,7%) ≥ 80%; "
        "Bằng khen của Bộ trưởng: Không đạt 6/15 phiếu (40,0%) < 50%"
    )


def test_one_vote_on_the_whole_proposal_is_judged_against_each_threshold():
    # 12 of 15 for the proposal: 80% meets Chiến sĩ thi đua cơ sở and the Minister's certificate.
    outcome = tally_nominations(SEATS, ballot(1, range(1, 13)), [nominee(1)], {}, PACK)
    assert [(r.award_code, r.votes_in_favour, r.selected) for r in outcome.results] == [
        ("CSTDCS", 12, True),
        ("BK_BO", 12, True),
    ]
    [decided] = outcome.by_nomination()
    assert decided.awarded == ("CSTDCS", "BK_BO")
    # 13 of 15 is below the 90% of Chiến sĩ thi đua cấp Bộ but well above the certificate's 50%.
    outcome = tally_nominations(
        SEATS, ballot(2, range(1, 14)), [nominee(2, "CSTD_BO", "BK_BO")], {}, PACK
    )
    [decided] = outcome.by_nomination()
    assert decided.passed and decided.awarded == ("BK_BO",)
    assert not decided.result_for("CSTD_BO").above_threshold


def test_a_nomination_that_passes_nothing_did_not_pass():
    outcome = tally_nominations(SEATS, ballot(1, range(1, 5)), [nominee(1)], {}, PACK)
    [decided] = outcome.by_nomination()
    assert not decided.passed and decided.awarded == () and decided.decided


def test_quotas_rank_each_award_on_its_own():
    # Four dossiers each propose CSTDCS and BK_BO; the council ranks them differently per award.
    votes: list[Vote] = []
    for n, title_votes, form_votes in ((1, 15, 12), (2, 14, 13), (3, 13, 14), (4, 12, 15)):
        votes += ballot(n, range(1, title_votes + 1), "CSTDCS")
        votes += ballot(n, range(1, form_votes + 1), "BK_BO")
    nominees = [nominee(n) for n in (1, 2, 3, 4)]
    outcome = tally_nominations(SEATS, votes, nominees, {"CSTDCS": 2, "BK_BO": 1}, PACK)
    by_key = {(r.nomination_id, r.award_code): r for r in outcome.results}
    assert [by_key[(n, "CSTDCS")].rank for n in (1, 2, 3, 4)] == [1, 2, 3, 4]
    assert [by_key[(n, "BK_BO")].rank for n in (1, 2, 3, 4)] == [4, 3, 2, 1]
    assert {d.nomination_id: d.awarded for d in outcome.by_nomination()} == {
        1: ("CSTDCS",),
        2: ("CSTDCS",),
        3: (),
        4: ("BK_BO",),
    }
    assert "Vượt chỉ tiêu (2): xếp thứ 3" in by_key[(3, "CSTDCS")].note
    assert "Trong chỉ tiêu (1)" in by_key[(4, "BK_BO")].note
    assert "Vượt chỉ tiêu (1): xếp thứ 2" in by_key[(3, "BK_BO")].note


def test_a_tie_for_one_award_follows_the_packs_tie_break_and_leaves_the_other_alone():
    # 1 and 2 tie for the one CSTDCS place with 13 votes each; 2 is a woman.
    votes = ballot(1, range(2, 15)) + ballot(2, range(2, 15))
    nominees = [nominee(1, form="GIAY_KHEN"), nominee(2, form="GIAY_KHEN", gender="Nữ")]
    outcome = tally_nominations(SEATS, votes, nominees, {"CSTDCS": 1}, PACK)
    by_key = {(r.nomination_id, r.award_code): r for r in outcome.results}
    assert by_key[(2, "CSTDCS")].selected and not by_key[(1, "CSTDCS")].selected
    assert "ưu tiên nữ, tập thể có từ 70% nữ" in by_key[(2, "CSTDCS")].note
    # No quota on Giấy khen: both keep it.
    assert by_key[(1, "GIAY_KHEN")].selected and by_key[(2, "GIAY_KHEN")].selected
    assert [d.awarded for d in outcome.by_nomination()] == [("GIAY_KHEN",), ("CSTDCS", "GIAY_KHEN")]


def test_a_tie_nobody_breaks_is_pending_for_that_award_only():
    # Same votes, neither preferred, the chair (member 1) voted for neither: CSTDCS is pending.
    votes = ballot(1, range(2, 15)) + ballot(2, range(2, 15))
    nominees = [nominee(1), nominee(2)]
    outcome = tally_nominations(SEATS, votes, nominees, {"CSTDCS": 1}, PACK)
    assert outcome.unresolved == [(1, "CSTDCS"), (2, "CSTDCS")]
    assert outcome.unresolved_ties == [1, 2]
    first, second = outcome.by_nomination()
    assert first.unresolved == second.unresolved == ("CSTDCS",) and not first.decided
    assert first.awarded == second.awarded == ("BK_BO",)  # the certificates are decided


def test_a_collective_with_seventy_percent_women_is_preferred_by_the_pack():
    candidates = council_candidates(
        [
            CouncilNominee(1, "TTLDXS", None, women_share=0.7),
            CouncilNominee(2, "TTLDXS", None, women_share=0.65),
        ],
        PACK,
    )
    assert [c.tie_break_preferred for c in candidates] == [True, False]
    configured = load_rule_pack("nd91-2017", {"tie_break.collective_women_share": 0.6})
    candidates = council_candidates(
        [CouncilNominee(2, "TTLDXS", None, women_share=0.65)], configured
    )
    assert candidates[0].tie_break_preferred


def test_votes_that_cannot_be_counted_are_refused():
    nominees = [nominee(1)]
    with pytest.raises(ValueError, match="does not propose"):
        tally_nominations(SEATS, [Vote(1, 2, True, award_code="CSTD_BO")], nominees, {}, PACK)
    # A vote on the whole proposal and one on its title by the same member would count twice.
    both = [Vote(1, 2, True), Vote(1, 2, False, award_code="CSTDCS")]
    with pytest.raises(ValueError, match="voted twice"):
        tally_nominations(SEATS, both, nominees, {}, PACK)
    with pytest.raises(ValueError, match="voted twice"):
        tally_nominations(SEATS, list(reversed(both)), nominees, {}, PACK)
    twice = [Vote(1, 2, True, award_code="BK_BO"), Vote(1, 2, True, award_code="BK_BO")]
    with pytest.raises(ValueError, match="voted twice"):
        tally_nominations(SEATS, twice, nominees, {}, PACK)
    # One vote per award by the same member is two ballots, not a double vote.
    fine = [Vote(1, 2, True, award_code="CSTDCS"), Vote(1, 2, False, award_code="BK_BO")]
    assert len(tally_nominations(SEATS, fine, nominees, {}, PACK).results) == 2
    with pytest.raises(ValueError, match="Duplicate candidates"):
        tally_council(SEATS, [], [Candidate(1, "BK_BO", 0.5, False)] * 2, {})


def test_one_award_per_nomination_works_as_before():
    # The old shape: one candidate per nomination, votes without an award.
    outcome = tally_council(
        SEATS, ballot(1, range(1, 13)), [Candidate(1, "CSTDCS", 0.8, False)], {}
    )
    [result] = outcome.results
    assert result.selected and result.note.startswith("Đạt 12/15 phiếu (80,0%) ≥ 80%")
    assert [d.awarded for d in outcome.by_nomination()] == [("CSTDCS",)]
