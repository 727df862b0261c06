"""Moving dossiers between states, many at once, each move with its audit event."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, inspect, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from models import audit
from models.audit import AuditEntity
from models.nomination import Nomination, NominationStatus


@dataclass(frozen=True)
class Transition:
    """One nomination moving to a new status, with the why for the audit log (and, for a
    return, for the unit: it becomes the nomination's ``return_reason``)."""

    nomination: Nomination
    to: NominationStatus
    reason: str = ""
    details: dict[str, Any] | None = None


_NOMINATION = cast(Table, inspect(Nomination).local_table)
# Ids per UPDATE: well under SQLite's 32,766 bound parameters.
_IDS_PER_STATEMENT = 5_000
# A return carries its own reason per row: one executemany of this.
_RETURN = (
    update(_NOMINATION)
    .where(_NOMINATION.c.id == bindparam("row_id"))
    .values(
        status=NominationStatus.RETURNED,
        return_reason=bindparam("why"),
        updated_at=bindparam("moved_at", type_=_NOMINATION.c.updated_at.type),
    )
)


def move_nominations(
    session: Session,
    transitions: Sequence[Transition],
    *,
    now: datetime,
    actor: str,
    action: str,
    campaign_id: int,
) -> None:
    """Move many nominations to their new status with one audit event each, set-based.

    One UPDATE per target status (an executemany for returns, each with its reason) and
    multi-row audit inserts, in the caller's transaction, instead of an ORM flush per row:
    review, council, approval and honouring move ~50,000 dossiers at national scale.
    ``return_reason`` holds the reason while a dossier is returned and is cleared by any other
    move. The objects in the session see their new values without becoming dirty.
    """
    session.flush()  # changes made through the ORM before this go first
    events = [
        audit.values(
            at=now,
            actor=actor,
            entity=AuditEntity.NOMINATION,
            entity_id=cast(int, t.nomination.id),
            campaign_id=campaign_id,
            action=action,
            from_state=t.nomination.status,
            to_state=t.to,
            reason=t.reason,
            details=t.details,
        )
        for t in transitions
    ]
    ids_by_target: dict[NominationStatus, list[int]] = defaultdict(list)
    returns: list[dict[str, Any]] = []
    for t in transitions:
        if t.to is NominationStatus.RETURNED:
            returns.append({"row_id": t.nomination.id, "why": t.reason, "moved_at": now})
        else:
            ids_by_target[t.to].append(cast(int, t.nomination.id))
    connection = session.connection()
    for target, ids in ids_by_target.items():
        for start in range(0, len(ids), _IDS_PER_STATEMENT):
            connection.execute(
                update(_NOMINATION)
                .where(col(_NOMINATION.c.id).in_(ids[start : start + _IDS_PER_STATEMENT]))
                .values(status=target, return_reason=None, updated_at=now)
            )
    if returns:
        connection.execute(_RETURN, returns)
    for start in range(0, len(events), _IDS_PER_STATEMENT):
        connection.execute(insert(audit.TABLE), events[start : start + _IDS_PER_STATEMENT])
    for t in transitions:
        set_committed_value(t.nomination, "status", t.to)
        set_committed_value(
            t.nomination, "return_reason", t.reason if t.to is NominationStatus.RETURNED else None
        )
        set_committed_value(t.nomination, "updated_at", now)
