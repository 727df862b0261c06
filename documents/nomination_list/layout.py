"""The list's layout: its sheets and columns (each with its codec), whose list it is, and the
campaign's awards indexed the ways the list needs them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from documents.nomination_list.cells import lookup_key
from documents.nomination_list.codecs import (
    YES_NO_PROMPT,
    Attachments,
    Award,
    BirthDate,
    Choice,
    Codec,
    Percent,
    RowNumber,
    Text,
    Years,
    YesNo,
)
from documents.nomination_list.dropdowns import (
    CATEGORIES,
    GENDER_LIST,
    GENDERS,
    INITIATIVE_LABELS,
    INITIATIVE_LIST,
    KIND_VI,
)
from documents.nomination_list.errors import ErrorCode, RowError
from documents.text import match_key
from models.nomination import InitiativeLevel, NominationCreate, NomineeKind

SHEET_INDIVIDUALS = "Cá nhân"
SHEET_COLLECTIVES = "Tập thể"
SHEET_LISTS = "Danh mục"
SHEET_META = "_tonvinh"
META_FORMAT = "tonvinh.nomination_list"
TEMPLATE_VERSION = "1"
# Versions intake still reads. A layout change bumps the version; lists already sent out keep
# working only if their version stays in this set.
SUPPORTED_VERSIONS = frozenset({TEMPLATE_VERSION})

TITLE_ROW, INFO_ROW, HEADER_ROW, FIRST_DATA_ROW = 1, 2, 3, 4
# A blank template carries dropdowns and validation on this many rows (more than any unit sends).
FORMATTED_ROWS = 1000
HEADER_SEARCH = 5  # rows below the header row searched for a header moved by inserted rows
NOMINEES = ("individual", "collective", "both")


# --------------------------------------------------------------------------------------------
# Public data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AwardChoice:
    """A title or form the campaign offers, as the list shows it (``name_vi``) and stores it."""

    code: str
    name_vi: str
    category: str  # "title" | "form"
    nominee: str  # "individual" | "collective" | "both"


@dataclass(frozen=True)
class ListHeader:
    """Whose list this is; written into the hidden sheet so intake never has to guess."""

    campaign_code: str
    campaign_name: str
    unit_code: str
    unit_name: str
    deadline: date


@dataclass(frozen=True)
class ParsedList:
    """A list that passed every check: whose it is, its rows, and the file's fingerprint.

    ``sha256`` lets intake recognise a re-upload of the very same file.
    """

    header: ListHeader
    nominations: list[NominationCreate]
    sha256: str


# --------------------------------------------------------------------------------------------
# Sheets and columns
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a data sheet: the NominationCreate field it holds and how (its codec)."""

    key: str  # NominationCreate field, or "stt"
    header: str  # the text on row 3
    width: float
    codec: Codec
    required: bool = False
    prompt: str = ""  # the header's comment: how to fill the column (max 255 chars)

    @property
    def label(self) -> str:
        """The header without the "(*)" marker: how errors name the column."""
        return self.header.replace(" (*)", "")


@dataclass(frozen=True)
class SheetSpec:
    name: str
    title: str
    kind: NomineeKind
    columns: tuple[Column, ...]
    note: str
    # The fields that identify a nominee within the list (the name first): the same identity
    # on two rows is one nominee entered twice.
    identity: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_positions", {c.key: i for i, c in enumerate(self.columns)})

    def position(self, key: str) -> int:
        """0-based position of the column holding ``key``."""
        positions: dict[str, int] = self.__dict__["_positions"]
        return positions[key]

    def column(self, key: str) -> Column:
        return self.columns[self.position(key)]


_NAME_PROMPT = "Ghi đầy đủ họ tên có dấu, ví dụ: Nguyễn Thị Hương."
_TITLE_PROMPT = "Chọn từ danh sách thả xuống (danh hiệu của đợt thi đua này)."
_FORM_PROMPT = "Chọn từ danh sách thả xuống (hình thức khen thưởng của đợt thi đua này)."
_SUMMARY_PROMPT = "Tóm tắt ngắn thành tích; báo cáo đầy đủ gửi kèm trong tệp đính kèm."
_FILES_PROMPT = "Tên các tệp gửi kèm (báo cáo thành tích, biên bản...), cách nhau bởi dấu ;"
_DISCIPLINE = "Đang bị kỷ luật, điều tra, khiếu nại (Có/Không)"

_TEXT = Text()
_SUMMARY = Text(max_length=None, single_line=False, wrap=True)
_CATEGORY = Text(max_length=128)
_YES_NO = YesNo()
_TITLE, _FORM = Award("title"), Award("form")
_GENDER = Choice(
    GENDER_LIST,
    {gender: gender for gender in GENDERS},
    prompt="Chọn Nam hoặc Nữ.",
    error="Chọn Nam hoặc Nữ.",
)
_INITIATIVE = Choice(
    INITIATIVE_LIST,
    INITIATIVE_LABELS,
    default=InitiativeLevel.NONE,
    # What people actually type for the initiative level, beyond the dropdown's wording.
    aliases={
        "cấp cơ sở": InitiativeLevel.BASE,
        "cấp bộ": InitiativeLevel.MINISTRY,
        "cấp toàn quốc": InitiativeLevel.NATIONAL,
    },
    prompt="Cấp công nhận sáng kiến: Không, Cơ sở, Bộ hoặc Toàn quốc.",
    error="Chỉ chọn: Không, Cơ sở, Bộ hoặc Toàn quốc.",
)

