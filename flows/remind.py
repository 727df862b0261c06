"""Stage 3 - remind: the ladder of nudges for units that are behind, once per step."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event

from flows.common import (
    calendar_for,
    campaign_parts,
    deliver_outbox,
    ladder_config,
    load_campaign,
)
from flows.mail import enqueue_unit_email
from flows.monitor import publish_campaign_artifacts
from flows.status import sent_reminder_tiers
from models import audit
from models.campaign import CampaignStage
from models.clock import resolve
from models.db import session_scope
from models.rules.ladder import UnitProgress, due_reminders
from models.settings import get_settings

# Reminders make sense only while units can still submit.
REMINDING_STAGES = (CampaignStage.CALLING, CampaignStage.REVIEW)


@task(name="enqueue-due-reminders", cache_policy=NO_CACHE)
def enqueue_due_reminders(campaign_code: str, now: datetime) -> dict[str, int]:
    """Work out who is behind and which step is due, and queue exactly that step's email.

    One read of the campaign's units, one of the outbox (the ladder's memory), a pure rule in
    between; the outbox key campaign:unit:kind:tier makes a second run at the same moment a no-op.
    """
    settings = get_settings()
    config = ladder_config(settings)
    queued = {"reminders": 0, "escalations": 0}
    with session_scope() as session:
        campaign = load_campaign(session, campaign_code)
        assert campaign.id is not None
        if campaign.stage not in REMINDING_STAGES:
            return queued
        calendar = calendar_for(session, campaign)
        parts = {unit.id: (part, unit) for part, unit in campaign_parts(session, campaign.id)}
        sent = sent_reminder_tiers(session, campaign.id)
        progress = [
            UnitProgress(
                unit_id=unit_id,
                deadline=part.deadline,
                submitted=part.first_submitted_at is not None,
                paused=part.reminders_paused,
                sent_tiers=frozenset(sent.get(unit_id, ())),
            )
            for unit_id, (part, _unit) in parts.items()
            if unit_id is not None
        ]
        for due in due_reminders(now, progress, calendar, config):
            part, unit = parts[due.unit_id]
            inserted = enqueue_unit_email(
                session,
                kind=due.step.kind,
                tier=due.step.tier,
                audience=due.step.audience,
                campaign=campaign,
                unit=unit,
                part=part,
                calendar=calendar,
                now=now,
                settings=settings,
                extra={"tier": due.step.tier, "max_reminders": config.max_reminders},
            )
            if not inserted:
                continue
            is_escalation = due.step.kind.startswith("escalation")
            queued["escalations" if is_escalation else "reminders"] += 1
            audit.record(
                session,
                at=now,
                actor="scheduler",
                entity="campaign_unit",
                entity_id=part.id or 0,
                campaign_id=campaign.id,
                action=f"nudged:{due.step.kind}",
                reason=f"tier {due.step.tier}, {due.working_days_left} working days left",
            )
            if due.step.kind == "overdue":
                emit_event(
                    event="tonvinh.unit.overdue",
                    resource={"prefect.resource.id": f"tonvinh.unit.{unit.code}"},
                    related=[
                        {
                            "prefect.resource.id": f"tonvinh.campaign.{campaign.code}",
                            "prefect.resource.role": "campaign",
                        }
                    ],
                    payload={"deadline": part.deadline.isoformat()},
                )
    return queued


@flow(name="send-reminders", log_prints=True)
def send_reminders(campaign_code: str, now: datetime | None = None) -> dict[str, Any]:
    """Nudge every unit that is behind with the step of the ladder due now, then deliver."""
    moment = resolve(now)
    queued = enqueue_due_reminders(campaign_code, moment)
    delivery = deliver_outbox(moment)
    publish_campaign_artifacts(campaign_code, moment)
    return {"campaign": campaign_code, **queued, **delivery}
