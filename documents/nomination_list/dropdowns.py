"""Excel-side help while the unit types: the lists of choices (on the "Danh mục" sheet, named
so a column's validation can use them) and the validation rules. Excel enforces them only while
typing; a paste bypasses them, so the reader checks every value again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from openpyxl.worksheet.datavalidation import DataValidation

from models.nomination import InitiativeLevel, NomineeKind

if TYPE_CHECKING:
    from documents.nomination_list.layout import AwardIndex

YES, NO = "Có", "Không"
GENDERS = ("Nam", "Nữ")
INITIATIVE_LABELS: dict[InitiativeLevel, str] = {
    InitiativeLevel.NONE: "Không",
    InitiativeLevel.BASE: "Cơ sở",
    InitiativeLevel.MINISTRY: "Bộ",
    InitiativeLevel.NATIONAL: "Toàn quốc",
}
CATEGORIES = {"title": "danh hiệu thi đua", "form": "hình thức khen thưởng"}
KIND_VI = {NomineeKind.INDIVIDUAL: "cá nhân", NomineeKind.COLLECTIVE: "tập thể"}


@dataclass(frozen=True)
class Dropdown:
    """A list of choices on the "Danh mục" sheet, named so a column's validation can use it."""

    name: str  # the workbook's defined name
    heading: str
    values: tuple[str, ...]
    width: float = 16
    # Its place on "Danh mục": the awards first (people's titles, their forms, then the
    # collectives'), then the others.
    rank: tuple[int, ...] = (1,)


GENDER_LIST = Dropdown("DM_GIOI_TINH", "Giới tính", GENDERS, rank=(1, 0))
YES_NO_LIST = Dropdown("DM_CO_KHONG", "Có/Không", (YES, NO), rank=(1, 1))
INITIATIVE_LIST = Dropdown(
    "DM_SANG_KIEN", "Sáng kiến – cấp công nhận", tuple(INITIATIVE_LABELS.values()), rank=(1, 2)
)


def award_dropdown(kind: NomineeKind, category: str, index: AwardIndex) -> Dropdown:
    award = "DH" if category == "title" else "HT"
    who = "CA_NHAN" if kind == NomineeKind.INDIVIDUAL else "TAP_THE"
    return Dropdown(
        f"DM_{award}_{who}",
        f"{CATEGORIES[category].capitalize()} – {KIND_VI[kind]}",
        tuple(index.names(kind, category)),
        width=34,
        rank=(0, kind != NomineeKind.INDIVIDUAL, category != "title"),
    )


def list_rule(dropdown: Dropdown, prompt: str, error: str) -> DataValidation:
    return DataValidation(
        type="list",
        formula1=dropdown.name,
        allow_blank=True,
        showInputMessage=True,
        promptTitle="Chọn từ danh sách",
        prompt=prompt,
        showErrorMessage=True,
        errorTitle="Giá trị không hợp lệ",
        error=error,
    )


def between_rule(kind: str, low: str, high: str, error: str, **extra: Any) -> DataValidation:
    return DataValidation(
        type=kind,
        operator="between",
        formula1=low,
        formula2=high,
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=extra.pop("errorTitle", "Giá trị không hợp lệ"),
        error=error,
        **extra,
    )
