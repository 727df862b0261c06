"""A dossier's supporting documents: checked by content, kept by hash, served only to its unit.

* The type is what the bytes are, never what the name says: PDF, DOCX, ODT, JPEG or PNG by their
  signatures (a DOCX and an ODT by the parts their zip declares; nothing is inflated beyond the
  few bytes of ODT's ``mimetype``). An ``.exe`` renamed ``.pdf`` is refused naming what it is.
* The file is written once under ``var/attachments/<aa>/<sha256>`` (owner-only), so a client's
  file name never reaches the disk; the name shown and offered on download is the original one,
  sanitised, with the extension of the type found.
* Every lookup is scoped to the unit's own part in the campaign: another unit's dossier or file
  id is "not found", exactly like an id that does not exist.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import unicodedata
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import audit
from models.attachment import ATTACHMENT_KIND_VI, AttachmentKind, DossierFile
from models.audit import AuditEntity
from models.nomination import Nomination, NominationStatus
from models.settings import Settings
from services.campaigns import find_part, load_campaign
from services.errors import OperatorError
from services.window import check_open

ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
NAME_MAX = 120
KINDS = frozenset(kind.value for kind in AttachmentKind)


@dataclass(frozen=True)
class FileType:
    label: str
    media_type: str
    extension: str


PDF = FileType("PDF", "application/pdf", ".pdf")
DOCX = FileType(
    "Word (DOCX)",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".docx",
)
ODT = FileType("OpenDocument (ODT)", ODT_MIMETYPE.decode(), ".odt")
JPEG = FileType("JPEG", "image/jpeg", ".jpg")
PNG = FileType("PNG", "image/png", ".png")


def _zip_type(data: bytes) -> FileType | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return DOCX
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size <= 128 and archive.read(info).strip() == ODT_MIMETYPE:
                    return ODT
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
        return None
    return None


def sniff(data: bytes) -> FileType | None:
    """The accepted type these bytes are, or None."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"PK\x03\x04"):
        return _zip_type(data)
    return None


def what_it_is(data: bytes) -> tuple[str, str]:
    """(vi, en) naming a refused file's real kind when it is recognisable."""
    if data.startswith(b"MZ"):
        return "một chương trình chạy trên Windows (.exe)", "a Windows program (.exe)"
    if data.startswith(b"\x7fELF"):
        return "một chương trình (ELF)", "a program (ELF)"
    if data.startswith(b"PK\x03\x04"):
        return "một tệp nén không phải văn bản Word/ODT", "a zip that is no Word/ODT document"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "tệp Office 97-2003 (.doc/.xls)", "an Office 97-2003 file (.doc/.xls)"
    return "không thuộc loại nào được nhận", "of no accepted type"


def safe_file_name(name: str, extension: str) -> str:
    """The client's file name made safe to show and to offer on download: its last path part,
    NFC, no control or reserved characters, at most ``NAME_MAX`` characters, ending in the
    extension of the type its content is."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    stem = " ".join(base.rsplit(".", 1)[0].split()).strip(" .") if "." in base else base.strip()
    stem = " ".join(stem.split())[: NAME_MAX - len(extension)].strip(" .")
    return f"{stem or 'tep-dinh-kem'}{extension}"


class AttachmentView(BaseModel):
    id: int
    nomination_id: int
    kind: str
    kind_vi: str
    file_name: str
    media_type: str
    size: int
    sha256: str
    uploaded_at: datetime


class AttachmentAdded(BaseModel):
    attachment: AttachmentView
    stored: bool  # False: this very file was already attached (a double click)


def _view(row: DossierFile) -> AttachmentView:
    assert row.id is not None
    kind = AttachmentKind(row.kind) if row.kind in KINDS else AttachmentKind.OTHER
    return AttachmentView(
        id=row.id,
        nomination_id=row.nomination_id,
        kind=row.kind,
        kind_vi=ATTACHMENT_KIND_VI[kind],
        file_name=row.file_name,
        media_type=row.media_type,
        size=row.size,
        sha256=row.sha256,
        uploaded_at=row.uploaded_at,
    )


def stored_path(settings: Settings, sha256: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError("not a SHA-256")
    return settings.attachments_dir / sha256[:2] / sha256


def _store_bytes(settings: Settings, sha256: str, data: bytes) -> None:
    """Write the content once under its hash (owner-only, complete or not at all)."""
    target = stored_path(settings, sha256)
    if target.exists():
        return
    for folder in (settings.var_dir, settings.attachments_dir, target.parent):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)
    temporary = target.with_name(f".{sha256}.{os.getpid()}.part")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def dossier_not_found(nomination_id: int) -> OperatorError:
    return OperatorError(
        "not_found",
        "Không tìm thấy hồ sơ này trong danh sách của đơn vị.",
        "No such dossier in the unit's list.",
        nomination_id=nomination_id,
    )


def unit_dossier(
    session: Session, campaign_id: int, unit_id: int, nomination_id: int
) -> Nomination | None:
    """A dossier the unit still stands behind, only if it is this unit's in this campaign."""
    nomination = session.get(Nomination, nomination_id)
    if (
        nomination is None
        or nomination.campaign_id != campaign_id
        or nomination.unit_id != unit_id
        or nomination.status == NominationStatus.WITHDRAWN
    ):
        return None
    return nomination


