"""What units did since a moment: which campaigns have new lists or answers to show.

The portal takes lists without a flow run, so nothing refreshes the campaign's artifacts at that
moment; the scheduler asks this every minute and refreshes those campaigns in one run (a
debounce: a burst of a hundred uploads is one refresh, a quiet minute is none). The audit log is
the record: its ids only grow, so "since" is the newest id already seen.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from models.audit import AuditEntity, AuditEvent
from models.campaign import Campaign
from services.intake import OPEN_STAGES

# A list received (portal or intake), a nil return and its withdrawal.
UNIT_ANSWERS = ("list_received", "nil_return", "nil_return_withdrawn")


def newest_event_id(session: Session) -> int:
    newest = session.exec(select(func.max(AuditEvent.id))).one()
    return int(newest or 0)


def campaigns_with_events_since(
    session: Session, after_event_id: int, *where: ColumnElement[bool]
) -> tuple[list[str], int]:
    """Codes of the campaigns with an audit event matching ``where`` after ``after_event_id``,
    and the newest audit event id now (the next call's ``after_event_id``)."""
    newest = newest_event_id(session)
    if newest <= after_event_id:
        return [], newest
    codes = session.exec(
        select(Campaign.code)
        .distinct()
        .join(AuditEvent, col(AuditEvent.campaign_id) == Campaign.id)
        .where(col(AuditEvent.id) > after_event_id, col(AuditEvent.id) <= newest, *where)
    ).all()
    return sorted(codes), newest


def campaigns_answered_since(session: Session, after_event_id: int) -> tuple[list[str], int]:
    """Codes of the campaigns taking lists in which a unit answered after ``after_event_id``,
    and the newest audit event id now (the next call's ``after_event_id``)."""
    return campaigns_with_events_since(
        session,
        after_event_id,
        col(AuditEvent.entity) == AuditEntity.CAMPAIGN_UNIT,
        col(AuditEvent.action).in_(UNIT_ANSWERS),
        col(Campaign.stage).in_(OPEN_STAGES),
    )
