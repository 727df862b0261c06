"""A campaign (one year's call) and each unit's part in it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.db import AwareDateTime


class CampaignStage(StrEnum):
    PLANNED = "planned"
    CALLING = "calling"  # call dispatched, units submitting
    REVIEW = "review"
    COUNCIL = "council"
    APPROVAL = "approval"
    APPROVED = "approved"
    HONOURED = "honoured"
    REJECTED = "rejected"


class CampaignBase(SQLModel):
    code: str = Field(max_length=64, unique=True, index=True)
    year: int = Field(ge=2000, le=2100)
    name: str = Field(max_length=255)
    rule_pack: str = Field(max_length=64)
    titles_on_offer: list[str] = Field(default_factory=list, sa_type=JSON)
    # Per-title quota of honourees the council may pass; absent title = no quota.
    quotas: dict[str, int] = Field(default_factory=dict, sa_type=JSON)
    conference_date: date


class CampaignCreate(CampaignBase):
    pass


class CampaignDeadlines(SQLModel):
    """Deadlines per stage, derived backwards from the conference date in working days."""

    dispatch_on: date
    submission_due: date
    review_due: date
    council_on: date
    approval_due: date


class Campaign(CampaignBase, CampaignDeadlines, table=True):
    id: int | None = Field(default=None, primary_key=True)
    stage: CampaignStage = Field(default=CampaignStage.PLANNED, max_length=16)
    created_at: datetime = Field(sa_type=AwareDateTime)
    # Recorded when the registry numbers the signed decision (services.signing); until then
    # the decision is a draft ("DỰ THẢO") and nothing sent out quotes a number.
    decision_number: str | None = Field(default=None, max_length=64)
    decision_date: date | None = None
    decision_signer_name: str | None = Field(default=None, max_length=255)
    decision_signer_title: str | None = Field(default=None, max_length=255)


class CampaignPublic(CampaignBase, CampaignDeadlines):
    id: int
    stage: CampaignStage


class ParticipationStatus(StrEnum):
    INVITED = "invited"  # call not yet sent
    CALLED = "called"  # call sent, nothing received yet
    SUBMITTED = "submitted"
    RETURNED = "returned"  # at least one nomination returned, waiting for resubmission
    RESUBMITTED = "resubmitted"
    REVIEWED = "reviewed"
    NIL_RETURN = "nil_return"  # answered "no nominations this year" (Không đề nghị)


class CampaignUnit(SQLModel, table=True):
    """One unit's part in a campaign: its own deadline, pause switch and progress."""

    __table_args__ = (UniqueConstraint("campaign_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    deadline: date
    status: ParticipationStatus = Field(default=ParticipationStatus.INVITED, max_length=16)
    reminders_paused: bool = False
    called_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    first_submitted_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    last_submitted_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    resubmission_due: date | None = None
    # A nil return ("no nominations this year"): when, and the name of who confirmed it. It
    # counts as the unit's answer (no more reminders) until withdrawn or a list arrives.
    nil_return_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    nil_return_by: str | None = Field(default=None, max_length=255)
    # The unit's personal link is an AccessToken (models/access.py), stored only as a hash.


class HolidayOverride(SQLModel, table=True):
    """A late government announcement: a day off (is_working_day False) or a make-up workday."""

    day: date = Field(primary_key=True)
    is_working_day: bool
    name: str = Field(max_length=255)
    source: str = Field(default="", max_length=255)
