"""Legal rule packs: versioned data with citations, loaded from ``models/rules/packs/*.toml``.

A rule pack is a TOML file in ``models/rules/packs/``: one per legal regime, in force from
``effective_from`` to ``effective_to``. Every value carries a citation and a status — "C" confirmed
from quoted legal text, "U" unconfirmed. Unconfirmed values may be overridden by configuration
(``load_rule_pack(code, overrides=...)``, fed from ``TONVINH_RULE_OVERRIDES``) and are always
listed by ``RulePack.unconfirmed_notes()`` so that the operator sees them. The override key of a
value is its path in the TOML file (``quorum``, ``tie_break.collective_women_share``,
``<AWARD>.council_threshold`` for ``awards.<AWARD>.council_threshold``).

What the pack says about the campaign as a whole:

- ``quorum``              share of council members who must take part
- ``base_title_cap``      the old cap of Chiến sĩ thi đua cơ sở over Lao động tiên tiến
- ``frozen_nominee``      no nomination while under discipline, investigation or an unresolved
                          complaint; ``verdict`` says what review does with such a dossier
- ``tie_break``           prefer women, or collectives with at least ``collective_women_share``
- ``achievement_report``  whether a dossier must carry an achievement report
- ``returned_dossier``    ``resubmission_working_days`` a unit has to send a returned dossier back

Award criteria are data too, interpreted generically by ``eligibility.check_eligibility`` (no
per-title code):

- ``min_consecutive_base_years``     consecutive years as Chiến sĩ thi đua cơ sở
- ``min_consecutive_ministry_years``  consecutive Chiến sĩ thi đua cấp Bộ
- ``min_initiative_level``           "none" < "co_so" < "bo" < "toan_quoc"
- ``excellent_or_initiative``        excellent completion OR an initiative recognised at the unit
- ``requires_achievement_report``    the dossier must carry an achievement report (warning)
- ``severity``                       "error" (default) or "warning" when the rule is only one
                                     ground among several
- ``individual`` / ``collective``    a sub-table of the keys above applying to that kind only
"""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from fractions import Fraction
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from models.rules.identity import normalise_text

CONFIRMED = "C"
UNCONFIRMED = "U"
# What an unconfirmed value is about: the council (quorum, tie-break), eligibility (cap, frozen
# nominees, the report), council thresholds, cash, criteria, review (the resubmission window).
NOTE_TOPICS = ("council", "eligibility", "threshold", "cash", "criteria", "review")
_STATUSES = (CONFIRMED, UNCONFIRMED)

INITIATIVE_LEVELS: tuple[str, ...] = ("none", "co_so", "bo", "toan_quoc")
INITIATIVE_NAMES_VI = {
    "none": "không có",
    "co_so": "cấp cơ sở",
    "bo": "cấp Bộ",
    "toan_quoc": "toàn quốc",
}
INITIATIVE_NAMES_EN = {
    "none": "none",
    "co_so": "unit level",
    "bo": "ministry-wide",
    "toan_quoc": "nationwide",
}

KIND_VI = {"individual": "cá nhân", "collective": "tập thể"}

_RULE_KEYS = frozenset(
    {
        "min_consecutive_base_years",
        "min_consecutive_ministry_years",
        "min_initiative_level",
        "excellent_or_initiative",
        "requires_achievement_report",
        "severity",
    }
)
_KINDS = ("individual", "collective")
_NOMINEES = ("individual", "collective", "both")
_CATEGORIES = ("title", "form")
_OVERRIDABLE_AWARD_FIELDS = ("council_threshold", "cash_multiple", "cash_multiple_collective")

# What review does with the dossier of a frozen nominee: refuse it (the law bars the nomination,
# resubmitting cannot fix it) or return it to the unit (to resubmit once the matter is settled).
FROZEN_VERDICTS = ("ineligible", "returned")
FROZEN_VERDICTS_VI = {
    "ineligible": "không đủ điều kiện (không nộp lại được)",
    "returned": "trả lại đơn vị",
}

_PACKAGE = "models.rules.packs"


