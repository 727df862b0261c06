"""The portal's events reach Prefect only when there is a Prefect server to reach.

An accepted list announces ``tonvinh.unit.submitted`` (``services.events``); the flows connect
Prefect's ``emit_event`` as the sink. The portal does the same, but only when ``PREFECT_API_URL``
is set (``make up`` sets it): without a server, Prefect would start a throwaway one inside the
portal process. Prefect is imported here lazily, so the portal starts fast and runs without it.
No flow run is ever started: an event is a message on the server's event stream, nothing more.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from services import events

log = logging.getLogger("portal")


def _to_prefect(
    name: str,
    resource: events.Resource,
    related: list[events.Resource],
    payload: dict[str, Any],
) -> None:
    from prefect.events import emit_event

    try:
        emit_event(event=name, resource=resource, related=related or None, payload=payload)
    except Exception:  # monitoring must never fail a unit's upload (it is already stored)
        log.exception("Could not send the event %s to Prefect", name)


def connect_prefect() -> bool:
    """Send the services' events to Prefect if a server is configured; True if connected."""
    if not os.environ.get("PREFECT_API_URL"):
        return False
    events.connect(_to_prefect)
    return True
