"""Stage 2 - dispatch: the call (công văn) to every unit, with its own Excel list."""

from __future__ import annotations

from datetime import datetime

from prefect import flow

from flows.common import StageRun, deliver_outbox, stage_task
from flows.monitor import publish_campaign_artifacts
from models.clock import resolve
from models.db import session_scope
from services.dispatch import enqueue_calls, write_unit_templates


@stage_task(name="write-unit-templates")
def write_unit_templates_task(campaign_code: str, now: datetime) -> str:
    """Generate each unit's own Excel list (its code is inside, so intake knows whose it is)."""
    with session_scope() as session:
        return write_unit_templates(session, campaign_code, now)


@stage_task(name="enqueue-calls")
def enqueue_calls_task(campaign_code: str, now: datetime, actor: str) -> int:
    """Queue the call for every unit not yet called; the outbox key makes a re-run a no-op."""
    with session_scope() as session:
        return enqueue_calls(session, campaign_code, now, actor)


class DispatchRun(StageRun):
    calls_queued: int
    templates: str


@flow(name="dispatch-call", log_prints=True)
def dispatch_call(
    campaign_code: str, now: datetime | None = None, actor: str = "operator"
) -> DispatchRun:
    """Send the call for nominations to every unit's focal contact, with its own template."""
    moment = resolve(now)
    folder = write_unit_templates_task(campaign_code, moment)
    queued = enqueue_calls_task(campaign_code, moment, actor)
    delivery = deliver_outbox(moment)
    publish_campaign_artifacts(campaign_code, moment)
    return DispatchRun(
        campaign=campaign_code, calls_queued=queued, templates=folder, **delivery.model_dump()
    )
