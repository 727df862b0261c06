"""The paused approval run, as the leader's page sees it through Prefect's API.

The portal never starts a flow run: it only asks whether the run an invite is bound to is still
paused, and resumes it with the leader's answer. That needs the Prefect server the flows report
to: ``PREFECT_API_URL`` (``make up`` sets it), or a portal embedded in the very process that runs
the flows (``portal.embedded``, the demo), which shares that process's Prefect. Without either,
Prefect would start a throwaway server of its own that knows no run, so the page says instead
that the approval is done in the Prefect UI. Prefect is imported lazily, as in
``portal.events``.

The pause's timeout is Prefect's own, on the wall clock (like the outbox's claims): the link
expires with the pause, not with the campaign clock.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from starlette.requests import Request

log = logging.getLogger("portal")


class RunNotPaused(Exception):
    """The run is no longer waiting (answered elsewhere, timed out, or unknown)."""


def prefect_reachable(request: Request) -> bool:
    if getattr(request.app.state, "shares_prefect", False):
        return True
    from prefect.settings import get_current_settings

    return bool(get_current_settings().api.url)


def is_paused(run_id: str) -> bool:
    """True while the run waits for an answer and its pause has not timed out."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    try:
        identifier = UUID(run_id)
    except ValueError:
        return False
    with get_client(sync_client=True) as client:
        try:
            run = client.read_flow_run(identifier)
        except ObjectNotFound:
            return False
    state = run.state
    if state is None or not state.is_paused():
        return False
    timeout = state.state_details.pause_timeout
    return timeout is None or timeout > datetime.now(UTC)


def resume(run_id: str, run_input: dict[str, Any]) -> None:
    """Resume the paused run with ``run_input``; ``RunNotPaused`` if it no longer waits."""
    from prefect.exceptions import FlowPauseTimeout, NotPausedError
    from prefect.flow_runs import resume_flow_run

    try:
        resume_flow_run(UUID(run_id), run_input=run_input)
    except (NotPausedError, FlowPauseTimeout) as exc:
        raise RunNotPaused() from exc
