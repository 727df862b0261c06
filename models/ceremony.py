"""The commendation conference: its hall and time, its invitees and their answers, and the
invitees' link tokens.

``Ceremony`` is one row per campaign (venue, opening time, the hall's capacity, the RSVP
cut-off day). ``Invitee`` is one person invited once (``models.rules.ceremony.person_key``): an
honouree of the signed decision, an honoured collective's representative, or a row of a guest
list; where they stand (``SeatState``: invited, attending, sending a deputy, declined, waiting
for a seat) and who comes (the attendee's name and position, a deputy's if one is sent).

The invitee's link works like a committee task owner's (``models.committee``): 256 random
bits, only the SHA-256 stored, minted when the email is sent (``outboxmessage.link_invitee_id``),
in a table of its own so no other door's token can open an invitation, nor its token another.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Connection, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.access import mint_token
from models.db import AwareDateTime
from models.rules.ceremony import Category, SeatState

SEAT_STATE_VI = {
    SeatState.PENDING: "Chưa xếp chỗ",
    SeatState.INVITED: "Đã mời, chưa trả lời",
    SeatState.ATTENDING: "Tham dự",
    SeatState.DEPUTY: "Cử người dự thay",
    SeatState.DECLINED: "Không tham dự",
    SeatState.WAITLISTED: "Danh sách chờ",
}
SEAT_STATE_EN = {
    SeatState.PENDING: "Not yet placed",
    SeatState.INVITED: "Invited, no answer yet",
    SeatState.ATTENDING: "Attending",
    SeatState.DEPUTY: "Sending a deputy",
    SeatState.DECLINED: "Not attending",
    SeatState.WAITLISTED: "Waiting list",
}


class Ceremony(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", unique=True)
    venue: str = Field(max_length=255)
    starts_at: datetime = Field(sa_type=AwareDateTime)
    capacity: int
    rsvp_cutoff_on: date  # answers are taken through the end of this day
    created_at: datetime = Field(sa_type=AwareDateTime)
    updated_at: datetime = Field(sa_type=AwareDateTime)


class Invitee(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("campaign_id", "person_key", name="uq_invitee_person"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    person_key: str = Field(max_length=320)
    category: Category = Field(max_length=16)
    row: int = 0  # order within its category's source (decision, guest list)
    full_name: str = Field(max_length=255)
    position: str = Field(default="", max_length=255)
    organisation: str = Field(default="", max_length=255)  # the delegation they sit with
    email: str = Field(max_length=254)  # own, or the unit focal person's for an honouree
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    honours: list[str] = Field(default_factory=list, sa_type=JSON)
    state: SeatState = Field(default=SeatState.PENDING, max_length=16)
    # Who comes: the invitee (name and position as confirmed), or the named deputy.
    attendee_name: str | None = Field(default=None, max_length=255)
    attendee_position: str | None = Field(default=None, max_length=255)
    answers: int = 0  # answers that changed something (each gets its confirmation email)
    answered_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    invited_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    last_nudge_tier: int = 0
    created_at: datetime = Field(sa_type=AwareDateTime)
    updated_at: datetime = Field(sa_type=AwareDateTime)


class InviteToken(SQLModel, table=True):
    """One invitation link token, by its hash."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    invitee_id: int = Field(foreign_key="invitee.id", index=True)
    created_at: datetime = Field(sa_type=AwareDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=AwareDateTime)


def mint_invite_token(connection: Connection, invitee_id: int, now: datetime) -> str:
    """A fresh token for an invitee's link (``models.access.mint_token``)."""
    return mint_token(connection, InviteToken, now, invitee_id=invitee_id)