# ---------------------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Award:
    code: str  # ASCII code, e.g. CSTDCS, BK_BO
    name_vi: str
    name_en: str
    category: str  # "title" | "form"
    nominee: str  # "individual" | "collective" | "both"
    council_threshold: float  # share of ALL council members voting in favour
    threshold_status: str
    threshold_citation: str
    cash_multiple: float  # × base salary (for a collective see cash_multiple_for)
    cash_status: str
    cash_citation: str
    secret_ballot: bool
    criteria: Mapping[str, Any]
    criteria_citation: str
    criteria_status: str = CONFIRMED
    # Forms given to both kinds pay a collective a different multiple (None: same as individual).
    cash_multiple_collective: float | None = None
    cash_collective_status: str = CONFIRMED
    cash_collective_citation: str = ""

    def cash_multiple_for(self, kind: str) -> float:
        if kind == "collective" and self.cash_multiple_collective is not None:
            return self.cash_multiple_collective
        return self.cash_multiple

    def accepts(self, kind: str) -> bool:
        return self.nominee == "both" or self.nominee == kind

    def criteria_for(self, kind: str) -> dict[str, Any]:
        """The rule keys that apply to a nominee of ``kind`` (common keys, then the kind's own)."""
        merged = {k: v for k, v in self.criteria.items() if k not in _KINDS}
        own = self.criteria.get(kind)
        if isinstance(own, Mapping):
            merged.update(own)
        return merged