def add_attachment(
    session: Session,
    campaign_code: str,
    unit_code: str,
    nomination_id: int,
    *,
    kind: str,
    data: bytes,
    file_name: str,
    now: datetime,
    actor: str,
    settings: Settings,
) -> AttachmentAdded:
    """Attach a document to one of the unit's dossiers, in the caller's transaction (the file
    itself is written first, under its hash, so no row ever names a missing file)."""
    if kind not in KINDS:
        raise OperatorError(
            "attachment_kind",
            "Mục “Loại tài liệu”: xin chọn một loại trong danh sách.",
            "“Kind of document”: choose one of the kinds listed.",
            field="kind",
        )
    if not data:
        raise OperatorError(
            "attachment_missing",
            "Mục “Tệp”: chưa chọn tệp, hoặc tệp rỗng.",
            "“File”: no file chosen, or the file is empty.",
            field="file",
        )
    limit_mb = settings.attachment_max_bytes / 1024 / 1024
    if len(data) > settings.attachment_max_bytes:
        raise OperatorError(
            "attachment_too_large",
            f"Mục “Tệp”: tệp quá lớn ({len(data) / 1024 / 1024:.1f} MB, tối đa {limit_mb:g} MB).",
            f"“File”: too large ({len(data) / 1024 / 1024:.1f} MB, at most {limit_mb:g} MB).",
            field="file",
        )
    found = sniff(data)
    if found is None:
        vi, en = what_it_is(data)
        raise OperatorError(
            "attachment_type",
            f"Mục “Tệp”: nội dung tệp là {vi}; chỉ nhận PDF, Word (DOCX), OpenDocument (ODT), "
            "ảnh JPEG hoặc PNG (xét theo nội dung, không theo đuôi tên tệp).",
            f"“File”: the content is {en}; only PDF, DOCX, ODT, JPEG or PNG are accepted "
            "(judged by content, not by the name's extension).",
            field="file",
        )
    campaign = load_campaign(session, campaign_code)
    part, unit = find_part(session, campaign, unit_code, for_update=True)
    assert campaign.id is not None and unit.id is not None
    nomination = unit_dossier(session, campaign.id, unit.id, nomination_id)
    if nomination is None:
        raise dossier_not_found(nomination_id)
    check_open(campaign, part, now.date())
    digest = hashlib.sha256(data).hexdigest()
    same = session.exec(
        select(DossierFile).where(
            DossierFile.nomination_id == nomination_id,
            DossierFile.kind == kind,
            DossierFile.sha256 == digest,
        )
    ).first()
    if same is not None:
        return AttachmentAdded(attachment=_view(same), stored=False)
    _store_bytes(settings, digest, data)
    row = DossierFile(
        campaign_id=campaign.id,
        unit_id=unit.id,
        nomination_id=nomination_id,
        kind=kind,
        file_name=safe_file_name(file_name, found.extension),
        media_type=found.media_type,
        size=len(data),
        sha256=digest,
        uploaded_at=now,
        uploaded_by=actor,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # The same file for the same dossier arrived in another request meanwhile (SQLite has
        # no row lock to make them take turns): that one stands.
        session.expunge(row)
        existing = session.exec(
            select(DossierFile).where(
                DossierFile.nomination_id == nomination_id,
                DossierFile.kind == kind,
                DossierFile.sha256 == digest,
            )
        ).one()
        return AttachmentAdded(attachment=_view(existing), stored=False)
    assert row.id is not None
    audit.record(
        session,
        at=now,
        actor=actor,
        entity=AuditEntity.NOMINATION,
        entity_id=nomination_id,
        campaign_id=campaign.id,
        action="attachment_added",
        details={
            "attachment_id": row.id,
            "kind": kind,
            "file": row.file_name,
            "sha256": digest,
            "size": len(data),
            "type": found.media_type,
        },
    )
    return AttachmentAdded(attachment=_view(row), stored=True)


def unit_attachments(
    session: Session, campaign_id: int, unit_id: int
) -> dict[int, list[AttachmentView]]:
    """Every attachment of the unit's dossiers in the campaign, by dossier, oldest first."""
    found: dict[int, list[AttachmentView]] = defaultdict(list)
    for row in session.exec(
        select(DossierFile)
        .where(DossierFile.campaign_id == campaign_id, DossierFile.unit_id == unit_id)
        .order_by(col(DossierFile.id))
    ).all():
        found[row.nomination_id].append(_view(row))
    return found


def open_attachment(
    session: Session, campaign_id: int, unit_id: int, attachment_id: int, settings: Settings
) -> tuple[AttachmentView, Path] | None:
    """One of the unit's attachments and where its content is, or None (not this unit's, or no
    such file: the caller cannot tell which)."""
    row = session.get(DossierFile, attachment_id)
    if row is None or row.campaign_id != campaign_id or row.unit_id != unit_id:
        return None
    path = stored_path(settings, row.sha256)
    if not path.is_file():
        return None
    return _view(row), path
