"""Finding a campaign and what every stage needs of it: its calendar, its units, its rule pack,
its stage (moved with an audit event, announced once committed)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlmodel import Session, col, select

from documents.nomination_list import AwardChoice
from models import audit
from models.audit import AuditEntity
from models.campaign import Campaign, CampaignBase, CampaignStage, CampaignUnit, HolidayOverride
from models.rules.calendar import WorkCalendar, vietnam_calendar
from models.rules.eligibility import RulePack, load_rule_pack
from models.rules.ladder import LadderConfig
from models.settings import Settings, get_settings
from models.unit import Language, Unit
from notifications.attachments import MailAttachment
from services import events
from services.errors import OperatorError


def load_campaign(session: Session, code: str) -> Campaign:
    campaign = session.exec(select(Campaign).where(Campaign.code == code)).first()
    if campaign is None:
        raise OperatorError(
            "campaign_not_found",
            f"Không tìm thấy đợt thi đua mã '{code}'.",
            f"Campaign '{code}' not found.",
            campaign=code,
        )
    return campaign


def holiday_overrides(session: Session) -> list[tuple[date, bool, str]]:
    """The operator's announced changes to the holiday calendar: (day, working?, name)."""
    return [(o.day, o.is_working_day, o.name) for o in session.exec(select(HolidayOverride)).all()]


def calendar_for(session: Session, campaign: CampaignBase) -> WorkCalendar:
    """The working-day calendar for a campaign's span, with the operator's overrides applied."""
    years = range(campaign.year, campaign.conference_date.year + 2)
    return vietnam_calendar(years, holiday_overrides(session))


def ladder_config(settings: Settings) -> LadderConfig:
    return LadderConfig(
        offsets=tuple(settings.reminder_offsets),
        escalate_every=settings.escalation_every_working_days,
        max_reminders=settings.max_reminders_per_unit,
        send_hour=settings.reminder_send_hour,
    )


def campaign_pack(campaign: Campaign) -> RulePack:
    """The campaign's rule pack with the operator's overrides of unconfirmed values applied."""
    return load_rule_pack(campaign.rule_pack, overrides=get_settings().rule_overrides)


def award_choices(campaign: Campaign) -> list[AwardChoice]:
    """The titles and forms the campaign offers, as the unit's Excel list shows them."""
    pack = campaign_pack(campaign)
    return [
        AwardChoice(
            code=award.code,
            name_vi=award.name_vi,
            category=award.category,
            nominee=award.nominee,
        )
        for code, award in pack.awards.items()
        if code in campaign.titles_on_offer
    ]


def campaign_parts(session: Session, campaign_id: int) -> list[tuple[CampaignUnit, Unit]]:
    """Every unit's part in a campaign with the unit itself, in one query, ordered by unit code."""
    statement = (
        select(CampaignUnit, Unit)
        .join(Unit, col(Unit.id) == CampaignUnit.unit_id)
        .where(CampaignUnit.campaign_id == campaign_id)
        .order_by(Unit.code)
    )
    return [(part, unit) for part, unit in session.exec(statement).all()]


def find_part(
    session: Session, campaign: Campaign, unit_code: str, *, for_update: bool = False
) -> tuple[CampaignUnit, Unit]:
    """One unit's part in a campaign; ``for_update`` locks the row (PostgreSQL) so two requests
    for the same unit take turns instead of both writing."""
    statement = (
        select(CampaignUnit, Unit)
        .join(Unit, col(Unit.id) == CampaignUnit.unit_id)
        .where(CampaignUnit.campaign_id == campaign.id, Unit.code == unit_code)
    )
    if for_update:
        statement = statement.with_for_update(of=CampaignUnit)
    row = session.exec(statement).first()
    if row is None:
        raise OperatorError(
            "unit_not_in_campaign",
            f"Đơn vị '{unit_code}' không tham gia đợt thi đua {campaign.code}.",
            f"Unit '{unit_code}' is not in campaign {campaign.code}.",
            unit=unit_code,
            campaign=campaign.code,
        )
    return row


def set_stage(
    session: Session, campaign: Campaign, stage: CampaignStage, now: datetime, actor: str
) -> None:
    """Move the campaign to a stage (audited) and, once that is committed, tell any automation
    listening for it (a rolled-back move must not announce a stage the campaign never reached)."""
    if campaign.stage == stage:
        return
    assert campaign.id is not None
    audit.record(
        session,
        at=now,
        actor=actor,
        entity=AuditEntity.CAMPAIGN,
        entity_id=campaign.id,
        campaign_id=campaign.id,
        action="stage",
        from_state=campaign.stage,
        to_state=stage,
    )
    campaign.stage = stage
    session.add(campaign)
    events.publish_after_commit(
        session,
        "tonvinh.campaign.stage",
        events.campaign_resource(campaign.code),
        {"stage": str(stage)},
    )


def outputs_dir(campaign_code: str) -> Path:
    """Where a campaign's generated documents go."""
    return get_settings().output_dir / campaign_code


def templates_dir(campaign_code: str) -> Path:
    """Where each unit's own Excel list is written."""
    return outputs_dir(campaign_code) / "templates"


def template_file_name(campaign: Campaign, unit: Unit) -> str:
    return f"{campaign.code}_{unit.code}.xlsx"


def template_attachment(campaign: Campaign, unit: Unit) -> MailAttachment:
    """The unit's own Excel list as the call carries it: where ``write_unit_templates`` put it,
    relative to ``Settings.output_dir`` (the mailer reads it from there when it sends)."""
    name = template_file_name(campaign, unit)
    folder = templates_dir(campaign.code).relative_to(get_settings().output_dir)
    return MailAttachment((folder / name).as_posix(), name)


def award_names(pack: RulePack, lang: str, *codes: str | None) -> str:
    """The titles and forms a dossier proposes, by name in ``lang`` ("vi" or "en"); a code the
    pack does not know stays as it is."""
    names = []
    for code in codes:
        if not code:
            continue
        award = pack.awards.get(code)
        if award is None:
            names.append(code)
        else:
            names.append(award.name_en if lang == Language.EN else award.name_vi)
    return ", ".join(names)


def check_precondition(
    session: Session,
    campaign: Campaign,
    problem: OperatorError | None,
    *,
    force_reason: str | None,
    now: datetime,
    actor: str,
) -> None:
    """Refuse a stage move whose precondition does not hold, unless the operator forces it with
    a reason; a forced move is audited with the precondition it skipped and why."""
    if problem is None:
        return
    reason = (force_reason or "").strip()
    if not reason:
        raise OperatorError(
            problem.code,
            f'{problem.vi} Nếu vẫn muốn làm, chạy lại với --force "lý do".',
            f'{problem.en} To do it anyway, run again with --force "reason".',
            **problem.params,
        )
    assert campaign.id is not None
    audit.record(
        session,
        at=now,
        actor=actor,
        entity=AuditEntity.CAMPAIGN,
        entity_id=campaign.id,
        campaign_id=campaign.id,
        action="precondition_forced",
        reason=reason,
        details={"code": problem.code, "skipped": problem.vi, **problem.params},
    )