@dataclass(frozen=True)
class RulePack:
    code: str
    name: str
    effective_from: date
    effective_to: date | None
    citation: str
    awards: Mapping[str, Award]
    quorum: float
    quorum_status: str
    quorum_citation: str
    base_title_cap: float | None
    base_title_cap_citation: str
    frozen_nominee_citation: str
    tie_break_citation: str
    base_title_cap_status: str = CONFIRMED
    frozen_nominee_status: str = CONFIRMED
    tie_break_status: str = CONFIRMED
    achievement_report_citation: str = ""
    achievement_report_status: str = CONFIRMED
    # What review does with a frozen nominee's dossier (one of FROZEN_VERDICTS); the status and
    # citation are the frozen_nominee rule's own.
    frozen_nominee_verdict: str = "ineligible"
    # Collectives with at least this share of women are preferred in a tie (the tie-break rule's
    # status and citation).
    tie_break_women_share: float = 0.7
    # Working days a unit has to send back a returned dossier.
    resubmission_working_days: int = 5
    resubmission_status: str = CONFIRMED
    resubmission_citation: str = ""
    # How a member recused on a dossier (own unit, own nomination, declared conflict) enters
    # its threshold: excluded from the denominator (the share is of the members who may vote on
    # it) or counted like a member who did not vote in favour. The quorum always counts everyone.
    recused_excluded_from_denominator: bool = True
    recusal_status: str = UNCONFIRMED
    recusal_citation: str = (
        "Chưa có văn bản xác nhận cách tính thành viên không tham gia biểu quyết do xung đột lợi "
        "ích; mặc định loại khỏi mẫu số (Quy chế Hội đồng của Bộ)"
    )
    # key -> (value in the pack, configured value), for every override applied
    overridden: Mapping[str, tuple[float | str, float | str]] = field(default_factory=dict)

    def covers(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )

    def award_by_name(self, text: str) -> Award | None:
        """The award whose Vietnamese name or code is ``text`` (NFC; case, spacing ignored)."""
        wanted = normalise_text(text)
        if not wanted:
            return None
        for award in self.awards.values():
            if wanted == normalise_text(award.name_vi) or wanted == award.code.casefold():
                return award
        return None

    def award_for(self, text: str) -> Award:
        """The award a nomination proposes (its code, or its name as typed); ValueError if the
        pack has none, naming the pack so the operator knows which regime refused it."""
        award = self.awards.get(text) or self.award_by_name(text)
        if award is None:
            raise ValueError(
                f"Danh hiệu/hình thức '{text}' không có trong bộ quy định {self.code}. / "
                f"Award '{text}' is not in rule pack {self.code}."
            )
        return award

    # ---------------------------------------------------- typed accessors of the pack's rules

    def prefers_in_tie(self, gender: str | None, women_share: float | None) -> bool:
        """Whether a nominee goes first when tied at a quota's cut line: a woman, or a collective
        whose share of women reaches ``tie_break_women_share`` (compared exactly: 7 women of 10
        meet 70%)."""
        if gender is not None and normalise_text(gender) == "nữ":
            return True
        if women_share is None:
            return False
        needed = Fraction(self.tie_break_women_share).limit_denominator(10_000)
        return Fraction(women_share).limit_denominator(10_000) >= needed

    def tie_break_rule_vi(self) -> str:
        """The tie-break as the minutes say it, with the pack's share: "ưu tiên nữ, tập thể có
        từ 70% nữ"."""
        return f"ưu tiên nữ, tập thể có từ {percent_vi(self.tie_break_women_share)} nữ"

    def frozen_nominee_refused(self) -> bool:
        """True when a frozen nominee's dossier is refused outright (ineligible), False when it
        is returned to the unit like any dossier with errors."""
        return self.frozen_nominee_verdict == "ineligible"

    def resubmission_note(self) -> str:
        """The resubmission window with its legal basis, as a return letter or the review's
        output cites it; says so when the value is unconfirmed or configured."""
        text = f"{self.resubmission_working_days} ngày làm việc ({self.resubmission_citation}"
        key = "returned_dossier.resubmission_working_days"
        if key in self.overridden:
            text += "; đã cấu hình"
        elif self.resubmission_status == UNCONFIRMED:
            text += "; chưa xác nhận"
        return text + ")"

    def threshold_mark(self, award_code: str) -> str:
        """What a table of votes says beside an award's council threshold: nothing when the
        law confirms it, else whether the operator configured it or it is still unconfirmed."""
        if self.awards[award_code].threshold_status != UNCONFIRMED:
            return ""
        if f"{award_code}.council_threshold" in self.overridden:
            return " (đã cấu hình)"
        return " (chưa xác nhận)"

    def unconfirmed_notes(
        self,
        award_codes: Collection[str] | None = None,
        topics: Collection[str] = NOTE_TOPICS,
    ) -> list[str]:
        """Every unconfirmed value of the pack, in Vietnamese, with its citation and override key.

        ``award_codes`` limits the award values (council threshold, cash, criteria) to the
        awards a stage actually used, and ``topics`` (of ``NOTE_TOPICS``) to what it relied on,
        so a tally or a decision names exactly that. Awards sharing the same unconfirmed
        council threshold and citation share one note.
        """
        notes: list[str] = []
        used = [a for a in self.awards.values() if award_codes is None or a.code in award_codes]

        def note(
            topic: str,
            label: str,
            shown: str,
            citation: str,
            key: str | None,
            show: Callable[[Any], str] = _number,
        ) -> None:
            if topic not in topics:
                return
            text = f"{label}: {shown} — chưa xác nhận ({citation})"
            if key is not None and key in self.overridden:
                original, configured = self.overridden[key]
                text += f"; đã cấu hình {show(configured)} (trong bộ quy định: {show(original)})"
            elif key is not None:
                text += f"; có thể cấu hình: {key}"
            notes.append(text)

        if self.quorum_status == UNCONFIRMED:
            note(
                "council",
                "Tỷ lệ thành viên Hội đồng tối thiểu tham gia",
                percent_vi(self.quorum),
                self.quorum_citation,
                "quorum",
                percent_vi,
            )
        if self.recusal_status == UNCONFIRMED:
            note(
                "council",
                "Thành viên không tham gia biểu quyết (xung đột lợi ích)",
                "loại khỏi mẫu số"
                if self.recused_excluded_from_denominator
                else "tính vào mẫu số như không đồng ý",
                self.recusal_citation,
                None,
                str,
            )
        if self.base_title_cap_status == UNCONFIRMED and self.base_title_cap is not None:
            note(
                "eligibility",
                "Tỷ lệ trần Chiến sĩ thi đua cơ sở / Lao động tiên tiến",
                percent_vi(self.base_title_cap),
                self.base_title_cap_citation,
                "base_title_cap",
                percent_vi,
            )
        if self.frozen_nominee_status == UNCONFIRMED:
            note(
                "eligibility",
                "Không đề nghị khen thưởng người đang bị kỷ luật, điều tra, khiếu nại",
                f"hồ sơ {FROZEN_VERDICTS_VI[self.frozen_nominee_verdict]}",
                self.frozen_nominee_citation,
                "frozen_nominee.verdict",
                lambda verdict: f"«{FROZEN_VERDICTS_VI[verdict]}»",
            )
        if self.tie_break_status == UNCONFIRMED:
            note(
                "council",
                "Tỷ lệ nữ để tập thể được ưu tiên khi bằng phiếu",
                percent_vi(self.tie_break_women_share),
                self.tie_break_citation,
                "tie_break.collective_women_share",
                percent_vi,
            )
        if self.achievement_report_status == UNCONFIRMED:
            note(
                "eligibility",
                "Hồ sơ phải có báo cáo thành tích",
                "căn cứ pháp lý",
                self.achievement_report_citation,
                None,
            )
        if self.resubmission_status == UNCONFIRMED:
            note(
                "review",
                "Thời hạn đơn vị nộp lại hồ sơ bị trả lại",
                f"{self.resubmission_working_days} ngày làm việc",
                self.resubmission_citation,
                "returned_dossier.resubmission_working_days",
            )
        shared: dict[tuple[float, str], list[Award]] = {}
        for award in used:
            if award.threshold_status != UNCONFIRMED:
                continue
            key = f"{award.code}.council_threshold"
            if key in self.overridden:
                note(
                    "threshold",
                    f"Ngưỡng phiếu Hội đồng cho «{award.name_vi}»",
                    f"{percent_vi(award.council_threshold)} tổng số thành viên",
                    award.threshold_citation,
                    key,
                    percent_vi,
                )
            else:
                group = (award.council_threshold, award.threshold_citation)
                shared.setdefault(group, []).append(award)
        for (threshold, citation), awards in shared.items():
            names = ", ".join(f"«{a.name_vi}»" for a in awards)
            codes = ", ".join(a.code for a in awards)
            key = (
                f"<MÃ>.council_threshold với MÃ là {codes}"
                if len(awards) > 1
                else f"{codes}.council_threshold"
            )
            note(
                "threshold",
                f"Ngưỡng phiếu Hội đồng cho {names}",
                f"{percent_vi(threshold)} tổng số thành viên",
                citation,
                key,
                percent_vi,
            )
        for award in used:
            if award.cash_status == UNCONFIRMED:
                who = " (cá nhân)" if award.cash_multiple_collective is not None else ""
                note(
                    "cash",
                    f"Tiền thưởng «{award.name_vi}»{who}",
                    f"{_number(award.cash_multiple)} lần mức lương cơ sở",
                    award.cash_citation,
                    f"{award.code}.cash_multiple",
                )
            if (
                award.cash_multiple_collective is not None
                and award.cash_collective_status == UNCONFIRMED
            ):
                note(
                    "cash",
                    f"Tiền thưởng «{award.name_vi}» (tập thể)",
                    f"{_number(award.cash_multiple_collective)} lần mức lương cơ sở",
                    award.cash_collective_citation,
                    f"{award.code}.cash_multiple_collective",
                )
            if award.criteria_status == UNCONFIRMED:
                note(
                    "criteria",
                    f"Tiêu chuẩn «{award.name_vi}»",
                    _describe_criteria(award),
                    award.criteria_citation,
                    None,
                )
        return notes


