"""Everything a unit's own page shows, read in one place: the campaign and the unit, the list's
window (deadline, extension, working days left), the titles and forms on offer with their
conditions and legal basis, every list the unit sent with what it changed, every dossier with
its state, reasons, citations and attachments; and the unit's own pre-filled Excel list."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel
from sqlmodel import Session, col, select

from documents.nomination_list import ListHeader, write_filled_list
from models.campaign import ParticipationStatus
from models.nomination import Nomination, NominationCreate, NominationStatus
from models.rules.rulepack import Award
from services.attachments import AttachmentView, dossier_not_found, unit_attachments, unit_dossier
from services.campaigns import (
    award_choices,
    calendar_for,
    campaign_pack,
    find_part,
    load_campaign,
    template_file_name,
)
from services.changes import ListChanges, submission_changes
from services.links import UnitLink
from services.status import DossierView, SubmissionView, UnitStatus, unit_status
from services.window import ListWindow, list_window

_LEVELS = {
    "co_so": ("sáng kiến được công nhận cấp cơ sở", "an initiative recognised at the unit"),
    "bo": ("sáng kiến có phạm vi ảnh hưởng cấp Bộ", "an initiative with ministry-wide effect"),
    "toan_quoc": ("sáng kiến có phạm vi ảnh hưởng toàn quốc", "an initiative with national effect"),
}
_NOMINEES = {
    "individual": ("Cá nhân", "Individuals"),
    "collective": ("Tập thể", "Collectives"),
    "both": ("Cá nhân và tập thể", "Individuals and collectives"),
}


class Condition(BaseModel):
    vi: str
    en: str


class AwardOffer(BaseModel):
    """A title or form the campaign offers, with what the rule pack requires for it."""

    code: str
    name_vi: str
    name_en: str
    category: str  # "title" | "form"
    nominee_vi: str
    nominee_en: str
    conditions: list[Condition]
    citation: str


class SubmissionRow(BaseModel):
    submission: SubmissionView
    current: bool  # the list that stands (the newest); older ones were replaced by it
    changes: ListChanges | None


class DossierRow(BaseModel):
    dossier: DossierView
    attachments: list[AttachmentView]
    named_in_list: list[str]  # the files the list's "Tệp đính kèm" column names


class UnitPage(BaseModel):
    status: UnitStatus
    window: ListWindow
    working_days_left: int  # until the window closes (negative: closed that many days ago)
    offers: list[AwardOffer]
    submissions: list[SubmissionRow]
    dossiers: list[DossierRow]
    template_file_name: str
    # Every award code of the rule pack, as the unit reads it: (Vietnamese, English).
    award_names: dict[str, tuple[str, str]]

    @property
    def nil_return(self) -> bool:
        return self.status.status == ParticipationStatus.NIL_RETURN


def _rule_phrases(rules: dict[str, object]) -> list[tuple[str, str]]:
    """(vi, en) for each rule key the eligibility check applies."""
    phrases: list[tuple[str, str]] = []
    if years := rules.get("min_consecutive_base_years"):
        phrases.append(
            (
                f"ít nhất {years} năm liên tục đạt Chiến sĩ thi đua cơ sở",
                f"at least {years} consecutive years as grassroots emulation fighter",
            )
        )
    if years := rules.get("min_consecutive_ministry_years"):
        phrases.append(
            (
                f"ít nhất {years} lần liên tục đạt Chiến sĩ thi đua cấp Bộ",
                f"at least {years} consecutive ministry-level emulation fighter titles",
            )
        )
    if (level := str(rules.get("min_initiative_level"))) in _LEVELS:
        vi, en = _LEVELS[level]
        phrases.append((f"có {vi}", en))
    if rules.get("excellent_or_initiative"):
        phrases.append(
            (
                "hoàn thành xuất sắc nhiệm vụ hoặc có sáng kiến",
                "excellent completion of duties or an initiative",
            )
        )
    if rules.get("requires_achievement_report"):
        phrases.append(("kèm báo cáo thành tích", "with an achievement report"))
    if phrases and rules.get("severity") == "warning":
        # A shortfall is only flagged for the reviewer, not refused.
        phrases = [(f"{vi} (khuyến nghị)", f"{en} (advisory)") for vi, en in phrases]
    return phrases


def conditions(award: Award) -> list[Condition]:
    """What the rule pack checks for an award, in words, per kind of nominee it accepts."""
    kinds = ["individual", "collective"] if award.nominee == "both" else [award.nominee]
    per_kind = {kind: _rule_phrases(award.criteria_for(kind)) for kind in kinds}
    found: list[Condition] = []
    if len({tuple(phrases) for phrases in per_kind.values()}) == 1:
        found = [Condition(vi=vi, en=en) for vi, en in per_kind[kinds[0]]]
    else:  # the same award asks different things of a person and of a collective
        for kind, phrases in per_kind.items():
            vi_prefix, en_prefix = (f"{_NOMINEES[kind][0]}: ", f"{_NOMINEES[kind][1]}: ")
            found += [Condition(vi=vi_prefix + vi, en=en_prefix + en) for vi, en in phrases]
    found.append(
        Condition(
            vi=f"Hội đồng thông qua với ít nhất {award.council_threshold:.0%} tổng số thành viên",
            en=f"passed by at least {award.council_threshold:.0%} of all council members",
        )
    )
    return found


def offers(session: Session, campaign_code: str) -> list[AwardOffer]:
    campaign = load_campaign(session, campaign_code)
    pack = campaign_pack(campaign)
    return [
        AwardOffer(
            code=award.code,
            name_vi=award.name_vi,
            name_en=award.name_en,
            category=award.category,
            nominee_vi=_NOMINEES[award.nominee][0],
            nominee_en=_NOMINEES[award.nominee][1],
            conditions=conditions(award),
            citation=award.criteria_citation,
        )
        for code, award in pack.awards.items()
        if code in campaign.titles_on_offer
    ]


def unit_page(session: Session, link: UnitLink, now: datetime) -> UnitPage:
    """The unit's page as of ``now`` (reads only)."""
    status = unit_status(session, link.campaign_code, link.unit_code, now)
    campaign = load_campaign(session, link.campaign_code)
    part, unit = find_part(session, campaign, link.unit_code)
    window = list_window(campaign, part, now.date())
    calendar = calendar_for(session, campaign)
    changes = submission_changes(session, link.part_id, [s.id for s in status.submissions])
    files = unit_attachments(session, link.campaign_id, link.unit_id)
    named = _named_files(session, [d.id for d in status.dossiers])
    return UnitPage(
        status=status,
        window=window,
        working_days_left=calendar.working_days_between(now.date(), window.closes_on),
        offers=offers(session, link.campaign_code),
        submissions=[
            SubmissionRow(submission=s, current=index == 0, changes=changes.get(s.id))
            for index, s in enumerate(status.submissions)
        ],
        dossiers=[
            DossierRow(
                dossier=d, attachments=files.get(d.id, []), named_in_list=named.get(d.id, [])
            )
            for d in status.dossiers
        ],
        template_file_name=template_file_name(campaign, unit),
        award_names={
            code: (award.name_vi, award.name_en)
            for code, award in campaign_pack(campaign).awards.items()
        },
    )


