"""The reminder ladder: who is behind and which step is due, queued once per step; and the
times the scheduler must wake up for (the same rule, so the two cannot disagree)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import insert
from sqlmodel import Session, col, select

from models import audit
from models.audit import AuditEntity
from models.campaign import Campaign, CampaignStage, CampaignUnit
from models.clock import to_vn
from models.outbox import REMINDER_KINDS, EmailKind, OutboxMessage
from models.rules.ladder import UnitProgress, due_reminders, plan_ladder
from models.settings import get_settings
from models.unit import Unit
from services import events
from services.campaigns import calendar_for, ladder_config, load_campaign
from services.letters import UnitEmail, enqueue_unit_emails

# Reminders make sense only while units can still submit.
REMINDING_STAGES = (CampaignStage.CALLING, CampaignStage.REVIEW)
# Units nudged per multi-row insert (rows loaded, rendered and queued together).
CHUNK = 500


class QueuedReminders(BaseModel):
    reminders: int = 0
    escalations: int = 0


def enqueue_due_reminders(session: Session, campaign_code: str, now: datetime) -> QueuedReminders:
    """Work out who is behind and which step is due, and queue exactly that step's email.

    One read of the campaign's units, one of the outbox (the ladder's memory), a pure rule in
    between; the outbox key campaign:unit:kind:tier makes a second run at the same moment a no-op.
    Each chunk of emails commits with its audit events as soon as it is queued, so delivery can
    send it while the next chunk is rendered (``flows.remind``); a run cut short leaves whole
    chunks behind, and running it again queues only what is missing.
    """
    settings = get_settings()
    config = ladder_config(settings)
    queued = QueuedReminders()
    overdue: list[tuple[str, dict[str, Any]]] = []
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
            # A nil return ("no nominations this year") is an answer too: no more reminders.
            submitted=first_submitted is not None or nil_return is not None,
            paused=paused,
            sent_tiers=frozenset(sent.get(unit_id, ())),
        )
        for unit_id, deadline, first_submitted, nil_return, paused in session.exec(
            select(  # type: ignore[call-overload]
                CampaignUnit.unit_id,
                CampaignUnit.deadline,
                CampaignUnit.first_submitted_at,
                CampaignUnit.nil_return_at,
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
                kind=EmailKind(due.step.kind),
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
        audit_rows: list[dict[str, Any]] = []
        for due, email, new in zip(chunk, emails, inserted, strict=True):
            if not new:
                continue
            part, unit = email.part, email.unit
            is_escalation = due.step.kind.startswith("escalation")
            if is_escalation:
                queued.escalations += 1
            else:
                queued.reminders += 1
            audit_rows.append(
                audit.values(
                    at=now,
                    actor="scheduler",
                    entity=AuditEntity.CAMPAIGN_UNIT,
                    entity_id=part.id or 0,
                    campaign_id=campaign.id,
                    action=f"nudged:{due.step.kind}",
                    reason=f"tier {due.step.tier}, {due.working_days_left} working days left",
                )
            )
            if due.step.kind == "overdue":
                overdue.append((unit.code, {"deadline": part.deadline.isoformat()}))
        if audit_rows:  # one multi-row insert per chunk, in the same transaction as the emails
            session.connection().execute(insert(audit.TABLE), audit_rows)
        session.commit()
    # After the commit, and capped: one event per unit would overflow the server's event
    # queue for a 10,000-unit campaign (see services.events.publish_unit_events).
    events.after_commit(
        session, lambda: events.publish_unit_events("overdue", campaign_code, overdue)
    )
    return queued


def sent_reminder_tiers(session: Session, campaign_id: int) -> dict[int, set[int]]:
    """Tiers already queued or sent per unit: the ladder's memory lives in the outbox."""
    statement = select(OutboxMessage.unit_id, OutboxMessage.tier).where(
        OutboxMessage.campaign_id == campaign_id,
        col(OutboxMessage.kind).in_(REMINDER_KINDS),
    )
    tiers: dict[int, set[int]] = defaultdict(set)
    for unit_id, tier in session.exec(statement).all():
        if unit_id is not None:
            tiers[unit_id].add(tier)
    return tiers


def reminder_times(session: Session, now: datetime, grace: timedelta) -> set[tuple[str, datetime]]:
    """Every reminder run still to make, as (campaign code, time).

    For each campaign taking submissions (CALLING, REVIEW) and each distinct deadline among its
    units that have not answered (no list, no nil return) and are not paused, the ladder's
    steps that are still owed to at least one of those units (tier above the highest the unit
    already has in the outbox): every future step, and the latest passed step while it is
    within ``grace`` (a run the scheduler missed or did not finish). Several deadlines on one
    step time make one run. Reads the database, writes nothing.
    """
    moment = to_vn(now)
    config = ladder_config(get_settings())
    planned: set[tuple[str, datetime]] = set()
    campaigns = session.exec(
        select(Campaign).where(col(Campaign.stage).in_(REMINDING_STAGES)).order_by(Campaign.code)
    ).all()
    for campaign in campaigns:
        assert campaign.id is not None
        parts = session.exec(
            select(CampaignUnit).where(
                CampaignUnit.campaign_id == campaign.id,
                col(CampaignUnit.first_submitted_at).is_(None),
                col(CampaignUnit.nil_return_at).is_(None),
                col(CampaignUnit.reminders_paused).is_(False),
            )
        ).all()
        if not parts:
            continue
        sent = sent_reminder_tiers(session, campaign.id)
        # Per deadline, the lowest "highest tier already queued" among its units: a step is
        # still owed to someone exactly when its tier is above that.
        floor: dict[date, int] = {}
        for part in parts:
            top = max(sent.get(part.unit_id, ()), default=0)
            floor[part.deadline] = min(floor.get(part.deadline, top), top)
        calendar = calendar_for(session, campaign)
        for deadline, lowest in floor.items():
            steps = plan_ladder(deadline, calendar, config)
            passed = [s for s in steps if s.at <= moment]
            owed = [s for s in steps if s.at > moment]
            if passed and passed[-1].at >= moment - grace:
                owed.append(passed[-1])  # only the latest: due_reminders never sends older ones
            planned.update((campaign.code, to_vn(s.at)) for s in owed if s.tier > lowest)
    return planned
