"""Rule packs as data with citations, and the eligibility check a reviewer relies on."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import date

import pytest

from models.rules.eligibility import (
    NomineeFacts,
    RulePack,
    available_rule_packs,
    check_base_title_cap,
    check_eligibility,
    load_rule_pack,
    rule_pack_for,
)

TITLES_VI = {
    "LDTT": "Lao động tiên tiến",
    "CSTDCS": "Chiến sĩ thi đua cơ sở",
    "CSTD_BO": "Chiến sĩ thi đua cấp Bộ",
    "CSTD_TQ": "Chiến sĩ thi đua toàn quốc",
    "TTLDTT": "Tập thể lao động tiên tiến",
    "TTLDXS": "Tập thể lao động xuất sắc",
    "CO_BO": "Cờ thi đua cấp Bộ",
    "CO_CP": "Cờ thi đua của Chính phủ",
}
FORMS_VI = {
    "GIAY_KHEN": "Giấy khen",
    "BK_BO": "Bằng khen của Bộ trưởng",
    "BK_TTG": "Bằng khen của Thủ tướng Chính phủ",
    "HCLD_1": "Huân chương Lao động hạng Nhất",
    "HCLD_2": "Huân chương Lao động hạng Nhì",
    "HCLD_3": "Huân chương Lao động hạng Ba",
    "KNC": "Kỷ niệm chương",
}


@pytest.fixture(scope="module")
def current() -> RulePack:
    return load_rule_pack("luat06-2022")


@pytest.fixture(scope="module")
def old() -> RulePack:
    return load_rule_pack("nd91-2017")


def person(**changes: object) -> NomineeFacts:
    facts = NomineeFacts(
        kind="individual",
        proposed_title="CSTDCS",
        proposed_form=None,
        consecutive_base_years=0,
        consecutive_ministry_years=0,
        initiative_level="none",
        excellent_completion=True,
        under_discipline=False,
        women_share=None,
        has_achievement_report=True,
    )
    return replace(facts, **changes)  # type: ignore[arg-type]


def codes(findings) -> list[str]:
    return [f.code for f in findings]


# ------------------------------------------------------------------------------ the packs


def test_both_regimes_are_packaged_and_chosen_by_date():
    assert available_rule_packs() == ["luat06-2022", "nd91-2017"]
    assert rule_pack_for(date(2019, 3, 29)).code == "nd91-2017"  # the seed conference
    assert rule_pack_for(date(2023, 12, 31)).code == "nd91-2017"
    assert rule_pack_for(date(2024, 1, 1)).code == "luat06-2022"
    assert rule_pack_for(date(2026, 4, 1)).code == "luat06-2022"
    with pytest.raises(ValueError, match="Không có bộ quy định"):
        rule_pack_for(date(2017, 7, 30))
    with pytest.raises(ValueError, match="Unknown rule pack"):
        load_rule_pack("nd42-2010")


@pytest.mark.parametrize("code", ["luat06-2022", "nd91-2017"])
def test_every_award_is_named_as_in_the_lists_and_every_value_is_cited(code):
    pack = load_rule_pack(code)
    assert {c: a.name_vi for c, a in pack.awards.items()} == TITLES_VI | FORMS_VI
    assert all(pack.awards[c].category == "title" for c in TITLES_VI)
    assert all(pack.awards[c].category == "form" for c in FORMS_VI)
    for award in pack.awards.values():
        assert award.code.isascii()
        assert award.name_en
        assert award.threshold_citation and award.threshold_status in ("C", "U")
        assert award.cash_citation and award.cash_status in ("C", "U")
        assert award.criteria_citation and award.criteria_status in ("C", "U")
    assert pack.citation and pack.quorum_citation
    assert pack.frozen_nominee_citation and pack.tie_break_citation
    assert pack.base_title_cap_citation


def test_council_thresholds_quorum_and_cap(current, old):
    for pack in (current, old):
        assert pack.awards["CSTD_BO"].council_threshold == 0.9
        assert pack.awards["CSTD_TQ"].council_threshold == 0.9
        assert pack.awards["CSTDCS"].council_threshold == 0.8
        assert pack.awards["CO_BO"].council_threshold == 0.8
        assert pack.quorum == pytest.approx(2 / 3)
        assert pack.awards["CSTD_BO"].secret_ballot
    # confirmed under decree 98/2023 art. 30; its carry-over into 152/2025 is not
    assert "98/2023" in current.awards["CSTD_BO"].threshold_citation
    assert "Điều 30" in current.awards["CSTD_BO"].threshold_citation
    assert current.awards["CSTD_BO"].threshold_status == "U"
    assert old.base_title_cap == 0.15
    assert "91/2017" in old.base_title_cap_citation
    assert current.base_title_cap is None


def test_cash_multiples_from_the_domain_table(current):
    awards = current.awards
    assert (awards["LDTT"].cash_multiple, awards["LDTT"].cash_status) == (0.3, "C")
    assert (awards["CSTDCS"].cash_multiple, awards["CSTDCS"].cash_status) == (1.0, "C")
    assert (awards["CSTD_BO"].cash_multiple, awards["CSTD_BO"].cash_status) == (3.0, "C")
    assert (awards["TTLDXS"].cash_multiple, awards["TTLDXS"].cash_status) == (1.5, "C")
    assert awards["BK_BO"].cash_multiple_for("collective") == 3.0
    assert awards["BK_BO"].cash_collective_status == "C"
    assert awards["BK_BO"].cash_status == "U"  # the individual rate is not confirmed


def test_award_by_name_ignores_case_spacing_and_unicode_form(current):
    decomposed = unicodedata.normalize("NFD", "  CHIẾN SĨ   thi đua cấp bộ ")
    assert current.award_by_name(decomposed).code == "CSTD_BO"
    assert current.award_by_name("Bằng khen của Bộ trưởng").code == "BK_BO"
    assert current.award_by_name("bk_bo").code == "BK_BO"
    assert current.award_by_name("Bằng khen") is None
    assert current.award_by_name("") is None


# ------------------------------------------------------------------ unconfirmed values


def test_unconfirmed_values_are_listed_in_vietnamese_with_their_citation(current, old):
    notes = current.unconfirmed_notes()
    assert any("Chiến sĩ thi đua cấp Bộ" in n and "152/2025" in n for n in notes)
    assert all("chưa xác nhận" in n for n in notes)
    # confirmed values are not listed
    assert not any("Tiền thưởng «Chiến sĩ thi đua cơ sở»" in n for n in notes)
    assert any("Không đề nghị khen thưởng" in n for n in old.unconfirmed_notes())
    assert not any("Không đề nghị khen thưởng" in n for n in notes)


def test_unconfirmed_values_can_be_overridden_and_the_override_is_shown():
    pack = load_rule_pack("luat06-2022", overrides={"CSTDCS.council_threshold": 0.75})
    assert pack.awards["CSTDCS"].council_threshold == 0.75
    assert any("đã cấu hình 75%" in n and "80%" in n for n in pack.unconfirmed_notes())
    # the packaged values are untouched
    assert load_rule_pack("luat06-2022").awards["CSTDCS"].council_threshold == 0.8
    assert load_rule_pack("nd91-2017", {"quorum": "3/4"}).quorum == 0.75
    assert load_rule_pack("luat06-2022", {"KNC.cash_multiple": 0.5}).awards["KNC"].cash_multiple


@pytest.mark.parametrize(
    "overrides",
    [
        {"CSTDCS.cash_multiple": 2.0},  # confirmed
        {"BK_BO.cash_multiple_collective": 2.0},  # confirmed
        {"CSTDCS.council_thresold": 0.7},  # misspelt
        {"NOPE.council_threshold": 0.7},
        {"CSTD_BO.council_threshold": 1.5},  # out of range
        {"base_title_cap": 0.2},  # the current law has no cap
        {"quorum": "two thirds"},
    ],
)
def test_confirmed_or_unknown_values_cannot_be_overridden(overrides):
    with pytest.raises(ValueError, match="Không thể ghi đè"):
        load_rule_pack("luat06-2022", overrides=overrides)


def test_the_old_cap_is_confirmed_and_cannot_be_overridden(old):
    with pytest.raises(ValueError, match="confirmed"):
        load_rule_pack("nd91-2017", {"base_title_cap": 0.2})
    assert check_base_title_cap(15, 100, old) == []
    [finding] = check_base_title_cap(16, 100, old)
    assert finding.severity == "error" and "91/2017" in finding.citation
    assert check_base_title_cap(60, 100, load_rule_pack("luat06-2022")) == []


# ------------------------------------------------------------------------ the check


def test_grassroots_fighter_needs_excellence_or_an_initiative_under_the_2022_law(current):
    assert check_eligibility(person(), current) == []
    assert (
        check_eligibility(person(excellent_completion=False, initiative_level="co_so"), current)
        == []
    )
    [finding] = check_eligibility(person(excellent_completion=False), current)
    assert finding.code == "CSTDCS.excellent_or_initiative"
    assert finding.severity == "error"
    assert "Điều 23" in finding.citation
    assert "Chiến sĩ thi đua cơ sở" in finding.message_vi


def test_grassroots_fighter_needed_an_initiative_under_decree_91(old):
    [finding] = check_eligibility(person(), old)  # excellent completion alone is not enough
    assert finding.code == "CSTDCS.min_initiative_level"
    assert "91/2017" in finding.citation
    assert check_eligibility(person(initiative_level="co_so"), old) == []


def test_ministry_fighter_needs_three_years_and_a_ministry_wide_initiative(current):
    facts = person(proposed_title="CSTD_BO", consecutive_base_years=2, initiative_level="co_so")
    findings = check_eligibility(facts, current)
    assert codes(findings) == ["CSTD_BO.min_consecutive_base_years", "CSTD_BO.min_initiative_level"]
    assert all(f.severity == "error" and "Điều 22" in f.citation for f in findings)
    assert "3 năm liên tục" in findings[0].message_vi and "(hồ sơ ghi 2)" in findings[0].message_vi
    eligible = person(proposed_title="CSTD_BO", consecutive_base_years=3, initiative_level="bo")
    assert check_eligibility(eligible, current) == []
    # a higher initiative level satisfies a lower requirement
    assert check_eligibility(replace(eligible, initiative_level="toan_quoc"), current) == []


def test_national_fighter_needs_two_ministry_titles_and_a_nationwide_initiative(current):
    facts = person(proposed_title="CSTD_TQ", consecutive_ministry_years=1, initiative_level="bo")
    assert codes(check_eligibility(facts, current)) == [
        "CSTD_TQ.min_consecutive_ministry_years",
        "CSTD_TQ.min_initiative_level",
    ]
    ok = replace(facts, consecutive_ministry_years=2, initiative_level="toan_quoc")
    assert check_eligibility(ok, current) == []


def test_ministers_certificate_two_years_is_one_ground_among_several(current):
    facts = person(proposed_title=None, proposed_form="BK_BO", consecutive_base_years=1)
    [finding] = check_eligibility(facts, current)
    assert finding.code == "BK_BO.min_consecutive_base_years"
    assert finding.severity == "warning"
    assert check_eligibility(replace(facts, consecutive_base_years=2), current) == []
    collective = replace(facts, kind="collective", women_share=0.4)
    assert check_eligibility(collective, current) == []


def test_a_frozen_nominee_is_refused_with_the_decree_cited(current, old):
    findings = check_eligibility(person(under_discipline=True), current)
    assert codes(findings) == ["frozen_nominee"]
    assert findings[0].severity == "error"
    assert findings[0].citation == "Nghị định 152/2025/NĐ-CP, Điều 4"
    [old_finding] = check_eligibility(person(under_discipline=True, initiative_level="co_so"), old)
    assert "chưa xác nhận" in old_finding.citation


def test_kind_mismatches_are_errors(current):
    collective = person(kind="collective", women_share=0.8)
    [finding] = check_eligibility(collective, current)
    assert finding.code == "nominee_kind_mismatch"
    assert "chỉ xét tặng cho cá nhân" in finding.message_vi
    [finding] = check_eligibility(person(proposed_title="TTLDXS"), current)
    assert finding.code == "nominee_kind_mismatch"


def test_unknown_missing_or_misplaced_awards_are_errors(current):
    assert codes(check_eligibility(person(proposed_title="CSTD_XYZ"), current)) == ["unknown_award"]
    assert codes(check_eligibility(person(proposed_title=None), current)) == ["no_award"]
    assert codes(check_eligibility(person(proposed_title="BK_BO"), current)) == [
        "award_category_mismatch"
    ]


def test_a_missing_achievement_report_is_a_warning(current):
    [finding] = check_eligibility(person(has_achievement_report=False), current)
    assert (finding.code, finding.severity) == ("CSTDCS.missing_achievement_report", "warning")
    no_report_needed = person(proposed_title="LDTT", has_achievement_report=False)
    assert check_eligibility(no_report_needed, current) == []


def test_title_and_form_are_both_checked(current):
    facts = person(proposed_title="CSTD_BO", proposed_form="BK_BO", consecutive_base_years=1)
    assert codes(check_eligibility(facts, current)) == [
        "CSTD_BO.min_consecutive_base_years",
        "CSTD_BO.min_initiative_level",
        "BK_BO.min_consecutive_base_years",
    ]


def test_every_finding_carries_a_citation(current, old):
    cases = [
        person(under_discipline=True, excellent_completion=False, has_achievement_report=False),
        person(proposed_title="CSTD_TQ", proposed_form="HCLD_3", kind="collective"),
        person(proposed_title="NOPE", proposed_form=None),
        person(proposed_title=None),
    ]
    for pack in (current, old):
        for facts in cases:
            findings = check_eligibility(facts, pack)
            assert findings
            assert all(f.citation and f.message_vi and f.message_en for f in findings)


def test_a_stage_lists_only_the_unconfirmed_values_it_relied_on(current):
    council = current.unconfirmed_notes({"CSTD_BO"}, topics=["council", "threshold"])
    assert any("Chiến sĩ thi đua cấp Bộ" in n and "council_threshold" in n for n in council)
    assert not any(n.startswith("Tiền thưởng") for n in council)
    assert not any("Chiến sĩ thi đua toàn quốc" in n for n in council)
    cash = current.unconfirmed_notes({"BK_TTG"}, topics=["cash"])
    assert cash and all(n.startswith("Tiền thưởng «Bằng khen của Thủ tướng") for n in cash)
    assert current.unconfirmed_notes({"CSTDCS"}, topics=["cash"]) == []  # confirmed: no note


def test_overrides_from_the_environment_take_fractions_as_the_packs_write_them(monkeypatch):
    from models.settings import Settings

    monkeypatch.setenv(
        "TONVINH_RULE_OVERRIDES", '{"quorum": "3/4", "CSTDCS.council_threshold": 0.75}'
    )
    overrides = Settings().rule_overrides
    pack = load_rule_pack("nd91-2017", overrides)
    assert (pack.quorum, pack.awards["CSTDCS"].council_threshold) == (0.75, 0.75)
    with pytest.raises(ValueError, match="quorum"):
        load_rule_pack("nd91-2017", {"quorum": "ba phần tư"})
