"""The one path from a campaign event to an outbox row: who receives it and what it says."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from models.access import LINK_PLACEHOLDER
from models.campaign import Campaign, CampaignUnit
from models.nomination import Nomination
from models.outbox import EmailKind
from models.rules.calendar import WorkCalendar, format_en_date, format_vn_date
from models.rules.ladder import Audience
from models.settings import Settings, get_settings
from models.unit import Unit
from notifications.addresses import mailbox
from notifications.attachments import MailAttachment
from notifications.outbox import OutboxItem, enqueue_many, key_for
from notifications.render import render_email
from services.campaigns import calendar_for, campaign_parts, template_file_name


def recipients(audience: Audience, unit: Unit, settings: Settings) -> tuple[list[str], list[str]]:
    """(to, cc) for an audience: escalations go up the line and keep the people below informed."""
    focal = mailbox(unit.focal_name, unit.focal_email)
    if audience is Audience.FOCAL:
        return [focal], []
    head = mailbox(unit.head_name, unit.head_email)
    if audience is Audience.UNIT_HEAD:
        return [head], [focal]
    department_head = mailbox(settings.department_head_name, settings.department_head_email)
    return [department_head], [head, focal]


def unit_context(
    campaign: Campaign,
    unit: Unit,
    part: CampaignUnit,
    calendar: WorkCalendar,
    now: datetime,
    settings: Settings,
) -> dict[str, Any]:
    """Everything a unit-facing template may name: unit, deadline with weekday, days left, link.

    The link holds a placeholder, never a token: the outbox mints the unit's token when it sends
    the email (``models.access``), so no working link is ever stored."""
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
        "submission_url": f"{settings.submission_base_url.rstrip('/')}/{LINK_PLACEHOLDER}",
        "template_file_name": template_file_name(campaign, unit),
        "conference_text": format_vn_date(campaign.conference_date),
        "conference_text_en": format_en_date(campaign.conference_date),
    }


@dataclass(frozen=True)
class UnitEmail:
    """One email to one unit, for ``enqueue_unit_emails``."""

    kind: EmailKind
    tier: int
    audience: Audience
    unit: Unit
    part: CampaignUnit
    extra: dict[str, Any] = field(default_factory=dict)
    # Files it carries (the call: the unit's own Excel list, ``services.campaigns``).
    attachments: tuple[MailAttachment, ...] = ()


def enqueue_unit_emails(
    session: Session,
    emails: Sequence[UnitEmail],
    *,
    campaign: Campaign,
    calendar: WorkCalendar,
    now: datetime,
    settings: Settings,
) -> list[bool]:
    """Render and queue emails to units with one multi-row insert; returns, in order, whether
    each was newly queued (False: that campaign:unit:kind:tier was queued before)."""
    assert campaign.id is not None
    items: list[OutboxItem] = []
    for email in emails:
        assert email.unit.id is not None
        context = unit_context(campaign, email.unit, email.part, calendar, now, settings)
        to, cc = recipients(email.audience, email.unit, settings)
        rendered = render_email(email.kind, context | email.extra, lang=email.unit.lang)
        carries_link = LINK_PLACEHOLDER in rendered.text or LINK_PLACEHOLDER in rendered.html
        items.append(
            OutboxItem(
                key=key_for(campaign.id, email.unit.id, email.kind, email.tier),
                kind=email.kind,
                tier=email.tier,
                to=to,
                cc=cc,
                # The unit's language, never the sending process's (TONVINH_LANG is the CLI's).
                rendered=rendered,
                campaign_id=campaign.id,
                unit_id=email.unit.id,
                link_part_id=email.part.id if carries_link else None,
                attachments=email.attachments,
            )
        )
    inserted = enqueue_many(session, items, now)
    return [item.key in inserted for item in items]


def enqueue_per_unit(
    session: Session,
    *,
    kind: EmailKind,
    campaign: Campaign,
    nominations: Iterable[Nomination],
    now: datetime,
    describe: Callable[[list[Nomination]], dict[str, Any]],
    tier_of: Callable[[int], int] = lambda _unit_id: 0,
) -> int:
    """One email to the focal contact of each unit that has nominations among ``nominations``;
    ``describe`` turns that unit's nominations into the template's extra context."""
    assert campaign.id is not None
    by_unit: dict[int, list[Nomination]] = defaultdict(list)
    for nomination in nominations:  # grouped once, not scanned once per unit
        by_unit[nomination.unit_id].append(nomination)
    emails = [
        UnitEmail(kind, tier_of(unit.id), Audience.FOCAL, unit, part, describe(by_unit[unit.id]))
        for part, unit in campaign_parts(session, campaign.id)
        if unit.id in by_unit
    ]
    queued = enqueue_unit_emails(
        session,
        emails,
        campaign=campaign,
        calendar=calendar_for(session, campaign),
        now=now,
        settings=get_settings(),
    )
    return sum(queued)
