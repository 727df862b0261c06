"""Every document a campaign produces (units' Excel templates, the decision and its annex, the
honourees list, minutes, attendee lists), kept in the database so every host sees it.

The worker that drafts a decision may run on another machine than the portal the operator
downloads it from; a file on the worker's disk would be out of reach. So the bytes live here,
one row per campaign and file name, replaced in place (``version`` counts the rewrites) when a
stage writes the document again; the operator area of the portal serves them
(``portal.operator``). Files under ``var/outputs`` stay a convenience for ``make run``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.db import AwareDateTime


class DocumentKind(StrEnum):
    UNIT_TEMPLATE = "unit_template"  # each unit's own Excel list, sent with the call
    DECISION = "decision"  # the decision and its annex (DOCX)
    HONOUREES = "honourees"  # the honourees list with the amounts (XLSX)
    COUNCIL_PACK = "council_pack"  # the dossiers before the council (XLSX), with the convocation
    MINUTES = "minutes"  # the council's minutes
    ATTENDEES = "attendees"  # the ceremony's attendee list, seating and badge list (XLSX)
    CERTIFICATE = "certificate"  # an honouree's certificate (DOCX), one per honouree


DOCUMENT_KIND_VI: dict[str, str] = {
    DocumentKind.UNIT_TEMPLATE: "Mẫu danh sách của đơn vị",
    DocumentKind.DECISION: "Quyết định khen thưởng và phụ lục",
    DocumentKind.HONOUREES: "Danh sách khen thưởng (số tiền)",
    DocumentKind.COUNCIL_PACK: "Hồ sơ trình Hội đồng",
    DocumentKind.MINUTES: "Biên bản họp Hội đồng",
    DocumentKind.ATTENDEES: "Danh sách đại biểu dự hội nghị",
    DocumentKind.CERTIFICATE: "Giấy khen của người được khen thưởng",
}
DOCUMENT_KIND_EN: dict[str, str] = {
    DocumentKind.UNIT_TEMPLATE: "Unit's list template",
    DocumentKind.DECISION: "Commendation decision and annex",
    DocumentKind.HONOUREES: "Honourees list (amounts)",
    DocumentKind.COUNCIL_PACK: "Dossiers before the council",
    DocumentKind.MINUTES: "Council minutes",
    DocumentKind.ATTENDEES: "Ceremony attendee list",
    DocumentKind.CERTIFICATE: "Honouree's certificate",
}


class CampaignDocument(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("campaign_id", "file_name"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    # A DocumentKind value; a plain string column, so a new kind needs no database change.
    kind: str = Field(max_length=32)
    # The name the download carries: ASCII letters, digits, "-", "_" and "." only (it is also
    # the last part of the download's path).
    file_name: str = Field(max_length=255)
    media_type: str = Field(max_length=128)
    size: int
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    version: int = 1
    created_at: datetime = Field(sa_type=AwareDateTime)
    updated_at: datetime = Field(sa_type=AwareDateTime)
