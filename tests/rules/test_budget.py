"""Cash awards: multiple × base salary on the decision date, rounded up to 10,000 VND."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from models.rules.budget import (
    BASE_SALARY_HISTORY,
    award_amount,
    base_salary_on,
    compute_budget,
    format_vnd,
)
from models.rules.eligibility import load_rule_pack


def test_base_salary_on_the_decision_date():
    assert base_salary_on(date(2018, 6, 30)) == 1_300_000
    assert base_salary_on(date(2018, 7, 1)) == 1_390_000
    assert base_salary_on(date(2019, 3, 29)) == 1_390_000  # the seed conference
    assert base_salary_on(date(2019, 7, 1)) == 1_490_000
    assert base_salary_on(date(2023, 6, 30)) == 1_490_000
    assert base_salary_on(date(2023, 7, 1)) == 1_800_000
    assert base_salary_on(date(2024, 7, 1)) == 2_340_000
    assert all(citation.startswith("Nghị định") for _, _, citation in BASE_SALARY_HISTORY)
    with pytest.raises(ValueError, match="Chưa có mức lương cơ sở"):
        base_salary_on(date(2017, 6, 30))


def test_amounts_are_rounded_up_to_ten_thousand_dong():
    assert award_amount(0.3, 1_390_000) == 420_000  # 417,000
    assert award_amount(0.3, 2_340_000) == 710_000  # 702,000
    assert award_amount(1.5, 1_490_000) == 2_240_000  # 2,235,000
    assert award_amount(1.0, 1_390_000) == 1_390_000  # already round: unchanged
    assert award_amount(Decimal("0.3"), 1_800_000) == 540_000
    assert award_amount(0, 2_340_000) == 0
    with pytest.raises(ValueError):
        award_amount(-1, 1_390_000)


def test_budget_of_the_2019_seed_ceremony():
    pack = load_rule_pack("nd91-2017")
    codes = ["CSTD_BO", "LDTT", "CSTDCS", "LDTT", "TTLDXS", "CSTDCS", "LDTT"]
    budget = compute_budget(codes, pack, date(2019, 3, 29))
    assert budget.base_salary == 1_390_000
    assert [
        (line.award_code, line.count, line.unit_amount, line.total) for line in budget.lines
    ] == [
        ("LDTT", 3, 420_000, 1_260_000),
        ("CSTDCS", 2, 1_390_000, 2_780_000),
        ("CSTD_BO", 1, 4_170_000, 4_170_000),
        ("TTLDXS", 1, 2_090_000, 2_090_000),
    ]
    assert budget.total == 10_300_000
    assert format_vnd(budget.total) == "10.300.000 đ"
    assert budget.lines[0].award_name == "Lao động tiên tiến"
    assert not any(line.unconfirmed for line in budget.lines)


def test_collectives_can_be_priced_at_their_own_rate():
    pack = load_rule_pack("luat06-2022")
    budget = compute_budget(
        [("BK_BO", "collective"), "BK_BO", ("BK_BO", "individual")], pack, date(2025, 12, 1)
    )
    individual, collective = budget.lines
    assert (individual.award_name, individual.count) == ("Bằng khen của Bộ trưởng (cá nhân)", 2)
    assert individual.unit_amount == 2_340_000 and individual.unconfirmed
    assert (collective.award_name, collective.unit_amount) == (
        "Bằng khen của Bộ trưởng (tập thể)",
        7_020_000,
    )
    assert not collective.unconfirmed
    assert budget.total == 2 * 2_340_000 + 7_020_000


def test_unknown_awards_are_refused_and_an_empty_list_costs_nothing():
    pack = load_rule_pack("luat06-2022")
    with pytest.raises(ValueError, match="không có trong bộ quy định"):
        compute_budget(["NOPE"], pack, date(2025, 1, 1))
    assert compute_budget([], pack, date(2025, 1, 1)).total == 0


def test_format_vnd():
    assert format_vnd(1_390_000) == "1.390.000 đ"
    assert format_vnd(420_000) == "420.000 đ"
    assert format_vnd(0) == "0 đ"
