"""A dossier's supporting documents (achievement report, the unit's council minutes), uploaded
by the unit through its link.

The file is kept under ``var/attachments/`` by its SHA-256 (``services.attachments``), never
under a name the client chose; ``file_name`` is the original name, sanitised, for display and
for the download's ``Content-Disposition``, with the extension of the type its content shows.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.db import AwareDateTime


class AttachmentKind(StrEnum):
    ACHIEVEMENT_REPORT = "bao_cao_thanh_tich"  # Báo cáo thành tích
    COUNCIL_MINUTES = "bien_ban_hop"  # Biên bản họp xét của đơn vị
    OTHER = "khac"


ATTACHMENT_KIND_VI = {
    AttachmentKind.ACHIEVEMENT_REPORT: "Báo cáo thành tích",
    AttachmentKind.COUNCIL_MINUTES: "Biên bản họp Hội đồng thi đua – khen thưởng của đơn vị",
    AttachmentKind.OTHER: "Tài liệu khác",
}
ATTACHMENT_KIND_EN = {
    AttachmentKind.ACHIEVEMENT_REPORT: "Achievement report",
    AttachmentKind.COUNCIL_MINUTES: "Minutes of the unit's emulation and commendation council",
    AttachmentKind.OTHER: "Other document",
}


class DossierFile(SQLModel, table=True):
    # The same file twice for the same dossier and purpose (a double click) is stored once.
    __table_args__ = (UniqueConstraint("nomination_id", "kind", "sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    unit_id: int = Field(foreign_key="unit.id")
    nomination_id: int = Field(foreign_key="nomination.id", index=True)
    # An AttachmentKind value; a plain string column, so a new kind needs no database change.
    kind: str = Field(max_length=32)
    file_name: str = Field(max_length=255)
    media_type: str = Field(max_length=128)
    size: int
    sha256: str = Field(max_length=64)
    uploaded_at: datetime = Field(sa_type=AwareDateTime)
    uploaded_by: str = Field(max_length=255)
