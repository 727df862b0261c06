"""The tie-break share, the resubmission window and the frozen-nominee rule are rule-pack data:
each loads with its citation and status, and an unconfirmed one can be configured and says so."""

from __future__ import annotations

from datetime import date

import pytest

from models.rules.calendar import vietnam_calendar
from models.rules.eligibility import (
    NomineeFacts,
    check_eligibility,
    load_rule_pack,
    review_verdict,
)
from models.settings import Settings

PACKS = ["luat06-2022", "nd91-2017"]


def facts(**changes: object) -> NomineeFacts:
    values: dict[str, object] = {
        "kind": "individual",
        "proposed_title": "CSTDCS",
        "proposed_form": None,
        "consecutive_base_years": 0,
        "consecutive_ministry_years": 0,
        "initiative_level": "co_so",
        "excellent_completion": True,
        "under_discipline": False,
        "women_share": None,
        "has_achievement_report": True,
    }
    values.update(changes)
    return NomineeFacts(**values)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ tie-break


@pytest.mark.parametrize("code", PACKS)
def test_the_tie_break_share_loads_with_its_citation(code):
    pack = load_rule_pack(code)
    assert pack.tie_break_women_share == 0.7
    assert pack.tie_break_citation
    assert pack.tie_break_rule_vi() == "ưu tiên nữ, tập thể có từ 70% nữ"


def test_the_2022_law_confirms_the_tie_break_in_decree_152_article_4():
    pack = load_rule_pack("luat06-2022")
    assert pack.tie_break_status == "C"
    assert pack.tie_break_citation == "Nghị định 152/2025/NĐ-CP, Điều 4"
    assert not any("ưu tiên khi bằng phiếu" in n for n in pack.unconfirmed_notes())
    with pytest.raises(ValueError, match="confirmed"):
        load_rule_pack("luat06-2022", {"tie_break.collective_women_share": 0.6})


def test_who_is_preferred_in_a_tie():
    pack = load_rule_pack("luat06-2022")
    assert pack.prefers_in_tie("Nữ", None)
    assert pack.prefers_in_tie("NỮ", None)  # however the list spelt it
    assert not pack.prefers_in_tie("Nam", None)
    assert pack.prefers_in_tie(None, 0.7)  # 7 women of 10: exactly 70%
    assert pack.prefers_in_tie(None, 7 / 10)
    assert not pack.prefers_in_tie(None, 0.69)
    assert not pack.prefers_in_tie(None, None)


def test_the_old_regimes_share_is_unconfirmed_and_configurable():
    old = load_rule_pack("nd91-2017")
    assert old.tie_break_status == "U"
    [note] = [n for n in old.unconfirmed_notes(topics=["council"]) if "bằng phiếu" in n]
    assert "70%" in note and "chưa xác nhận" in note
    assert "có thể cấu hình: tie_break.collective_women_share" in note

    configured = load_rule_pack("nd91-2017", {"tie_break.collective_women_share": "3/5"})
    assert configured.tie_break_women_share == 0.6
    assert configured.prefers_in_tie(None, 0.6)
    assert configured.tie_break_rule_vi() == "ưu tiên nữ, tập thể có từ 60% nữ"
    [note] = [n for n in configured.unconfirmed_notes() if "bằng phiếu" in n]
    assert "đã cấu hình 60% (trong bộ quy định: 70%)" in note
    with pytest.raises(ValueError, match="Không thể ghi đè"):
        load_rule_pack("nd91-2017", {"tie_break.collective_women_share": 1.5})


# ---------------------------------------------------------------- resubmission window


@pytest.mark.parametrize("code", PACKS)
def test_the_resubmission_window_is_five_working_days_cited_and_unconfirmed(code):
    pack = load_rule_pack(code)
    assert pack.resubmission_working_days == 5
    assert "05 ngày làm việc" in pack.resubmission_citation
    # The law confirms the 5 days for returning a dossier; as the unit's window it is a reading.
    assert pack.resubmission_status == "U"
    [note] = pack.unconfirmed_notes(topics=["review"])
    assert note.startswith("Thời hạn đơn vị nộp lại hồ sơ bị trả lại: 5 ngày làm việc")
    assert "có thể cấu hình: returned_dossier.resubmission_working_days" in note
    assert pack.resubmission_note().startswith("5 ngày làm việc (")
    assert pack.resubmission_note().endswith("; chưa xác nhận)")


