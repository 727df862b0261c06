"""The one path from a campaign event to an outbox row: who receives it and what it says."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from models.campaign import Campaign, CampaignUnit
from models.rules.calendar import WorkCalendar, format_en_date, format_vn_date
from models.rules.ladder import Audience
from models.settings import Settings
from models.unit import Unit
from notifications.addresses import mailbox
from notifications.outbox import OutboxItem, enqueue, enqueue_many, key_for
from notifications.render import render_email


def recipients(audience: Audience, unit: Unit, settings: Settings) -> tuple[list[str], list[str]]:
    """(to, cc) for an audience: escalations go up the line and keep the people below informed."""
    focal = mailbox(unit.focal_name, unit.focal_email)
    head = mailbox(unit.head_name, unit.head_email)
    if audience is Audience.UNIT_HEAD:
        return [head], [focal]
    if audience is Audience.DEPARTMENT_HEAD:
        department_head = mailbox(settings.department_head_name, settings.department_head_email)
        return [department_head], [head, focal]
    return [focal], []


def template_file_name(campaign: Campaign, unit: Unit) -> str:
    return f"{campaign.code}_{unit.code}.xlsx"


def unit_context(
    campaign: Campaign,
    unit: Unit,
    part: CampaignUnit,
    calendar: WorkCalendar,
    now: datetime,
    settings: Settings,
) -> dict[str, Any]:
    """Everything a unit-facing template may name: unit, deadline with weekday, days left, link."""
    return {
        "campaign_name": campaign.name,
        "campaign_code": campaign.code,
        "year": campaign.year,
        "unit_name": unit.name,
        "unit_code": unit.code,
        "focal_name": unit.focal_name,
        "head_name": unit.head_name,
        "department_name": settings.department_name,
        "ministry_name": settings.ministry_name,
        "department_head_name": settings.department_head_name,
        "deadline_text": format_vn_date(part.deadline),
        "deadline_text_en": format_en_date(part.deadline),
        "working_days_left": calendar.working_days_between(now.date(), part.deadline),
        "submission_url": f"{settings.submission_base_url}/{part.submission_token}",
        "template_file_name": template_file_name(campaign, unit),
        "conference_text": format_vn_date(campaign.conference_date),
        "conference_text_en": format_en_date(campaign.conference_date),
    }


def enqueue_unit_email(
    session: Session,
    *,
    kind: str,
    tier: int,
    audience: Audience,
    campaign: Campaign,
    unit: Unit,
    part: CampaignUnit,
    calendar: WorkCalendar,
    now: datetime,
    settings: Settings,
    extra: dict[str, Any] | None = None,
) -> bool:
    """Render and enqueue one email to a unit; False when that (kind, tier) was already queued."""
    assert campaign.id is not None and unit.id is not None
    context = unit_context(campaign, unit, part, calendar, now, settings) | (extra or {})
    to, cc = recipients(audience, unit, settings)
    return enqueue(
        session,
        key=key_for(campaign.id, unit.id, kind, tier),
        kind=kind,
        tier=tier,
        to=to,
        cc=cc,
        rendered=render_email(kind, context, lang=settings.lang),
        now=now,
        campaign_id=campaign.id,
        unit_id=unit.id,
    )


@dataclass(frozen=True)
class UnitEmail:
    """One email to one unit, for ``enqueue_unit_emails``."""

    kind: str
    tier: int
    audience: Audience
    unit: Unit
    part: CampaignUnit
    extra: dict[str, Any] = field(default_factory=dict)


def enqueue_unit_emails(
    session: Session,
    emails: Sequence[UnitEmail],
    *,
    campaign: Campaign,
    calendar: WorkCalendar,
    now: datetime,
    settings: Settings,
) -> list[bool]:
    """``enqueue_unit_email`` for many units: the same recipients, context and templates, queued
    with one multi-row insert; returns, in order, whether each was newly queued."""
    assert campaign.id is not None
    items: list[OutboxItem] = []
    for email in emails:
        assert email.unit.id is not None
        context = unit_context(campaign, email.unit, email.part, calendar, now, settings)
        to, cc = recipients(email.audience, email.unit, settings)
        items.append(
            OutboxItem(
                key=key_for(campaign.id, email.unit.id, email.kind, email.tier),
                kind=email.kind,
                tier=email.tier,
                to=to,
                cc=cc,
                rendered=render_email(email.kind, context | email.extra, lang=settings.lang),
                campaign_id=campaign.id,
                unit_id=email.unit.id,
            )
        )
    inserted = enqueue_many(session, items, now)
    return [item.key in inserted for item in items]
