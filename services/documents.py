"""The campaign's documents, stored in the database (``models.document``) through this one
service, so every host sees what any worker wrote; and the operator's download address of each.

Writers keep their files on disk too (``var/outputs``, a convenience for ``make run``), then call
``store_file``; the portal's operator area (``portal.operator``) lists and serves the stored
bytes, and artifacts link to ``document_url`` instead of a path on the worker's disk.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from models.campaign import Campaign
from models.document import DOCUMENT_KIND_EN, DOCUMENT_KIND_VI, CampaignDocument, DocumentKind
from models.settings import get_settings
from services.campaigns import load_campaign

MEDIA_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pdf": "application/pdf",
    ".csv": "text/csv; charset=utf-8",
}
# The last segment of a download's path: no slash, no dot-dot, nothing to escape.
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")
OPERATOR_PREFIX = "/dieu-hanh"


@dataclass(frozen=True)
class DocumentInfo:
    """One stored document as the operator's list shows it (no content)."""

    campaign_code: str
    kind: str
    kind_vi: str
    kind_en: str
    file_name: str
    media_type: str
    size: int
    version: int
    updated_at: datetime
    url: str


@dataclass(frozen=True)
class CampaignDocuments:
    code: str
    name: str
    stage: str
    documents: int


def safe_file_name(name: str) -> str:
    """``name`` with every character outside ASCII letters, digits, "._-" made "_", so it can be
    the last segment of a download path and a header's file name without escaping."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip("._-") or "tai-lieu"
    return cleaned[:255]


def media_type_for(file_name: str) -> str:
    return MEDIA_TYPES.get(Path(file_name).suffix.lower(), "application/octet-stream")


def operator_url(path: str = "") -> str:
    """An address in the portal's operator area, from ``Settings.operator_base_url``."""
    return f"{get_settings().operator_base_url.rstrip('/')}{OPERATOR_PREFIX}/{path}"


def document_url(campaign_code: str, file_name: str) -> str:
    """Where the operator downloads a stored document (after logging in)."""
    return operator_url(f"{quote(campaign_code, safe='')}/tai-lieu/{quote(file_name, safe='')}")


def campaign_documents_url(campaign_code: str) -> str:
    return operator_url(f"{quote(campaign_code, safe='')}/")


def store_document(
    session: Session,
    campaign: Campaign,
    kind: DocumentKind,
    file_name: str,
    content: bytes,
    now: datetime,
) -> CampaignDocument:
    """Keep ``content`` as the campaign's document ``file_name`` (one row per name: a rewrite
    replaces the bytes and counts a version; the same bytes again change nothing)."""
    assert campaign.id is not None
    name = safe_file_name(file_name)
    digest = hashlib.sha256(content).hexdigest()
    stored = session.exec(
        select(CampaignDocument).where(
            CampaignDocument.campaign_id == campaign.id, CampaignDocument.file_name == name
        )
    ).first()
    if stored is None:
        stored = CampaignDocument(
            campaign_id=campaign.id,
            kind=str(kind),
            file_name=name,
            media_type=media_type_for(name),
            size=len(content),
            sha256=digest,
            content=content,
            created_at=now,
            updated_at=now,
        )
    elif stored.sha256 != digest or stored.kind != str(kind):
        stored.kind = str(kind)
        stored.content = content
        stored.size = len(content)
        stored.sha256 = digest
        stored.version += 1
        stored.updated_at = now
    else:
        return stored
    session.add(stored)
    session.flush()
    return stored


def store_file(
    session: Session, campaign: Campaign, kind: DocumentKind, path: Path, now: datetime
) -> CampaignDocument:
    """Keep the file a writer put on this host's disk, under its own name."""
    return store_document(session, campaign, kind, path.name, path.read_bytes(), now)


def campaigns_with_documents(session: Session) -> list[CampaignDocuments]:
    """Every campaign, newest first, with how many documents it has."""
    campaigns = session.exec(select(Campaign).order_by(col(Campaign.id).desc())).all()
    counts: dict[int, int] = {}
    for campaign_id in session.exec(select(CampaignDocument.campaign_id)).all():
        counts[campaign_id] = counts.get(campaign_id, 0) + 1
    return [
        CampaignDocuments(c.code, c.name, str(c.stage), counts.get(c.id or 0, 0)) for c in campaigns
    ]


def list_documents(session: Session, campaign_code: str) -> list[DocumentInfo]:
    """The campaign's documents, the decision first and the units' templates last."""
    campaign = load_campaign(session, campaign_code)
    # The bytes stay in the database: a list of a thousand templates reads no file.
    rows = session.exec(
        select(CampaignDocument)
        .options(defer(CampaignDocument.content))  # type: ignore[arg-type]
        .where(CampaignDocument.campaign_id == campaign.id)
    ).all()
    order = [
        DocumentKind.DECISION,
        DocumentKind.HONOUREES,
        DocumentKind.MINUTES,
        DocumentKind.ATTENDEES,
        DocumentKind.UNIT_TEMPLATE,
    ]
    rank = {str(kind): number for number, kind in enumerate(order)}
    infos = [
        DocumentInfo(
            campaign_code=campaign.code,
            kind=row.kind,
            # StrEnum keys hash as their text: a kind read back as str finds its label.
            kind_vi=DOCUMENT_KIND_VI.get(row.kind, row.kind),
            kind_en=DOCUMENT_KIND_EN.get(row.kind, row.kind),
            file_name=row.file_name,
            media_type=row.media_type,
            size=row.size,
            version=row.version,
            updated_at=row.updated_at,
            url=document_url(campaign.code, row.file_name),
        )
        for row in rows
    ]
    return sorted(infos, key=lambda info: (rank.get(info.kind, len(rank)), info.file_name))


def open_document(session: Session, campaign_code: str, file_name: str) -> CampaignDocument | None:
    """The stored document, or None for an unknown campaign or name (the caller answers 404)."""
    if not _SAFE_NAME.match(file_name):
        return None
    return session.exec(
        select(CampaignDocument)
        .join(Campaign, col(Campaign.id) == CampaignDocument.campaign_id)
        .where(Campaign.code == campaign_code, CampaignDocument.file_name == file_name)
    ).first()
