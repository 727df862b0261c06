"""The outbox: the source of truth for every email the system meant to send and did send, and
the configuration faults that stop all of it (``MailFault``)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from models.db import AwareDateTime


class JsonOrNull(JSON):
    """JSON whose Python ``None`` is SQL NULL, not the JSON text ``null``: an optional column."""

    def __init__(self) -> None:
        super().__init__(none_as_null=True)


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
    NEW_LINK = "new_link"  # the unit's link was rotated: the new one, the old ones revoked
    RECEIPT = "receipt"  # a list was stored: what was received (tier: the submission id)
    LIST_REJECTED = "list_rejected"  # the operator's intake refused a list naming the unit
    NOT_ELIGIBLE = "not_eligible"  # review found dossiers not eligible (tier: the unit's round)
    # The approving leader's link to decide a paused approval run (tier: the LeaderInvite id;
    # delivery mints the token, models.leader_access).
    LEADER_APPROVAL = "leader_approval"
    # The council's e-ballot (migration 0011): sent to members, unit_id NULL, tier the member id.
    COUNCIL_CONVOCATION = "council_convocation"  # meeting, dossier pack, personal ballot link
    COUNCIL_REMINDER = "council_reminder"  # a working day before the close, to non-voters only
    COUNCIL_MEMBER_RESULT = "council_member_result"  # the result, to every member
    COMMITTEE_TASK = "committee_task"  # an organising committee task, to its contact
    COMMITTEE_REMINDER = "committee_reminder"  # its due passed: to the contact
    COMMITTEE_ESCALATION = "committee_escalation"  # still not done: to the owner unit's head
    CEREMONY_INVITATION = "ceremony_invitation"  # the conference invitation, the invitee's link
    CEREMONY_CONFIRMATION = "ceremony_confirmation"  # an answer recorded: time, place, seat
    CEREMONY_REMINDER = "ceremony_reminder"  # no answer yet: to the invitee
    CEREMONY_ESCALATION = "ceremony_escalation"  # cut-off day: the unit's focal person too


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
        # A runner renews and releases its claim by token (migration 0005).
        Index("ix_outbox_claim_token", "claim_token"),
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
    # Files the email carries, NULL for most: [{"path": relative to Settings.output_dir,
    # "name": the file name the recipient sees}] (``notifications.attachments``; migration 0008).
    attachments: list[dict[str, str]] | None = Field(default=None, sa_type=JsonOrNull)
    # Who is sending this row right now: a random id per runner batch, set by the claim, cleared
    # by the outcome. An outcome is written only while the token is still the row's, so a
    # runner that lost its claim can never overwrite the outcome of the runner that took over.
    # Times are the wall clock (UTC), not the campaign clock: a lease is about a live process.
    claim_token: str | None = Field(default=None, max_length=32)
    claimed_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    claim_expires_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    # The campaign unit whose personal link this email carries (migration 0007): its bodies hold
    # models.access.LINK_PLACEHOLDER, and delivery mints the token into the outgoing copy only.
    link_part_id: int | None = Field(default=None, foreign_key="campaignunit.id")
    # The council member whose personal ballot link this email carries (migration 0011), the
    # same placeholder minted at delivery into a ballot token (models.ballot.BallotToken).
    link_member_id: int | None = Field(default=None, foreign_key="councilmember.id")
    # The committee task whose owner's link this email carries (migration 0013): same
    # placeholder, same minting at delivery, a token in ``tasktoken`` instead.
    link_task_id: int | None = Field(default=None, foreign_key="committeetask.id")
    # The conference invitee whose link this email carries (migration 0014), a token in
    # ``invitetoken`` (models.ceremony).
    link_invitee_id: int | None = Field(default=None, foreign_key="invitee.id")


class MailFaultKind(StrEnum):
    """Why no email can leave at all: the configuration, not any one message, is wrong."""

    AUTH = "auth"  # the server refused our login (535), or offers no AUTH
    TLS = "tls"  # TLS could not be set up (certificate, protocol, no STARTTLS offered)
    RELAY = "relay"  # the server refuses to take mail from us or relay it (5.7.x, 530, 554)


class MailFault(SQLModel, table=True):
    """A configuration fault seen by delivery; open while ``resolved_at`` is None.

    Delivery records it instead of deferring every message blindly, stops, and tries the server
    again only once ``probe_after`` (wall clock) has passed, or at once when the SMTP settings
    it was seen with (``server``) change or the operator asks (``tonvinh mail requeue``). The
    first message the server accepts resolves it.
    """

    id: int | None = Field(default=None, primary_key=True)
    # A MailFaultKind value; a plain string column, so a new kind needs no database enum change.
    kind: str = Field(max_length=16)
    # The server's answer or the TLS error, scrubbed of secrets.
    detail: str
    # host:port, TLS mode and login name the fault was seen with (never the password).
    server: str = Field(max_length=255)
    first_seen_at: datetime = Field(sa_type=AwareDateTime)
    last_seen_at: datetime = Field(sa_type=AwareDateTime)
    occurrences: int = 1
    probe_after: datetime = Field(sa_type=AwareDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=AwareDateTime, index=True)
