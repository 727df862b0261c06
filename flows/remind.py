"""Stage 3 - remind: the reminder ladder's due step for every unit behind, then delivery."""

from __future__ import annotations

from datetime import datetime

from prefect import flow

from flows.common import StageRun, deliver_outbox, stage_task
from flows.monitor import publish_campaign_artifacts
from models.clock import resolve
from models.db import session_scope
from services.reminders import QueuedReminders, enqueue_due_reminders


@stage_task(name="enqueue-due-reminders")
def enqueue_due_reminders_task(campaign_code: str, now: datetime) -> QueuedReminders:
    """Work out who is behind and which step is due, and queue exactly that step's email.

    One read of the campaign's units, one of the outbox (the ladder's memory), a pure rule in
    between; the outbox key campaign:unit:kind:tier makes a second run at the same moment a no-op.
    """
    with session_scope() as session:
        return enqueue_due_reminders(session, campaign_code, now)


class ReminderRun(QueuedReminders, StageRun):
    pass


@flow(name="send-reminders", log_prints=True)
def send_reminders(campaign_code: str, now: datetime | None = None) -> ReminderRun:
    """Nudge every unit that is behind with the step of the ladder due now, and deliver.

    The queueing runs inside the delivery: its SMTP connections send each chunk of reminders
    as it is committed while the next is rendered (one busy core and the connections' waits
    on the server overlap instead of following each other)."""
    moment = resolve(now)
    queued = QueuedReminders()

    def queue() -> None:
        # Added up: a retried delivery queues again, and only what its first try left out.
        run = enqueue_due_reminders_task(campaign_code, moment)
        queued.reminders += run.reminders
        queued.escalations += run.escalations

    delivery = deliver_outbox(moment, queue=queue)
    publish_campaign_artifacts(campaign_code, moment)
    return ReminderRun(campaign=campaign_code, **queued.model_dump(), **delivery.model_dump())