def _number(value: float) -> str:
    """4.5 -> "4,5" (Vietnamese decimal comma)."""
    return f"{value:g}".replace(".", ",")


def percent_vi(share: float) -> str:
    """0.8 -> "80%", 2/3 -> "66,7%" (Vietnamese decimal comma)."""
    value = Fraction(share).limit_denominator(10_000) * 100
    if value.denominator == 1:
        return f"{value.numerator}%"
    return f"{float(value):.1f}%".replace(".", ",")


def _describe_criteria(award: Award) -> str:
    skip = ("severity", "requires_achievement_report", *_KINDS)
    parts = [f"{k}={v}" for k, v in award.criteria.items() if k not in skip]
    for kind in _KINDS:
        own = award.criteria.get(kind)
        if isinstance(own, Mapping):
            parts += [f"{KIND_VI[kind]}: {k}={v}" for k, v in own.items() if k not in skip]
    return ", ".join(parts) or "không có"


# ------------------------------------------------------------------------------------- loading


def available_rule_packs() -> list[str]:
    """Codes of the packaged rule packs, sorted."""
    folder = resources.files(_PACKAGE)
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in folder.iterdir()
        if entry.is_file() and entry.name.endswith(".toml")
    )


@cache
def _base_pack(code: str) -> RulePack:
    if code not in available_rule_packs():
        raise ValueError(
            f"Không có bộ quy định '{code}' (có: {', '.join(available_rule_packs())}). / "
            f"Unknown rule pack '{code}'."
        )
    raw = tomllib.loads(resources.files(_PACKAGE).joinpath(f"{code}.toml").read_text("utf-8"))
    try:
        return _parse_pack(code, raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(
            f"Bộ quy định {code}.toml không hợp lệ / invalid rule pack: {exc}"
        ) from exc


def _status(value: Any, where: str) -> str:
    if value not in _STATUSES:
        raise ValueError(f"{where}: status must be one of {_STATUSES}, got {value!r}")
    return str(value)


def _recusal(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """The optional ``[recusal]`` section (a pack without one keeps the dataclass defaults)."""
    if raw is None:
        return {}
    return {
        "recused_excluded_from_denominator": bool(raw["excluded_from_denominator"]),
        "recusal_status": _status(raw["status"], "recusal"),
        "recusal_citation": str(raw["citation"]),
    }


def _share(value: Any, where: str) -> float:
    share = float(Fraction(value)) if isinstance(value, str) else float(value)
    if not 0 < share <= 1:
        raise ValueError(f"{where}: share must be within (0, 1], got {value!r}")
    return share


def _working_days(value: Any, where: str) -> int:
    """A whole, positive number of working days (7 or 7.0; "7" from an environment variable)."""
    number = Fraction(value) if isinstance(value, str) else Fraction(float(value))
    if number.denominator != 1 or number < 1:
        raise ValueError(f"{where}: working days must be a whole number >= 1, got {value!r}")
    return int(number)


def _verdict(value: Any, where: str) -> str:
    if value not in FROZEN_VERDICTS:
        raise ValueError(f"{where}: must be one of {FROZEN_VERDICTS}, got {value!r}")
    return str(value)


def _check_rules(rules: Mapping[str, Any], where: str) -> None:
    for key, value in rules.items():
        if key not in _RULE_KEYS:
            raise ValueError(f"{where}: unknown criteria key {key!r}")
        if key == "min_initiative_level" and value not in INITIATIVE_LEVELS:
            raise ValueError(f"{where}: min_initiative_level {value!r} not in {INITIATIVE_LEVELS}")
        if key == "severity" and value not in ("error", "warning"):
            raise ValueError(f"{where}: severity {value!r}")


def _parse_award(code: str, raw: Mapping[str, Any]) -> Award:
    where = f"awards.{code}"
    if raw["category"] not in _CATEGORIES:
        raise ValueError(f"{where}: category {raw['category']!r}")
    if raw["nominee"] not in _NOMINEES:
        raise ValueError(f"{where}: nominee {raw['nominee']!r}")
    threshold = raw["council_threshold"]
    cash = raw["cash_multiple"]
    criteria_raw = dict(raw.get("criteria", {}))
    criteria_citation = str(criteria_raw.pop("citation", ""))
    criteria_status = _status(criteria_raw.pop("status", CONFIRMED), f"{where}.criteria")
    common = {k: v for k, v in criteria_raw.items() if k not in _KINDS}
    _check_rules(common, f"{where}.criteria")
    for kind in _KINDS:
        if kind in criteria_raw:
            _check_rules(criteria_raw[kind], f"{where}.criteria.{kind}")
            criteria_raw[kind] = MappingProxyType(dict(criteria_raw[kind]))
    collective = raw.get("cash_multiple_collective")
    if float(cash["value"]) < 0 or (collective is not None and float(collective["value"]) < 0):
        raise ValueError(f"{where}: negative cash multiple")
    return Award(
        code=code,
        name_vi=unicodedata.normalize("NFC", str(raw["name_vi"])),
        name_en=str(raw["name_en"]),
        category=str(raw["category"]),
        nominee=str(raw["nominee"]),
        council_threshold=_share(threshold["value"], f"{where}.council_threshold"),
        threshold_status=_status(threshold["status"], f"{where}.council_threshold"),
        threshold_citation=str(threshold["citation"]),
        cash_multiple=float(cash["value"]),
        cash_status=_status(cash["status"], f"{where}.cash_multiple"),
        cash_citation=str(cash["citation"]),
        secret_ballot=bool(raw["secret_ballot"]),
        criteria=MappingProxyType(criteria_raw),
        criteria_citation=criteria_citation,
        criteria_status=criteria_status,
        cash_multiple_collective=None if collective is None else float(collective["value"]),
        cash_collective_status=(
            CONFIRMED
            if collective is None
            else _status(collective["status"], f"{where}.cash_multiple_collective")
        ),
        cash_collective_citation="" if collective is None else str(collective["citation"]),
    )


def _parse_pack(code: str, raw: Mapping[str, Any]) -> RulePack:
    if raw["code"] != code:
        raise ValueError(f"code {raw['code']!r} does not match the file name {code!r}")
    awards = {award_code: _parse_award(award_code, a) for award_code, a in raw["awards"].items()}
    for award_code in awards:
        if not award_code.isascii():
            raise ValueError(f"award code {award_code!r} must be ASCII")
    cap = raw["base_title_cap"]
    frozen, tie_break = raw["frozen_nominee"], raw["tie_break"]
    returned = raw["returned_dossier"]
    effective_to = raw.get("effective_to")
    return RulePack(
        code=code,
        name=str(raw["name"]),
        effective_from=raw["effective_from"],
        effective_to=effective_to,
        citation=str(raw["citation"]),
        awards=MappingProxyType(awards),
        quorum=_share(raw["quorum"]["value"], "quorum"),
        quorum_status=_status(raw["quorum"]["status"], "quorum"),
        quorum_citation=str(raw["quorum"]["citation"]),
        base_title_cap=None if "value" not in cap else _share(cap["value"], "base_title_cap"),
        base_title_cap_citation=str(cap["citation"]),
        base_title_cap_status=_status(cap["status"], "base_title_cap"),
        frozen_nominee_citation=str(frozen["citation"]),
        frozen_nominee_status=_status(frozen["status"], "frozen_nominee"),
        frozen_nominee_verdict=_verdict(frozen["verdict"], "frozen_nominee.verdict"),
        tie_break_citation=str(tie_break["citation"]),
        tie_break_status=_status(tie_break["status"], "tie_break"),
        tie_break_women_share=_share(
            tie_break["collective_women_share"], "tie_break.collective_women_share"
        ),
        **_recusal(raw.get("recusal")),
        achievement_report_citation=str(raw["achievement_report"]["citation"]),
        achievement_report_status=_status(raw["achievement_report"]["status"], "achievement"),
        resubmission_working_days=_working_days(
            returned["resubmission_working_days"], "returned_dossier.resubmission_working_days"
        ),
        resubmission_status=_status(returned["status"], "returned_dossier"),
        resubmission_citation=str(returned["citation"]),
    )


# Override key (the value's path in the TOML file) -> the RulePack field holding the value, the
# field holding its status, and how a configured value is read and checked.
_PACK_OVERRIDES: dict[str, tuple[str, str, Callable[[Any, str], Any]]] = {
    "quorum": ("quorum", "quorum_status", _share),
    "base_title_cap": ("base_title_cap", "base_title_cap_status", _share),
    "tie_break.collective_women_share": ("tie_break_women_share", "tie_break_status", _share),
    "returned_dossier.resubmission_working_days": (
        "resubmission_working_days",
        "resubmission_status",
        _working_days,
    ),
    "frozen_nominee.verdict": ("frozen_nominee_verdict", "frozen_nominee_status", _verdict),
}


def load_rule_pack(code: str, overrides: Mapping[str, Any] | None = None) -> RulePack:
    """The rule pack ``code``, with configured values for some of its unconfirmed ("U") values.

    Override keys: ``quorum``, ``base_title_cap``, ``tie_break.collective_women_share``,
    ``returned_dossier.resubmission_working_days``, ``frozen_nominee.verdict`` ("ineligible" or
    "returned"), ``<AWARD>.council_threshold``, ``<AWARD>.cash_multiple``,
    ``<AWARD>.cash_multiple_collective``. Overriding a confirmed value, an unknown key or an
    out-of-range value raises ValueError.
    """
    pack = _base_pack(code)
    if not overrides:
        return pack
    awards = dict(pack.awards)
    changes: dict[str, Any] = {}
    applied: dict[str, tuple[float | str, float | str]] = {}

    def refuse(key: str, why_vi: str, why_en: str) -> ValueError:
        return ValueError(
            f"Không thể ghi đè '{key}' trong bộ quy định {code}: {why_vi}. / "
            f"Cannot override '{key}' in rule pack {code}: {why_en}."
        )

    for key, raw_value in overrides.items():
        if key in _PACK_OVERRIDES:
            field_name, status_field, read = _PACK_OVERRIDES[key]
            current = getattr(pack, field_name)
            if current is None:
                raise refuse(key, "bộ quy định không có tỷ lệ trần", "the pack has no cap")
            if getattr(pack, status_field) != UNCONFIRMED:
                raise refuse(key, "giá trị đã được xác nhận", "the value is confirmed")
            try:
                configured = read(raw_value, key)
            except (TypeError, ValueError, ZeroDivisionError) as exc:
                raise refuse(
                    key, f"giá trị {raw_value!r} không hợp lệ", f"invalid value: {exc}"
                ) from exc
            changes[field_name] = configured
            applied[key] = (current, configured)
            continue
        try:
            value = float(Fraction(raw_value)) if isinstance(raw_value, str) else float(raw_value)
        except (TypeError, ValueError, ZeroDivisionError) as exc:
            raise refuse(key, f"giá trị {raw_value!r} không phải số", "not a number") from exc
        award_code, _, field_name = key.partition(".")
        award = awards.get(award_code)
        if award is None or field_name not in _OVERRIDABLE_AWARD_FIELDS:
            raise refuse(key, "khoá không tồn tại", "unknown key")
        if field_name == "council_threshold":
            status, current_value = award.threshold_status, award.council_threshold
            valid = 0 < value <= 1
        elif field_name == "cash_multiple":
            status, current_value = award.cash_status, award.cash_multiple
            valid = value >= 0
        else:
            if award.cash_multiple_collective is None:
                raise refuse(key, "không có mức riêng cho tập thể", "no collective multiple")
            status, current_value = award.cash_collective_status, award.cash_multiple_collective
            valid = value >= 0
        if status != UNCONFIRMED:
            raise refuse(key, "giá trị đã được xác nhận", "the value is confirmed")
        if not valid:
            raise refuse(key, f"giá trị {value:g} ngoài phạm vi", f"value {value:g} out of range")
        update: dict[str, Any] = {field_name: value}
        awards[award_code] = replace(award, **update)
        applied[key] = (current_value, value)
    return replace(
        pack,
        awards=MappingProxyType(awards),
        overridden=MappingProxyType(applied),
        **changes,
    )


def rule_pack_for(day: date) -> RulePack:
    """The rule pack in force on ``day`` (e.g. the conference or decision date)."""
    for code in available_rule_packs():
        pack = _base_pack(code)
        if pack.covers(day):
            return pack
    raise ValueError(
        f"Không có bộ quy định nào áp dụng cho ngày {day:%d/%m/%Y}. / "
        f"No rule pack is in force on {day.isoformat()}."
    )
