"""What every flow shares: Prefect's side of the service layer (events, the run's logger),
artifact keys, and the one delivery task."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext, TaskRunContext
from prefect.events import emit_event
from prefect.settings import PREFECT_API_URL
from prefect.states import State
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from models import clock
from models.db import session_scope
from services import events
from services.errors import OperatorError
from services.mail import deliver_and_report


def _to_prefect(
    name: str,
    resource: events.Resource,
    related: list[events.Resource],
    payload: dict[str, Any],
) -> None:
    # Only where a server is there to receive: inside a run (which has its server, throwaway
    # or not), or with an API URL configured. Elsewhere (a command that imported the flows but
    # runs none, a service called outside any run) Prefect would start a throwaway server for
    # this one event, which nobody can read: ~11 s of CPU, and it stays up with the process.
    in_a_run = FlowRunContext.get() is not None or TaskRunContext.get() is not None
    if in_a_run or PREFECT_API_URL.value():
        emit_event(event=name, resource=resource, related=related or None, payload=payload)


# Whatever the services announce while a flow runs becomes a Prefect event.
events.connect(_to_prefect)


P = ParamSpec("P")
R = TypeVar("R")


def _failure(state: State[Any]) -> Exception | None:
    """What a failed attempt raised, for the retry conditions below."""
    try:
        state.result()
    except Exception as failure:
        return failure
    return None


def database_dropped(task: Any, task_run: Any, state: State[Any]) -> bool:
    """Retry a stage task only when its database connection died under it (a restart, a
    failover, an administrator's ``pg_terminate_backend``). Each stage task writes in one
    transaction, so the dropped attempt left nothing behind and running it again is safe; any
    other failure (a refusal, a bug) is not retried."""
    failure = _failure(state)
    return isinstance(failure, DBAPIError) and bool(failure.connection_invalidated)


def stage_task(name: str) -> Callable[[Callable[P, R]], Task[P, R]]:
    """A task that works on the campaign: no result cache (each run reads the database
    afresh), and a retry when the database connection drops mid-task."""

    def declare(work: Callable[P, R]) -> Task[P, R]:
        return task(
            name=name,
            cache_policy=NO_CACHE,
            retries=2,
            retry_delay_seconds=[1, 5],
            retry_condition_fn=database_dropped,
        )(work)

    return declare


ROOT = Path(__file__).resolve().parents[1]


def checkout_path(path: str) -> Path:
    """A file an operator names to a deployment (a guest list, a committee plan): absolute as
    given, else relative to the checkout the worker runs from."""
    given = Path(path)
    return given if given.is_absolute() else ROOT / given


def artifact_key(*parts: str) -> str:
    """Prefect artifact keys allow only lowercase letters, digits and dashes."""
    return re.sub(r"[^a-z0-9-]+", "-", "-".join(parts).lower()).strip("-")


class DeliveryCounts(BaseModel):
    """What a stage's delivery did: sent, failed for good, deferred, and still pending."""

    sent: int = 0
    failed: int = 0
    retry_later: int = 0
    pending_left: int = 0
    # Rows another runner took over meanwhile (this run stopped sending them).
    lost_claims: int = 0
    # A configuration fault met (no email can leave) or found fixed, as its event says it.
    fault: dict[str, Any] | None = None
    fault_resolved: dict[str, Any] | None = None


class StageRun(DeliveryCounts):
    """A stage run's result: the campaign, and its delivery's counts beside its own figures."""

    campaign: str


def not_a_refusal(task: Any, task_run: Any, state: State[Any]) -> bool:
    """Retry the delivery unless the stage's queueing inside it was refused (an unknown
    campaign, say): a refusal says the same on every try, and the operator reads it at once."""
    return not isinstance(_failure(state), OperatorError)


@task(
    name="deliver-outbox",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[10, 60],
    retry_condition_fn=not_a_refusal,
)
def deliver_outbox(now: datetime, queue: Callable[[], object] | None = None) -> DeliveryCounts:
    """Send every pending email over one SMTP connection (``TONVINH_SMTP_CONNECTIONS`` of them,
    each a forked process with its own claimed batches, when more).

    Each message's result commits as soon as the server answers, so a retry of this task (or a
    crash) repeats at most the message each connection had in flight; transient failures stay
    pending with a backoff and are picked up by the next run. ``queue``: the stage's queueing
    task, run here while the connections already send what it commits (``flows.remind``).
    """
    report = deliver_and_report(now, queue).report
    # The counts are the run's result; the failed ids are in the event.
    return DeliveryCounts(
        sent=report.sent,
        failed=report.failed,
        retry_later=report.retry_later,
        pending_left=report.pending_left,
        lost_claims=report.lost_claims,
        fault=report.fault.payload() if report.fault else None,
        fault_resolved=report.fault_resolved.payload() if report.fault_resolved else None,
    )


class RefreshAfterAnswers:
    """Housekeeping the scheduler runs every ``scheduler_artifacts_every_minutes``: one
    ``refresh`` for all the campaigns ``answered_since`` finds (people answered through the
    portal since the last look), none when nobody answered. The portal never starts a flow
    run; this keeps what operators see at most a minute behind the answers."""

    def __init__(
        self,
        answered_since: Callable[[Session, int], tuple[list[str], int]],
        refresh: Callable[[list[str], datetime], object],
    ) -> None:
        self.answered_since = answered_since
        self.refresh = refresh
        self.seen = 0  # the newest audit event looked at (0: catch up once after a start)

    def __call__(self) -> list[str]:
        with session_scope() as session:
            codes, newest = self.answered_since(session, self.seen)
        if codes:
            self.refresh(codes, clock.now())
        self.seen = newest  # only once refreshed: a failed refresh is tried again next time
        return codes
