"""Cash awards and the ceremony budget: multiple × base salary on the decision date.

Amounts are rounded UP to the next 10,000 VND, computed with Decimal (0.3 × 1,390,000 = 417,000
-> 420,000).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal

from models.rules.eligibility import UNCONFIRMED, RulePack

# (effective from, base salary in VND, legal basis)
BASE_SALARY_HISTORY: tuple[tuple[date, int, str], ...] = (
    (date(2017, 7, 1), 1_300_000, "Nghị định 47/2017/NĐ-CP"),
    (date(2018, 7, 1), 1_390_000, "Nghị định 72/2018/NĐ-CP"),
    (date(2019, 7, 1), 1_490_000, "Nghị định 38/2019/NĐ-CP"),
    (date(2023, 7, 1), 1_800_000, "Nghị định 24/2023/NĐ-CP"),
    (date(2024, 7, 1), 2_340_000, "Nghị định 73/2024/NĐ-CP"),
)

ROUNDING_STEP = 10_000  # VND


def base_salary_entry(day: date) -> tuple[date, int, str]:
    """The base salary entry (from, amount, citation) in force on ``day``."""
    starts = [entry[0] for entry in BASE_SALARY_HISTORY]
    index = bisect_right(starts, day)
    if index == 0:
        raise ValueError(
            f"Chưa có mức lương cơ sở cho ngày {day:%d/%m/%Y} (bảng bắt đầu từ "
            f"{starts[0]:%d/%m/%Y}). / No base salary known for {day.isoformat()}."
        )
    return BASE_SALARY_HISTORY[index - 1]


def base_salary_on(day: date) -> int:
    """The base salary (mức lương cơ sở) in force on ``day``, in VND."""
    return base_salary_entry(day)[1]


def award_amount(multiple: float | Decimal, base_salary: int) -> int:
    """``multiple`` × ``base_salary``, rounded up to the next 10,000 VND."""
    factor = multiple if isinstance(multiple, Decimal) else Decimal(str(multiple))
    if factor < 0:
        raise ValueError(f"Hệ số âm: {multiple}. / Negative multiple: {multiple}.")
    steps = (factor * base_salary / ROUNDING_STEP).to_integral_value(rounding=ROUND_CEILING)
    return int(steps) * ROUNDING_STEP


@dataclass(frozen=True)
class BudgetLine:
    award_code: str
    award_name: str
    count: int
    unit_amount: int
    total: int
    kind: str = "individual"  # the collective rate of a form may differ
    multiple: float = 0.0
    unconfirmed: bool = False  # the multiple is an unconfirmed ("U") value of the rule pack


@dataclass(frozen=True)
class Budget:
    decision_date: date
    base_salary: int
    lines: list[BudgetLine]
    total: int
    base_salary_citation: str = ""


def compute_budget(
    award_codes: Iterable[str | tuple[str, str]], pack: RulePack, decision_date: date
) -> Budget:
    """The cash budget for the honourees' awards, one line per award (and kind), in pack order.

    Each item is an award code, or ``(code, kind)`` with kind "individual" | "collective" when the
    award pays collectives a different multiple (e.g. Bằng khen của Bộ trưởng). A bare code is
    priced at the award's ``cash_multiple``.
    """
    _, base_salary, citation = base_salary_entry(decision_date)
    counts: dict[tuple[str, str], int] = {}
    for item in award_codes:
        code, kind = (item, "individual") if isinstance(item, str) else item
        if code not in pack.awards:
            raise ValueError(
                f"Danh hiệu/hình thức '{code}' không có trong bộ quy định {pack.code}. / "
                f"Award '{code}' is not in rule pack {pack.code}."
            )
        if kind not in ("individual", "collective"):
            raise ValueError(f"Loại đối tượng không hợp lệ / invalid nominee kind: {kind!r}")
        counts[(code, kind)] = counts.get((code, kind), 0) + 1
    order = {code: index for index, code in enumerate(pack.awards)}
    lines: list[BudgetLine] = []
    for (code, kind), count in sorted(
        counts.items(), key=lambda item: (order[item[0][0]], item[0][1] != "individual")
    ):
        award = pack.awards[code]
        multiple = award.cash_multiple_for(kind)
        separate_rate = award.cash_multiple_collective is not None
        collective_rate = kind == "collective" and separate_rate
        status = award.cash_collective_status if collective_rate else award.cash_status
        name = award.name_vi
        if separate_rate:
            name += " (tập thể)" if kind == "collective" else " (cá nhân)"
        unit_amount = award_amount(multiple, base_salary)
        lines.append(
            BudgetLine(
                award_code=code,
                award_name=name,
                count=count,
                unit_amount=unit_amount,
                total=unit_amount * count,
                kind=kind,
                multiple=multiple,
                unconfirmed=status == UNCONFIRMED,
            )
        )
    return Budget(
        decision_date=decision_date,
        base_salary=base_salary,
        lines=lines,
        total=sum(line.total for line in lines),
        base_salary_citation=citation,
    )


def format_vnd(amount: int) -> str:
    """1390000 -> "1.390.000 đ"."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount):,} đ".replace(",", ".")
