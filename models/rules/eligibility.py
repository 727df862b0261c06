"""Legal rule packs (versioned data with citations) and the eligibility check of one nominee.

A rule pack is a TOML file in ``models/rules/packs/``: one per legal regime. Every value carries a
citation and a status — "C" confirmed from quoted legal text, "U" unconfirmed. Unconfirmed values
may be overridden by configuration (``load_rule_pack(code, overrides=...)``) and are always listed
by ``RulePack.unconfirmed_notes()`` so that the operator sees them.

Award criteria are data, interpreted generically by ``check_eligibility`` (no per-title code):

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
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from fractions import Fraction
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

CONFIRMED = "C"
UNCONFIRMED = "U"
# What an unconfirmed value is about: the council (quorum, tie-break), eligibility (cap, frozen
# nominees, the report), council thresholds, cash, criteria.
NOTE_TOPICS = ("council", "eligibility", "threshold", "cash", "criteria")
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

_KIND_VI = {"individual": "cá nhân", "collective": "tập thể"}

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
    # key -> (value in the pack, configured value), for every override applied
    overridden: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    def covers(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )

    def award_by_name(self, text: str) -> Award | None:
        """The award whose Vietnamese name or code is ``text`` (NFC; case, spacing ignored)."""
        wanted = _normalise(text)
        if not wanted:
            return None
        for award in self.awards.values():
            if wanted == _normalise(award.name_vi) or wanted == award.code.casefold():
                return award
        return None

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
            topic: str, label: str, shown: str, citation: str, key: str | None, share: bool
        ) -> None:
            if topic not in topics:
                return
            text = f"{label}: {shown} — chưa xác nhận ({citation})"
            if key is not None and key in self.overridden:
                original, configured = self.overridden[key]
                show = _percent if share else _number
                text += f"; đã cấu hình {show(configured)} (trong bộ quy định: {show(original)})"
            elif key is not None:
                text += f"; có thể cấu hình: {key}"
            notes.append(text)

        if self.quorum_status == UNCONFIRMED:
            note(
                "council",
                "Tỷ lệ thành viên Hội đồng tối thiểu tham gia",
                _percent(self.quorum),
                self.quorum_citation,
                "quorum",
                True,
            )
        if self.base_title_cap_status == UNCONFIRMED and self.base_title_cap is not None:
            note(
                "eligibility",
                "Tỷ lệ trần Chiến sĩ thi đua cơ sở / Lao động tiên tiến",
                _percent(self.base_title_cap),
                self.base_title_cap_citation,
                "base_title_cap",
                True,
            )
        if self.frozen_nominee_status == UNCONFIRMED:
            note(
                "eligibility",
                "Không đề nghị khen thưởng người đang bị kỷ luật, điều tra, khiếu nại",
                "căn cứ pháp lý",
                self.frozen_nominee_citation,
                None,
                False,
            )
        if self.tie_break_status == UNCONFIRMED:
            note(
                "council",
                "Ưu tiên nữ, tập thể có từ 70% nữ khi bằng phiếu",
                "căn cứ pháp lý",
                self.tie_break_citation,
                None,
                False,
            )
        if self.achievement_report_status == UNCONFIRMED:
            note(
                "eligibility",
                "Hồ sơ phải có báo cáo thành tích",
                "căn cứ pháp lý",
                self.achievement_report_citation,
                None,
                False,
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
                    f"{_percent(award.council_threshold)} tổng số thành viên",
                    award.threshold_citation,
                    key,
                    True,
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
                f"{_percent(threshold)} tổng số thành viên",
                citation,
                key,
                True,
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
                    False,
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
                    False,
                )
            if award.criteria_status == UNCONFIRMED:
                note(
                    "criteria",
                    f"Tiêu chuẩn «{award.name_vi}»",
                    _describe_criteria(award),
                    award.criteria_citation,
                    None,
                    False,
                )
        return notes


def _normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _number(value: float) -> str:
    """4.5 -> "4,5" (Vietnamese decimal comma)."""
    return f"{value:g}".replace(".", ",")


def _percent(share: float) -> str:
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
            parts += [f"{_KIND_VI[kind]}: {k}={v}" for k, v in own.items() if k not in skip]
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


def _share(value: Any, where: str) -> float:
    share = float(Fraction(value)) if isinstance(value, str) else float(value)
    if not 0 < share <= 1:
        raise ValueError(f"{where}: share must be within (0, 1], got {value!r}")
    return share


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
        frozen_nominee_citation=str(raw["frozen_nominee"]["citation"]),
        frozen_nominee_status=_status(raw["frozen_nominee"]["status"], "frozen_nominee"),
        tie_break_citation=str(raw["tie_break"]["citation"]),
        tie_break_status=_status(raw["tie_break"]["status"], "tie_break"),
        achievement_report_citation=str(raw["achievement_report"]["citation"]),
        achievement_report_status=_status(raw["achievement_report"]["status"], "achievement"),
    )


def load_rule_pack(code: str, overrides: Mapping[str, Any] | None = None) -> RulePack:
    """The rule pack ``code``, with configured values for some of its unconfirmed ("U") values.

    Override keys: ``quorum``, ``base_title_cap``, ``<AWARD>.council_threshold``,
    ``<AWARD>.cash_multiple``, ``<AWARD>.cash_multiple_collective``. Overriding a confirmed value,
    an unknown key or an out-of-range value raises ValueError.
    """
    pack = _base_pack(code)
    if not overrides:
        return pack
    awards = dict(pack.awards)
    changes: dict[str, Any] = {}
    applied: dict[str, tuple[float, float]] = {}

    def refuse(key: str, why_vi: str, why_en: str) -> ValueError:
        return ValueError(
            f"Không thể ghi đè '{key}' trong bộ quy định {code}: {why_vi}. / "
            f"Cannot override '{key}' in rule pack {code}: {why_en}."
        )

    for key, raw_value in overrides.items():
        try:
            value = float(Fraction(raw_value)) if isinstance(raw_value, str) else float(raw_value)
        except (TypeError, ValueError) as exc:
            raise refuse(key, f"giá trị {raw_value!r} không phải số", "not a number") from exc
        if key in ("quorum", "base_title_cap"):
            status = pack.quorum_status if key == "quorum" else pack.base_title_cap_status
            current = pack.quorum if key == "quorum" else pack.base_title_cap
            if current is None:
                raise refuse(key, "bộ quy định không có tỷ lệ trần", "the pack has no cap")
            if status != UNCONFIRMED:
                raise refuse(key, "giá trị đã được xác nhận", "the value is confirmed")
            if not 0 < value <= 1:
                raise refuse(key, "tỷ lệ phải trong (0, 1]", "a share must be within (0, 1]")
            changes[key] = value
            applied[key] = (current, value)
            continue
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


# ---------------------------------------------------------------------------------- the check


@dataclass(frozen=True)
class NomineeFacts:
    kind: str  # "individual" | "collective"
    proposed_title: str | None  # award codes
    proposed_form: str | None
    consecutive_base_years: int  # consecutive years as Chiến sĩ thi đua cơ sở
    consecutive_ministry_years: int  # consecutive Chiến sĩ thi đua cấp Bộ
    initiative_level: str  # "none" | "co_so" | "bo" | "toan_quoc"
    excellent_completion: bool
    under_discipline: bool  # discipline, investigation or unresolved complaint
    women_share: float | None
    has_achievement_report: bool


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # "error" | "warning"
    message_vi: str
    message_en: str
    citation: str


def _cite(citation: str, status: str) -> str:
    return f"{citation} [chưa xác nhận]" if status == UNCONFIRMED else citation


def _level_index(level: str) -> int:
    if level not in INITIATIVE_LEVELS:
        raise ValueError(
            f"Cấp sáng kiến không hợp lệ: {level!r} (hợp lệ: {', '.join(INITIATIVE_LEVELS)}). / "
            f"Invalid initiative level {level!r}."
        )
    return INITIATIVE_LEVELS.index(level)


def _criteria_findings(facts: NomineeFacts, award: Award) -> list[Finding]:
    rules = award.criteria_for(facts.kind)
    severity = str(rules.get("severity", "error"))
    citation = _cite(award.criteria_citation, award.criteria_status)
    findings: list[Finding] = []

    def add(key: str, vi: str, en: str, level: str = severity) -> None:
        findings.append(
            Finding(
                code=f"{award.code}.{key}",
                severity=level,
                message_vi=f"«{award.name_vi}»: {vi}",
                message_en=f"{award.name_en}: {en}",
                citation=citation,
            )
        )

    need = rules.get("min_consecutive_base_years")
    if need is not None and facts.consecutive_base_years < int(need):
        add(
            "min_consecutive_base_years",
            f"cần {need} năm liên tục đạt Chiến sĩ thi đua cơ sở "
            f"(hồ sơ ghi {facts.consecutive_base_years}).",
            f"needs {need} consecutive years as Grassroots Emulation Fighter "
            f"(dossier says {facts.consecutive_base_years}).",
        )
    need = rules.get("min_consecutive_ministry_years")
    if need is not None and facts.consecutive_ministry_years < int(need):
        add(
            "min_consecutive_ministry_years",
            f"cần {need} lần liên tục đạt Chiến sĩ thi đua cấp Bộ "
            f"(hồ sơ ghi {facts.consecutive_ministry_years}).",
            f"needs {need} consecutive Ministry-level Emulation Fighter titles "
            f"(dossier says {facts.consecutive_ministry_years}).",
        )
    level = rules.get("min_initiative_level")
    have = _level_index(facts.initiative_level)
    if level is not None and have < _level_index(str(level)):
        add(
            "min_initiative_level",
            f"cần sáng kiến (hoặc đề tài) được công nhận {INITIATIVE_NAMES_VI[str(level)]} "
            f"(hồ sơ: {INITIATIVE_NAMES_VI[facts.initiative_level]}).",
            f"needs an initiative (or research) recognised {INITIATIVE_NAMES_EN[str(level)]} "
            f"(dossier: {INITIATIVE_NAMES_EN[facts.initiative_level]}).",
        )
    if rules.get("excellent_or_initiative") and not (
        facts.excellent_completion or have >= INITIATIVE_LEVELS.index("co_so")
    ):
        add(
            "excellent_or_initiative",
            "cần hoàn thành xuất sắc nhiệm vụ hoặc có sáng kiến, đề tài được công nhận.",
            "needs excellent completion of duties or a recognised initiative or research.",
        )
    if rules.get("requires_achievement_report") and not facts.has_achievement_report:
        findings.append(
            Finding(
                code=f"{award.code}.missing_achievement_report",
                severity="warning",
                message_vi=f"«{award.name_vi}»: hồ sơ chưa có báo cáo thành tích.",
                message_en=f"{award.name_en}: the dossier has no achievement report.",
                citation=citation,
            )
        )
    return findings


def check_eligibility(facts: NomineeFacts, pack: RulePack) -> list[Finding]:
    """Everything wrong with one nomination under ``pack``; an empty list means eligible.

    Errors make the nomination ineligible; warnings are for the reviewer to weigh.
    """
    findings: list[Finding] = []
    if facts.under_discipline:
        findings.append(
            Finding(
                code="frozen_nominee",
                severity="error",
                message_vi="Không đề nghị khen thưởng khi đang bị xem xét kỷ luật, điều tra, "
                "thanh tra hoặc có đơn thư khiếu nại, tố cáo chưa được giải quyết.",
                message_en="No nomination while under discipline, investigation or an "
                "unresolved complaint.",
                citation=_cite(pack.frozen_nominee_citation, pack.frozen_nominee_status),
            )
        )
    if facts.women_share is not None and not 0 <= facts.women_share <= 1:
        findings.append(
            Finding(
                code="invalid_women_share",
                severity="error",
                message_vi=f"Tỷ lệ nữ phải từ 0 đến 1 (hồ sơ ghi {facts.women_share}).",
                message_en=f"The share of women must be within 0..1 ({facts.women_share}).",
                citation="",
            )
        )
    proposals = [
        (slot, code)
        for slot, code in (("title", facts.proposed_title), ("form", facts.proposed_form))
        if code
    ]
    if not proposals:
        findings.append(
            Finding(
                code="no_award",
                severity="error",
                message_vi="Chưa đề nghị danh hiệu thi đua hoặc hình thức khen thưởng nào.",
                message_en="Neither a title nor a form of award is proposed.",
                citation=pack.citation,
            )
        )
    for slot, code in proposals:
        award = pack.awards.get(code) or pack.award_by_name(code)
        if award is None:
            findings.append(
                Finding(
                    code="unknown_award",
                    severity="error",
                    message_vi=f"Danh hiệu/hình thức '{code}' không có trong bộ quy định "
                    f"{pack.code}.",
                    message_en=f"Award '{code}' is not in rule pack {pack.code}.",
                    citation=pack.citation,
                )
            )
            continue
        if award.category != slot:
            slot_vi = "danh hiệu thi đua" if slot == "title" else "hình thức khen thưởng"
            findings.append(
                Finding(
                    code="award_category_mismatch",
                    severity="error",
                    message_vi=f"«{award.name_vi}» không phải là {slot_vi}.",
                    message_en=f"{award.name_en} is not a {slot}.",
                    citation=pack.citation,
                )
            )
            continue
        if not award.accepts(facts.kind):
            findings.append(
                Finding(
                    code="nominee_kind_mismatch",
                    severity="error",
                    message_vi=f"«{award.name_vi}» chỉ xét tặng cho "
                    f"{_KIND_VI.get(award.nominee, award.nominee)}, không cho "
                    f"{_KIND_VI.get(facts.kind, facts.kind)}.",
                    message_en=f"{award.name_en} is for {award.nominee} nominees only, "
                    f"not {facts.kind}.",
                    citation=award.criteria_citation or pack.citation,
                )
            )
            continue
        findings.extend(_criteria_findings(facts, award))
    return findings


def check_base_title_cap(cstdcs_count: int, ldtt_count: int, pack: RulePack) -> list[Finding]:
    """The 2018 regime's cap: Chiến sĩ thi đua cơ sở ≤ 15% of those rated Lao động tiên tiến."""
    if pack.base_title_cap is None:
        return []
    allowed = int(Fraction(pack.base_title_cap).limit_denominator(10_000) * ldtt_count)
    if cstdcs_count <= allowed:
        return []
    return [
        Finding(
            code="base_title_cap",
            severity="error",
            message_vi=f"Số Chiến sĩ thi đua cơ sở ({cstdcs_count}) vượt "
            f"{_percent(pack.base_title_cap)} số Lao động tiên tiến ({ldtt_count}): "
            f"tối đa {allowed}.",
            message_en=f"Grassroots Emulation Fighters ({cstdcs_count}) exceed "
            f"{pack.base_title_cap:.0%} of Advanced Workers ({ldtt_count}): at most {allowed}.",
            citation=_cite(pack.base_title_cap_citation, pack.base_title_cap_status),
        )
    ]