def test_a_ministry_can_give_units_longer_to_resubmit():
    pack = load_rule_pack("luat06-2022", {"returned_dossier.resubmission_working_days": 7})
    assert pack.resubmission_working_days == 7
    assert pack.resubmission_note().endswith("; đã cấu hình)")
    [note] = pack.unconfirmed_notes(topics=["review"])
    assert "đã cấu hình 7 (trong bộ quy định: 5)" in note
    # A dossier returned on Friday 15/3/2019 is due back seven working days later, Tue 26/3.
    due = vietnam_calendar([2019]).add_working_days(
        date(2019, 3, 15), pack.resubmission_working_days
    )
    assert due == date(2019, 3, 26)


@pytest.mark.parametrize("days", [0, -1, 2.5, "một tuần"])
def test_a_resubmission_window_must_be_whole_working_days(days):
    with pytest.raises(ValueError, match="Không thể ghi đè"):
        load_rule_pack("luat06-2022", {"returned_dossier.resubmission_working_days": days})


# ---------------------------------------------------------------------- frozen nominee


@pytest.mark.parametrize("code", PACKS)
def test_a_frozen_nominee_is_refused_not_returned(code):
    pack = load_rule_pack(code)
    assert pack.frozen_nominee_verdict == "ineligible"
    findings = check_eligibility(facts(under_discipline=True), pack)
    assert "frozen_nominee" in [f.code for f in findings]
    assert review_verdict(findings, pack) == "ineligible"


def test_the_2022_law_cites_decree_152_article_4_and_cannot_be_configured():
    pack = load_rule_pack("luat06-2022")
    assert (pack.frozen_nominee_status, pack.frozen_nominee_citation) == (
        "C",
        "Nghị định 152/2025/NĐ-CP, Điều 4",
    )
    with pytest.raises(ValueError, match="confirmed"):
        load_rule_pack("luat06-2022", {"frozen_nominee.verdict": "returned"})


def test_under_the_old_decree_the_verdict_is_unconfirmed_and_configurable():
    old = load_rule_pack("nd91-2017")
    assert old.frozen_nominee_status == "U" and "91/2017" in old.frozen_nominee_citation
    [note] = [n for n in old.unconfirmed_notes() if n.startswith("Không đề nghị khen thưởng")]
    assert "hồ sơ không đủ điều kiện" in note
    assert "có thể cấu hình: frozen_nominee.verdict" in note

    returned = load_rule_pack("nd91-2017", {"frozen_nominee.verdict": "returned"})
    findings = check_eligibility(facts(under_discipline=True), returned)
    assert review_verdict(findings, returned) == "returned"
    [note] = [n for n in returned.unconfirmed_notes() if n.startswith("Không đề nghị khen thưởng")]
    assert "đã cấu hình «trả lại đơn vị»" in note
    with pytest.raises(ValueError, match="Không thể ghi đè"):
        load_rule_pack("nd91-2017", {"frozen_nominee.verdict": "ignored"})


def test_what_review_does_with_other_findings():
    pack = load_rule_pack("luat06-2022")
    assert review_verdict(check_eligibility(facts(), pack), pack) == "eligible"
    missing = check_eligibility(facts(excellent_completion=False, initiative_level="none"), pack)
    assert review_verdict(missing, pack) == "returned"  # the unit can fix it
    warned = check_eligibility(facts(has_achievement_report=False), pack)
    assert [f.severity for f in warned] == ["warning"]
    assert review_verdict(warned, pack) == "eligible"


# ------------------------------------------------------------------- from the environment


def test_the_new_values_are_configured_through_tonvinh_rule_overrides(monkeypatch):
    monkeypatch.setenv(
        "TONVINH_RULE_OVERRIDES",
        '{"tie_break.collective_women_share": "3/5", "frozen_nominee.verdict": "returned",'
        ' "returned_dossier.resubmission_working_days": 10}',
    )
    pack = load_rule_pack("nd91-2017", Settings().rule_overrides)
    assert pack.tie_break_women_share == 0.6
    assert pack.frozen_nominee_verdict == "returned"
    assert pack.resubmission_working_days == 10
    # the packaged values are untouched
    assert load_rule_pack("nd91-2017").resubmission_working_days == 5
