"""Nominations, the submissions that carry them, and the reviewers' findings."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Index, text
from sqlmodel import Field, SQLModel

from models.db import AwareDateTime


class NomineeKind(StrEnum):
    INDIVIDUAL = "individual"
    COLLECTIVE = "collective"


class InitiativeLevel(StrEnum):
    NONE = "none"
    BASE = "co_so"  # recognised at the unit
    MINISTRY = "bo"  # recognised ministry-wide
    NATIONAL = "toan_quoc"  # nationwide impact


class NominationStatus(StrEnum):
    SUBMITTED = "submitted"  # Chờ duyệt
    ELIGIBLE = "eligible"  # Đủ điều kiện
    INELIGIBLE = "ineligible"  # Không đủ điều kiện
    RETURNED = "returned"  # Bị trả lại
    WITHDRAWN = "withdrawn"  # dropped by the unit in a later submission
    PASSED = "passed"  # council voted above threshold and within quota
    NOT_PASSED = "not_passed"
    APPROVED = "approved"  # Chờ khen thưởng
    EXCLUDED = "excluded"  # removed by the approver
    HONOURED = "honoured"  # Đã khen thưởng


# What an operator reads for each status (the dossier states of Vietnamese commendation practice).
NOMINATION_STATUS_VI: dict[NominationStatus, str] = {
    NominationStatus.SUBMITTED: "Chờ duyệt",
    NominationStatus.ELIGIBLE: "Đủ điều kiện",
    NominationStatus.INELIGIBLE: "Không đủ điều kiện",
    NominationStatus.RETURNED: "Bị trả lại",
    NominationStatus.WITHDRAWN: "Đơn vị rút",
    NominationStatus.PASSED: "Hội đồng thông qua",
    NominationStatus.NOT_PASSED: "Hội đồng không thông qua",
    NominationStatus.APPROVED: "Chờ khen thưởng",
    NominationStatus.EXCLUDED: "Không được phê duyệt",
    NominationStatus.HONOURED: "Đã khen thưởng",
}


class Attachment(SQLModel):
    """Metadata of a supporting document; the file travels beside the Excel list."""

    file_name: str
    kind: str = "bao_cao_thanh_tich"


class NominationBase(SQLModel):
    kind: NomineeKind = Field(max_length=16)
    full_name: str = Field(max_length=255)
    gender: str | None = Field(default=None, max_length=8)
    birth_date: date | None = None
    position: str | None = Field(default=None, max_length=255)
    department: str | None = Field(default=None, max_length=255)
    workplace: str | None = Field(default=None, max_length=255)
    address: str | None = Field(default=None, max_length=255)
    category: str | None = Field(default=None, max_length=128)
    proposed_title: str | None = Field(default=None, max_length=32)
    proposed_form: str | None = Field(default=None, max_length=32)
    achievement_summary: str = Field(default="")
    consecutive_base_years: int = 0  # consecutive years as Chiến sĩ thi đua cơ sở
    consecutive_ministry_years: int = 0  # consecutive Chiến sĩ thi đua cấp Bộ
    initiative_level: InitiativeLevel = Field(default=InitiativeLevel.NONE, max_length=16)
    excellent_completion: bool = False
    under_discipline: bool = False  # discipline, investigation or unresolved complaint
    women_share: float | None = None  # collectives: share of women, 0..1
    attachments: list[dict[str, str]] = Field(default_factory=list, sa_type=JSON)


class NominationCreate(NominationBase):
    row_number: int


class Nomination(NominationBase, table=True):
    __table_args__ = (
        # (campaign, unit, status): the per-unit counts read the index alone (migration 0004).
        Index("ix_nomination_campaign_unit", "campaign_id", "unit_id", "status"),
        # One live dossier per nominee and unit (migration 0006).
        Index(
            "ux_nomination_live_nominee",
            "campaign_id",
            "unit_id",
            "nominee_key",
            unique=True,
            sqlite_where=text("status != 'WITHDRAWN'"),
            postgresql_where=text("status != 'WITHDRAWN'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    submission_id: int = Field(foreign_key="submission.id")
    # Normalised identity of the nominee, so a resubmitted row updates the same nomination.
    nominee_key: str = Field(max_length=300, index=True)
    row_number: int
    status: NominationStatus = Field(default=NominationStatus.SUBMITTED, max_length=16)
    return_reason: str | None = None
    created_at: datetime = Field(sa_type=AwareDateTime)
    updated_at: datetime = Field(sa_type=AwareDateTime)


class NominationPublic(NominationBase):
    id: int
    unit_id: int
    status: NominationStatus
    return_reason: str | None


class Submission(SQLModel, table=True):
    """One Excel list received from a unit; a later one supersedes it."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    file_name: str = Field(max_length=255)
    sha256: str = Field(max_length=64, index=True)
    received_at: datetime = Field(sa_type=AwareDateTime)
    row_count: int
    submitted_by: str = Field(max_length=255)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class ReviewFinding(SQLModel, table=True):
    """A reviewer's (or automatic check's) finding about one nomination, with its legal basis."""

    id: int | None = Field(default=None, primary_key=True)
    nomination_id: int = Field(foreign_key="nomination.id", index=True)
    code: str = Field(max_length=64)
    severity: Severity = Field(max_length=8)
    message: str
    citation: str = Field(default="", max_length=255)
    reviewer: str = Field(max_length=255)
    created_at: datetime = Field(sa_type=AwareDateTime)
