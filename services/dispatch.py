"""Dispatching the call (công văn): each unit's own Excel list, and the call to every unit's
focal contact."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from documents import nomination_list
from models import audit
from models.audit import AuditEntity
from models.campaign import CampaignStage, ParticipationStatus
from models.document import DocumentKind
from models.outbox import EmailKind
from models.rules.ladder import Audience
from models.settings import get_settings
from services.campaigns import (
    award_choices,
    calendar_for,
    campaign_parts,
    load_campaign,
    set_stage,
    template_attachment,
    template_file_name,
    templates_dir,
)
from services.documents import store_file
from services.letters import UnitEmail, enqueue_unit_emails


def write_unit_templates(session: Session, campaign_code: str, now: datetime) -> str:
    """Generate each unit's own Excel list (its code is inside, so intake knows whose it is),
    kept in the database too, so the operator can download any of them from the portal."""
    folder = templates_dir(campaign_code)
    folder.mkdir(parents=True, exist_ok=True)
    campaign = load_campaign(session, campaign_code)
    assert campaign.id is not None
    choices = award_choices(campaign)
    targets = [
        (
            folder / template_file_name(campaign, unit),
            nomination_list.ListHeader(
                campaign_code=campaign.code,
                campaign_name=campaign.name,
                unit_code=unit.code,
                unit_name=unit.name,
                deadline=part.deadline,
            ),
        )
        for part, unit in campaign_parts(session, campaign.id)
    ]
    # One layout per campaign, each unit's values put in: ~1 ms a file instead of ~15 ms.
    for path in nomination_list.write_unit_templates(targets, choices):
        store_file(session, campaign, DocumentKind.UNIT_TEMPLATE, path, now)
    return str(folder)


def enqueue_calls(session: Session, campaign_code: str, now: datetime, actor: str) -> int:
    """Queue the call for every unit not yet called; the outbox key makes a re-run a no-op."""
    campaign = load_campaign(session, campaign_code)
    assert campaign.id is not None
    uncalled = [
        (part, unit)
        for part, unit in campaign_parts(session, campaign.id)
        if part.status == ParticipationStatus.INVITED
    ]
    # Each call carries the unit's own list (written by ``write_unit_templates`` first).
    calls = [
        UnitEmail(
            EmailKind.CALL,
            0,
            Audience.FOCAL,
            unit,
            part,
            attachments=(template_attachment(campaign, unit),),
        )
        for part, unit in uncalled
    ]
    queued = sum(
        enqueue_unit_emails(
            session,
            calls,
            campaign=campaign,
            calendar=calendar_for(session, campaign),
            now=now,
            settings=get_settings(),
        )
    )
    for part, _unit in uncalled:
        assert part.id is not None
        audit.record(
            session,
            at=now,
            actor=actor,
            entity=AuditEntity.CAMPAIGN_UNIT,
            entity_id=part.id,
            campaign_id=campaign.id,
            action="called",
            from_state=part.status,
            to_state=ParticipationStatus.CALLED,
        )
        part.status = ParticipationStatus.CALLED
        part.called_at = now
        session.add(part)
    set_stage(session, campaign, CampaignStage.CALLING, now, actor)
    return queued