INDIVIDUALS = SheetSpec(
    name=SHEET_INDIVIDUALS,
    title="DANH SÁCH CÁ NHÂN ĐỀ NGHỊ KHEN THƯỞNG",
    kind=NomineeKind.INDIVIDUAL,
    columns=(
        Column("stt", "STT", 6, RowNumber()),
        Column("full_name", "Họ và tên (*)", 26, _TEXT, True, _NAME_PROMPT),
        Column("gender", "Giới tính (*)", 10, _GENDER, True, "Chọn Nam hoặc Nữ."),
        Column(
            "birth_date",
            "Ngày sinh (*)",
            13,
            BirthDate(),
            True,
            "Nhập ngày dạng dd/mm/yyyy, ví dụ 12/05/1980. Ô phải là kiểu ngày, không phải chữ.",
        ),
        Column("position", "Chức vụ", 20, _TEXT),
        Column("department", "Phòng ban / tổ công tác", 22, _TEXT),
        Column("workplace", "Đơn vị công tác", 26, _TEXT),
        Column("address", "Địa chỉ", 24, _TEXT),
        Column(
            "category", "Phân loại cán bộ", 16, _CATEGORY, False, "Ví dụ: Công chức, Viên chức..."
        ),
        Column("proposed_form", "Hình thức khen thưởng", 28, _FORM, False, _FORM_PROMPT),
        Column("proposed_title", "Danh hiệu thi đua (nếu có)", 28, _TITLE, False, _TITLE_PROMPT),
        Column(
            "consecutive_base_years",
            "Số năm liên tục đạt CSTĐCS",
            13,
            Years(0, 50),
            False,
            "Số năm liên tục đạt Chiến sĩ thi đua cơ sở, tính cả năm nay (0-50).",
        ),
        Column(
            "consecutive_ministry_years",
            "Số năm liên tục đạt CSTĐ cấp Bộ",
            13,
            Years(0, 50),
            False,
            "Số năm liên tục đạt Chiến sĩ thi đua cấp Bộ (0-50).",
        ),
        Column(
            "initiative_level",
            "Sáng kiến (cấp công nhận: Không / Cơ sở / Bộ / Toàn quốc)",
            20,
            _INITIATIVE,
            False,
            "Cấp cao nhất đã công nhận sáng kiến. Để trống được hiểu là Không.",
        ),
        Column(
            "excellent_completion",
            "Hoàn thành xuất sắc nhiệm vụ (Có/Không)",
            15,
            _YES_NO,
            False,
            YES_NO_PROMPT,
        ),
        Column("under_discipline", _DISCIPLINE, 17, _YES_NO, False, YES_NO_PROMPT),
        Column(
            "achievement_summary", "Tóm tắt thành tích (*)", 50, _SUMMARY, True, _SUMMARY_PROMPT
        ),
        Column("attachments", "Tệp đính kèm", 30, Attachments(), False, _FILES_PROMPT),
    ),
    note=(
        "Ghi chú: Cột có dấu (*) là bắt buộc. Mỗi cá nhân một dòng, từ dòng 4. Giới tính, "
        "danh hiệu, hình thức, Có/Không: chọn từ danh sách thả xuống. Ngày sinh nhập là ngày "
        "(dd/mm/yyyy), không nhập dạng chữ. Không dùng công thức. Phải có danh hiệu hoặc hình "
        "thức khen thưởng. Tên tệp đính kèm cách nhau bởi dấu ;"
    ),
    identity=("full_name", "birth_date"),
)

COLLECTIVES = SheetSpec(
    name=SHEET_COLLECTIVES,
    title="DANH SÁCH TẬP THỂ ĐỀ NGHỊ KHEN THƯỞNG",
    kind=NomineeKind.COLLECTIVE,
    columns=(
        Column("stt", "STT", 6, RowNumber()),
        Column(
            "full_name",
            "Tên đơn vị / tập thể (*)",
            36,
            _TEXT,
            True,
            "Ghi đầy đủ tên tập thể và đơn vị, ví dụ: Phòng Tổng hợp, Cục Tin học hóa.",
        ),
        Column(
            "category", "Phân loại tập thể", 18, _CATEGORY, False, "Ví dụ: Phòng, Tổ, Trung tâm..."
        ),
        Column("proposed_form", "Hình thức khen thưởng", 30, _FORM, False, _FORM_PROMPT),
        Column("proposed_title", "Danh hiệu thi đua (nếu có)", 30, _TITLE, False, _TITLE_PROMPT),
        Column(
            "women_share",
            "Tỷ lệ nữ (%)",
            11,
            Percent(),
            False,
            "Tỷ lệ nữ trong tập thể, từ 0 đến 100 (ví dụ 45 nghĩa là 45%).",
        ),
        Column("under_discipline", _DISCIPLINE, 17, _YES_NO, False, YES_NO_PROMPT),
        Column(
            "achievement_summary", "Tóm tắt thành tích (*)", 60, _SUMMARY, True, _SUMMARY_PROMPT
        ),
        Column("attachments", "Tệp đính kèm", 30, Attachments(), False, _FILES_PROMPT),
    ),
    note=(
        "Ghi chú: Cột có dấu (*) là bắt buộc. Mỗi tập thể một dòng, từ dòng 4. Danh hiệu, "
        "hình thức, Có/Không: chọn từ danh sách thả xuống. Tỷ lệ nữ là số từ 0 đến 100. "
        "Không dùng công thức. Phải có danh hiệu hoặc hình thức khen thưởng. Tên tệp đính kèm "
        "cách nhau bởi dấu ;"
    ),
    identity=("full_name",),
)

