"""Append-only audit log of every state change: who, when, what, why.

The migration installs triggers that refuse UPDATE and DELETE on this table.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import JSON, Index, Table, inspect
from sqlmodel import Field, Session, SQLModel

from models.db import AwareDateTime


class AuditEntity(StrEnum):
    """What an audit event is about (the ``entity`` column; ``entity_id`` says which one)."""

    CAMPAIGN = "campaign"
    CAMPAIGN_UNIT = "campaign_unit"
    NOMINATION = "nomination"
    APPROVAL = "approval"
    COUNCIL_MEMBER = "council_member"
    HOLIDAY_OVERRIDE = "holiday_override"
    UNIT = "unit"
    OUTBOX = "outbox"
    MAIL_FAULT = "mailfault"
    COMMITTEE_TASK = "committee_task"  # the organising committee's plan (models.committee)
    INVITEE = "invitee"  # a conference invitee and their answers (models.ceremony)


class AuditEvent(SQLModel, table=True):
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=AwareDateTime)
    actor: str = Field(max_length=255)
    campaign_id: int | None = Field(default=None, index=True)
    entity: str = Field(max_length=32)  # an AuditEntity
    entity_id: int
    action: str = Field(max_length=64)
    from_state: str | None = Field(default=None, max_length=32)
    to_state: str | None = Field(default=None, max_length=32)
    reason: str = ""
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


# The table itself, for Core inserts of many events at once (``insert(TABLE)``, ``values``).
TABLE = cast(Table, inspect(AuditEvent).local_table)


def values(
    *,
    at: datetime,
    actor: str,
    entity: AuditEntity,
    entity_id: int,
    action: str,
    campaign_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One event as the column values of a Core ``insert(TABLE)``: for writing many at once."""
    return {
        "at": at,
        "actor": actor,
        "campaign_id": campaign_id,
        "entity": entity,
        "entity_id": entity_id,
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "reason": reason,
        "details": details or {},
    }


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    entity: AuditEntity,
    entity_id: int,
    action: str,
    campaign_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """Add one audit event to the caller's transaction, so it commits with the change it records."""
    session.add(
        AuditEvent(
            **values(
                at=at,
                actor=actor,
                entity=entity,
                entity_id=entity_id,
                action=action,
                campaign_id=campaign_id,
                from_state=from_state,
                to_state=to_state,
                reason=reason,
                details=details,
            )
        )
    )
