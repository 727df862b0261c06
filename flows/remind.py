"""Stage 3 - remind: the ladder of nudges for units that are behind, once per step."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import insert
from sqlmodel import col, select

from flows.common import (
    calendar_for,
    deliver_outbox,
    emit_unit_events,
    ladder_config,
    load_campaign,
)
from flows.mail import UnitEmail, enqueue_unit_emails
from flows.monitor import publish_campaign_artifacts
from flows.status import sent_reminder_tiers
from models import audit
from models.campaign import CampaignStage, CampaignUnit
from models.clock import resolve
from models.db import session_scope
from models.rules.ladder import UnitProgress, due_reminders
from models.settings import get_settings
from models.unit import Unit

# Reminders make sense only while units can still submit.
REMINDING_STAGES = (CampaignStage.CALLING, CampaignStage.REVIEW)
# Units nudged per multi-row insert (rows loaded, rendered and queued together).
CHUNK = 500


@task(name="enqueue-due-reminders", cache_policy=NO_CACHE)
def enqueue_due_reminders(campaign_code: str, now: datetime) -> dict[str, int]:
    """Work out who is behind and which step is due, and queue exactly that step's email.

    One read of the campaign's units, one of the outbox (the ladder's memory), a pure rule in
    between; the outbox key campaign:unit:kind:tier makes a second run at the same moment a no-op.
    """
    settings = get_settings()
    config = ladder_config(settings)
    queued = {"reminders": 0, "escalations": 0}
    overdue: list[tuple[str, dict[str, Any]]] = []
    with session_scope() as session:
        campaign = load_campaign(session, campaign_code)
        assert campaign.id is not None
        if campaign.stage not in REMINDING_STAGES:
            return queued
        calendar = calendar_for(session, campaign)
        sent = sent_reminder_tiers(session, campaign.id)
        # Plain columns for the rule (10,000 units); whole rows only for the units nudged.
        progress = [
            UnitProgress(
                unit_id=unit_id,
                deadline=deadline,
                submitted=first_submitted is not None,
                paused=paused,
                sent_tiers=frozenset(sent.get(unit_id, ())),
            )
            for unit_id, deadline, first_submitted, paused in session.exec(
                select(  # type: ignore[call-overload]
                    CampaignUnit.unit_id,
                    CampaignUnit.deadline,
                    CampaignUnit.first_submitted_at,
                    CampaignUnit.reminders_paused,
                ).where(CampaignUnit.campaign_id == campaign.id)
            ).all()
        ]
        due_all = due_reminders(now, progress, calendar, config)
        for start in range(0, len(due_all), CHUNK):
            chunk = due_all[start : start + CHUNK]
            parts = {
                unit.id: (part, unit)
                for part, unit in session.exec(
                    select(CampaignUnit, Unit)
                    .join(Unit, col(Unit.id) == CampaignUnit.unit_id)
                    .where(
                        CampaignUnit.campaign_id == campaign.id,
                        col(CampaignUnit.unit_id).in_([d.unit_id for d in chunk]),
                    )
                ).all()
            }
            emails = [
                UnitEmail(
                    kind=due.step.kind,
                    tier=due.step.tier,
                    audience=due.step.audience,
                    unit=parts[due.unit_id][1],
                    part=parts[due.unit_id][0],
                    extra={"tier": due.step.tier, "max_reminders": config.max_reminders},
                )
                for due in chunk
            ]
            inserted = enqueue_unit_emails(
                session, emails, campaign=campaign, calendar=calendar, now=now, settings=settings
            )
            events: list[dict[str, Any]] = []
            for due, email, new in zip(chunk, emails, inserted, strict=True):
                if not new:
                    continue
                part, unit = email.part, email.unit
                is_escalation = due.step.kind.startswith("escalation")
                queued["escalations" if is_escalation else "reminders"] += 1
                events.append(
                    audit.values(
                        at=now,
                        actor="scheduler",
                        entity="campaign_unit",
                        entity_id=part.id or 0,
                        campaign_id=campaign.id,
                        action=f"nudged:{due.step.kind}",
                        reason=f"tier {due.step.tier}, {due.working_days_left} working days left",
                    )
                )
                if due.step.kind == "overdue":
                    overdue.append((unit.code, {"deadline": part.deadline.isoformat()}))
            if events:  # one multi-row insert per chunk, in the same transaction as the emails
                session.connection().execute(insert(audit.TABLE), events)
    # After the commit, and capped: one event per unit would overflow the server's event queue
    # for a 10,000-unit campaign (see flows.common.emit_unit_events).
    emit_unit_events("overdue", campaign_code, overdue)
    return queued


@flow(name="send-reminders", log_prints=True)
def send_reminders(campaign_code: str, now: datetime | None = None) -> dict[str, Any]:
    """Nudge every unit that is behind with the step of the ladder due now, then deliver."""
    moment = resolve(now)
    queued = enqueue_due_reminders(campaign_code, moment)
    delivery = deliver_outbox(moment)
    publish_campaign_artifacts(campaign_code, moment)
    return {"campaign": campaign_code, **queued, **delivery}