SPECS = (INDIVIDUALS, COLLECTIVES)
_SHEET_ORDER = {"": 0, SHEET_META: 0, SHEET_INDIVIDUALS: 1, SHEET_COLLECTIVES: 2}


def error_order(error: RowError) -> tuple[int, int, int]:
    """File-level problems first, then each sheet top to bottom, left to right."""
    spec = next((s for s in SPECS if s.name == error.sheet), None)
    column = 0
    if spec is not None:
        column = next((i for i, c in enumerate(spec.columns) if c.label == error.column), 0)
    return (_SHEET_ORDER.get(error.sheet, 3), error.row, column)


# --------------------------------------------------------------------------------------------
# The campaign's awards, indexed the ways the list needs them
# --------------------------------------------------------------------------------------------


class AwardIndex:
    """The awards on offer, by (sheet kind, category) and by the key of their Vietnamese name.

    An award for "both" appears on both sheets. Two different awards whose names share a key in
    the same dropdown would make a typed name ambiguous, so that is refused as a configuration
    error (a ValueError, not a unit's mistake).
    """

    def __init__(self, awards: Sequence[AwardChoice]) -> None:
        self.slots: dict[tuple[NomineeKind, str], dict[str, AwardChoice]] = {}
        self.by_code: dict[str, AwardChoice] = {}
        for award in awards:
            if award.category not in CATEGORIES:
                raise ValueError(f"award {award.code}: category must be title|form")
            if award.nominee not in NOMINEES:
                raise ValueError(f"award {award.code}: nominee must be one of {NOMINEES}")
            self.by_code[award.code] = award
            kinds = (
                [NomineeKind.INDIVIDUAL, NomineeKind.COLLECTIVE]
                if award.nominee == "both"
                else [NomineeKind(award.nominee)]
            )
            for kind in kinds:
                slot = self.slots.setdefault((kind, award.category), {})
                key = match_key(award.name_vi)
                other = slot.get(key)
                if other is not None and other.code != award.code:
                    raise ValueError(
                        f"Hai danh hiệu/hình thức trùng tên '{award.name_vi}' "
                        f"({other.code}, {award.code}). (Ambiguous award names.)"
                    )
                slot[key] = award

    def names(self, kind: NomineeKind, category: str) -> list[str]:
        return [award.name_vi for award in self.slots.get((kind, category), {}).values()]

    def find(self, kind: NomineeKind, category: str, text: str) -> AwardChoice | None:
        return self.slots.get((kind, category), {}).get(lookup_key(text))

    def explain(self, kind: NomineeKind, category: str, text: str) -> tuple[ErrorCode, str, str]:
        """Why a typed award was not accepted, pointing at the likely fix."""
        other_category = "form" if category == "title" else "title"
        if self.find(kind, other_category, text) is not None:
            spec = INDIVIDUALS if kind == NomineeKind.INDIVIDUAL else COLLECTIVES
            column = spec.column(f"proposed_{other_category}")
            return (
                ErrorCode.AWARD_IN_OTHER_COLUMN,
                f'"{text}" là {CATEGORIES[other_category]}, hãy ghi vào cột "{column.label}"',
                f"'{text}' is a {other_category}; put it in the other column",
            )
        other_kind = (
            NomineeKind.COLLECTIVE if kind == NomineeKind.INDIVIDUAL else NomineeKind.INDIVIDUAL
        )
        if any(self.find(other_kind, c, text) for c in CATEGORIES):
            return (
                ErrorCode.AWARD_FOR_OTHER_KIND,
                f'"{text}" chỉ xét cho {KIND_VI[other_kind]}, không xét cho {KIND_VI[kind]}',
                f"'{text}' is for {other_kind} nominees only",
            )
        return (
            ErrorCode.UNKNOWN_AWARD,
            f'"{text}" không có trong danh mục {CATEGORIES[category]} của đợt thi đua này; '
            f"hãy chọn từ danh sách thả xuống",
            f"'{text}' is not a {category} on offer in this campaign",
        )
