"""Events leave the service layer through here, so services stay free of Prefect.

A service announces what happened (``publish``, or ``publish_after_commit`` for what must not be
said if the transaction rolls back); whoever runs the service connects a sink: the flows and
the portal connect Prefect's ``emit_event`` (``flows.events``), tests may connect a list. With no
sink connected an event goes nowhere, which is right for a command that runs no flow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import event as sa_event
from sqlmodel import Session

Resource = dict[str, str]
Sink = Callable[[str, Resource, list[Resource], dict[str, Any]], None]

_sinks: list[Sink] = []

# A campaign may have ~10,000 units, and a single Prefect server keeps at most 10,000 events in
# memory per consumer ("Subscription queue is full, dropping message" past that; measured: a
# burst of 30,000 events kept 10,181). So per-unit events are capped per stage run, and one
# campaign-level event per run carries the count and the unit codes. Per-unit truth lives in our
# tables and the `<campaign>-units` artifact, not in events.
UNIT_EVENTS_PER_RUN = 50
UNIT_CODES_PER_EVENT = 1000


def connect(sink: Sink) -> None:
    """Send every event from now on to ``sink`` too (once per sink)."""
    if sink not in _sinks:
        _sinks.append(sink)


def disconnect(sink: Sink) -> None:
    if sink in _sinks:
        _sinks.remove(sink)


def publish(
    name: str,
    resource: Resource,
    *,
    related: Sequence[Resource] = (),
    payload: dict[str, Any] | None = None,
) -> None:
    for sink in list(_sinks):
        sink(name, resource, list(related), payload or {})


def publish_after_commit(
    session: Session, name: str, resource: Resource, payload: dict[str, Any] | None = None
) -> None:
    """Announce once the session's transaction commits; a rollback announces nothing."""

    after_commit(session, lambda: publish(name, resource, payload=payload))


def campaign_resource(campaign_code: str) -> Resource:
    return {"prefect.resource.id": f"tonvinh.campaign.{campaign_code}"}


def publish_unit_events(
    what: str, campaign_code: str, units: Sequence[tuple[str, dict[str, Any]]]
) -> int:
    """`tonvinh.unit.<what>` for the first UNIT_EVENTS_PER_RUN units, then one
    `tonvinh.campaign.<what>` for the whole lot (count, unit codes); returns events published.

    Call it once per stage run, after the work is committed, with every unit concerned.
    """
    if not units:
        return 0
    campaign = campaign_resource(campaign_code) | {"prefect.resource.role": "campaign"}
    per_unit = units[:UNIT_EVENTS_PER_RUN]
    for unit_code, payload in per_unit:
        publish(
            f"tonvinh.unit.{what}",
            {"prefect.resource.id": f"tonvinh.unit.{unit_code}"},
            related=[campaign],
            payload=payload,
        )
    codes = [code for code, _ in units]
    publish(
        f"tonvinh.campaign.{what}",
        campaign_resource(campaign_code),
        payload={
            "count": len(units),
            "units": codes[:UNIT_CODES_PER_EVENT],
            "units_truncated": len(codes) > UNIT_CODES_PER_EVENT,
            "unit_events": len(per_unit),
        },
    )
    return len(per_unit) + 1


def after_commit(session: Session, action: Callable[[], object]) -> None:
    """Run ``action`` once the session's transaction commits (not at all on a rollback)."""
    sa_event.listen(session, "after_commit", lambda _session: action(), once=True)
