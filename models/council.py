"""The council (Hội đồng Thi đua - Khen thưởng), its ballots, and leadership's approval."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import EmailStr
from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.db import AwareDateTime


class CouncilRole(StrEnum):
    CHAIR = "chair"
    SECRETARY = "secretary"
    MEMBER = "member"


class CouncilMemberBase(SQLModel):
    name: str = Field(max_length=255)
    role: CouncilRole = Field(default=CouncilRole.MEMBER, max_length=16)
    email: EmailStr | None = Field(default=None, max_length=254)
    # Migration 0011: the member's position and unit (a member is recused on their unit's
    # dossiers); both optional, so councils registered before keep working.
    position: str | None = Field(default=None, max_length=255)
    unit_code: str | None = Field(default=None, max_length=64)


class CouncilMemberCreate(CouncilMemberBase):
    pass


class CouncilMember(CouncilMemberBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)


class Ballot(SQLModel, table=True):
    """One member's vote on one nomination; a member absent from the meeting votes in writing."""

    __table_args__ = (UniqueConstraint("nomination_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    nomination_id: int = Field(foreign_key="nomination.id", index=True)
    member_id: int = Field(foreign_key="councilmember.id")
    in_favour: bool
    in_writing: bool = False
    recorded_at: datetime = Field(sa_type=AwareDateTime)


class CouncilResult(SQLModel, table=True):
    """The tally for one nomination and one award it proposes (a title, a form of commendation),
    kept so the approval and the annex cite the figures."""

    __table_args__ = (UniqueConstraint("nomination_id", "award_code"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    nomination_id: int = Field(foreign_key="nomination.id")
    award_code: str = Field(max_length=32)
    votes_in_favour: int
    members_total: int
    threshold: float
    above_threshold: bool
    selected: bool
    rank: int | None = None
    note: str = ""


class ApprovalDecision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    RETURN = "return"


class Approval(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    decision: ApprovalDecision = Field(max_length=8)
    approver: str = Field(max_length=255)
    comment: str = ""
    excluded_nomination_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    decided_at: datetime = Field(sa_type=AwareDateTime)
    flow_run_id: str | None = Field(default=None, max_length=64)