def _named_files(session: Session, nomination_ids: list[int]) -> dict[int, list[str]]:
    if not nomination_ids:
        return {}
    rows = session.exec(
        select(Nomination.id, Nomination.attachments).where(col(Nomination.id).in_(nomination_ids))
    ).all()
    return {
        int(nid): [str(item.get("file_name", "")) for item in files or [] if item.get("file_name")]
        for nid, files in rows
        if nid is not None
    }


def dossier_page(
    session: Session, link: UnitLink, nomination_id: int, now: datetime
) -> tuple[UnitPage, DossierRow]:
    """The unit's page and one of its dossiers (``OperatorError`` "not_found" if the dossier is
    not this unit's: checked before anything is read)."""
    if unit_dossier(session, link.campaign_id, link.unit_id, nomination_id) is None:
        raise dossier_not_found(nomination_id)
    page = unit_page(session, link, now)
    for row in page.dossiers:
        if row.dossier.id == nomination_id:
            return page, row
    raise dossier_not_found(nomination_id)


def unit_list_file(session: Session, link: UnitLink, now: datetime) -> tuple[str, bytes]:
    """The unit's own Excel list, filled with the dossiers it stands behind now (empty before
    its first list): (file name, bytes). Made on request, kept nowhere."""
    campaign = load_campaign(session, link.campaign_code)
    part, unit = find_part(session, campaign, link.unit_code)
    window = list_window(campaign, part, now.date())
    dossiers = session.exec(
        select(Nomination)
        .where(
            Nomination.campaign_id == link.campaign_id,
            Nomination.unit_id == link.unit_id,
            Nomination.status != NominationStatus.WITHDRAWN,
        )
        .order_by(col(Nomination.kind), col(Nomination.row_number))
    ).all()
    rows = [
        NominationCreate.model_validate(d.model_dump(include=set(NominationCreate.model_fields)))
        for d in dossiers
    ]
    header = ListHeader(
        campaign_code=campaign.code,
        campaign_name=campaign.name,
        unit_code=unit.code,
        unit_name=unit.name,
        deadline=window.closes_on,
    )
    name = template_file_name(campaign, unit)
    with tempfile.TemporaryDirectory(prefix="tonvinh-list-") as folder:
        path = write_filled_list(Path(folder) / name, header, award_choices(campaign), rows)
        return name, path.read_bytes()
