"""The eligibility check of one nominee under a legal rule pack, and what review does with it.

The rule packs themselves (data with citations and a confirmed/unconfirmed status per value, and
their loading) live in ``models.rules.rulepack``; the names below are re-exported so that callers
keep importing ``RulePack``, ``load_rule_pack`` and ``rule_pack_for`` from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from models.rules.rulepack import (
    CONFIRMED,
    FROZEN_VERDICTS,
    INITIATIVE_LEVELS,
    INITIATIVE_NAMES_EN,
    INITIATIVE_NAMES_VI,
    KIND_VI,
    NOTE_TOPICS,
    UNCONFIRMED,
    Award,
    RulePack,
    available_rule_packs,
    load_rule_pack,
    percent_vi,
    rule_pack_for,
)

__all__ = [
    "CONFIRMED",
    "FROZEN_VERDICTS",
    "INITIATIVE_LEVELS",
    "INITIATIVE_NAMES_EN",
    "INITIATIVE_NAMES_VI",
    "NOTE_TOPICS",
    "UNCONFIRMED",
    "Award",
    "Finding",
    "NomineeFacts",
    "RulePack",
    "available_rule_packs",
    "check_base_title_cap",
    "check_eligibility",
    "load_rule_pack",
    "review_verdict",
    "rule_pack_for",
]

FROZEN_NOMINEE = "frozen_nominee"  # the code of the finding the frozen-nominee rule gives


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

    Errors stop the nomination (``review_verdict`` says whether it is returned to the unit or
    refused); warnings are for the reviewer to weigh.
    """
    findings: list[Finding] = []
    if facts.under_discipline:
        findings.append(
            Finding(
                code=FROZEN_NOMINEE,
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
        award = pack.awards.get(code) or pack.award_by_name(code)  # a code, or a typed name
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
                    f"{KIND_VI.get(award.nominee, award.nominee)}, không cho "
                    f"{KIND_VI.get(facts.kind, facts.kind)}.",
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
            f"{percent_vi(pack.base_title_cap)} số Lao động tiên tiến ({ldtt_count}): "
            f"tối đa {allowed}.",
            message_en=f"Grassroots Emulation Fighters ({cstdcs_count}) exceed "
            f"{pack.base_title_cap:.0%} of Advanced Workers ({ldtt_count}): at most {allowed}.",
            citation=_cite(pack.base_title_cap_citation, pack.base_title_cap_status),
        )
    ]


def review_verdict(findings: Sequence[Finding], pack: RulePack) -> str:
    """What review does with a dossier after the automatic check: ``"ineligible"``,
    ``"returned"`` or ``"eligible"`` (the nomination statuses of the same names).

    A frozen nominee's dossier gets the pack's ``frozen_nominee.verdict``: refused outright under
    today's law (resubmitting cannot lift a discipline or an investigation), returned when the
    rule is unconfirmed and the operator configured so. Any other error returns the dossier to its
    unit to fix; warnings alone leave it eligible, for the officer to weigh.
    """
    if pack.frozen_nominee_refused() and any(f.code == FROZEN_NOMINEE for f in findings):
        return "ineligible"
    if any(f.severity == "error" for f in findings):
        return "returned"
    return "eligible"
