"""The outbox: the source of truth for every email the system meant to send and did send."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from models.db import AwareDateTime


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # permanent: the operator must act


class EmailKind(StrEnum):
    """What an email is for: its template (``notifications/templates/<lang>/<kind>.*.j2``) and
    the ``kind`` part of its outbox key."""

    CALL = "call"
    REMINDER = "reminder"
    OVERDUE = "overdue"
    ESCALATION_UNIT_HEAD = "escalation_unit_head"
    ESCALATION_DEPARTMENT = "escalation_department"
    RETURNED = "returned"
    COUNCIL_RESULT = "council_result"
    APPROVAL_RESULT = "approval_result"
    INVITATION = "invitation"


# The ladder's steps: the reminder ladder's memory is which of these tiers a unit has had.
REMINDER_KINDS = (
    EmailKind.REMINDER,
    EmailKind.OVERDUE,
    EmailKind.ESCALATION_UNIT_HEAD,
    EmailKind.ESCALATION_DEPARTMENT,
)


class OutboxMessage(SQLModel, table=True):
    __table_args__ = (
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
        # Per-unit counts and the ladder's memory, read from the index alone (migration 0004).
        Index("ix_outbox_campaign_unit_kind", "campaign_id", "unit_id", "kind", "status", "tier"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # campaign:unit:kind:tier - a re-run that would send the same nudge inserts nothing.
    idempotency_key: str = Field(max_length=255, unique=True)
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id", index=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    kind: str = Field(max_length=32)  # an EmailKind
    tier: int = 0
    to_addrs: list[str] = Field(sa_type=JSON)  # formataddr strings
    cc_addrs: list[str] = Field(default_factory=list, sa_type=JSON)
    subject: str
    text_body: str
    html_body: str
    message_id: str = Field(max_length=255)
    status: OutboxStatus = Field(default=OutboxStatus.PENDING, max_length=8)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=AwareDateTime)
    last_error: str | None = None
    # Per recipient: "accepted" or the server's refusal, from the last attempt.
    recipient_results: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(sa_type=AwareDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
