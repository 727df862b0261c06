"""A dossier's attachments: judged by content, kept by hash under var/ (owner-only, never under
the client's name), listed on the dossier's page, downloaded only through the unit's link."""

from __future__ import annotations

import hashlib
import io
import re
import stat
from pathlib import Path

import httpx
import pytest
from docx import Document
from sqlmodel import func, select

from models.attachment import DossierFile
from models.db import session_scope
from models.settings import get_settings
from tests.portal.support import Browser, Campaign, list_bytes, text_of, two_people

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def _docx() -> bytes:
    document = Document()
    document.add_paragraph("Biên bản họp Hội đồng thi đua – khen thưởng")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def dossier_ids(browser: Browser) -> list[int]:
    return [int(i) for i in re.findall(r'href="ho-so/(\d+)/"', browser.open().text)]


def send(browser: Browser, dossier: int, name: str, data: bytes, kind: str) -> httpx.Response:
    return browser.post(
        f"ho-so/{dossier}/tep-dinh-kem",
        {"kind": kind},
        files={"file": (name, data, "application/octet-stream")},
        csrf_from=f"ho-so/{dossier}/",
    )


def _stored_files() -> list[Path]:
    folder = get_settings().attachments_dir
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def _rows() -> int:
    with session_scope() as session:
        return int(session.exec(select(func.count()).select_from(DossierFile)).one())


@pytest.fixture
def with_dossiers(campaign: Campaign, browsers: dict[str, Browser], tmp_path: Path) -> Browser:
    mine = browsers[campaign.codes[0]]
    assert "Đã tiếp nhận" in text_of(
        mine.upload(list_bytes(tmp_path, campaign.codes[0], two_people()))
    )
    return mine


def test_a_pdf_report_is_attached_listed_and_downloaded(with_dossiers: Browser) -> None:
    mine = with_dossiers
    first = dossier_ids(mine)[0]
    name = "Báo cáo thành tích (bản cuối).pdf"
    answer = send(mine, first, name, PDF, "bao_cao_thanh_tich")
    assert answer.status_code == 303 and answer.headers["location"] == "./?ok=attachment"
    page = mine.open(f"ho-so/{first}/", ok="attachment")
    words = text_of(page)
    assert "Đã nhận tệp đính kèm." in words
    assert f"{name} — Báo cáo thành tích" in words
    [link] = re.findall(r'href="(\.\./\.\./tep/\d+)"', page.text)
    download = mine.client.get(str(page.url.join(link)))
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith('attachment; filename="')
    assert "filename*=UTF-8''B%C3%A1o%20c%C3%A1o" in download.headers["content-disposition"]
    assert download.headers["x-content-type-options"] == "nosniff"
    # On disk: under its hash, owner-only, never under the client's name.
    [stored] = _stored_files()
    assert stored.name == hashlib.sha256(PDF).hexdigest()
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
    # The unit's page counts it.
    assert "1 tệp" in text_of(mine.open())


def test_the_type_is_the_content_not_the_name(with_dossiers: Browser) -> None:
    mine = with_dossiers
    first = dossier_ids(mine)[0]
    # A Word document named .pdf is taken as what it is, and named so.
    assert send(mine, first, "bien-ban.pdf", _docx(), "bien_ban_hop").status_code == 303
    assert "bien-ban.docx — Biên bản họp Hội đồng" in text_of(mine.open(f"ho-so/{first}/"))
    # A program renamed .pdf is refused, naming what it is; nothing is stored.
    rows, files = _rows(), _stored_files()
    refused = send(mine, first, "bao-cao.pdf", EXE, "bao_cao_thanh_tich")
    assert refused.status_code == 422
    words = text_of(refused)
    assert "Mục “Tệp”: nội dung tệp là một chương trình chạy trên Windows (.exe)" in words
    assert "chỉ nhận PDF, Word (DOCX), OpenDocument (ODT), ảnh JPEG hoặc PNG" in words
    assert (_rows(), _stored_files()) == (rows, files)


def test_the_same_file_twice_is_kept_once(with_dossiers: Browser) -> None:
    mine = with_dossiers
    first = dossier_ids(mine)[0]
    assert send(mine, first, "a.pdf", PDF, "bao_cao_thanh_tich").status_code == 303
    again = send(mine, first, "a (1).pdf", PDF, "bao_cao_thanh_tich")
    assert again.headers["location"] == "./?ok=attachment-same"
    assert _rows() == 1 and len(_stored_files()) == 1


def test_each_field_is_checked_and_named(
    with_dossiers: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = with_dossiers
    first = dossier_ids(mine)[0]
    no_kind = send(mine, first, "a.pdf", PDF, "")
    assert no_kind.status_code == 422
    assert "Mục “Loại tài liệu”: xin chọn một loại" in text_of(no_kind)
    no_file = send(mine, first, "", b"", "bao_cao_thanh_tich")
    assert no_file.status_code == 422
    assert "Mục “Tệp”: chưa chọn tệp, hoặc tệp rỗng." in text_of(no_file)
    monkeypatch.setenv("TONVINH_ATTACHMENT_MAX_BYTES", "50")
    get_settings.cache_clear()
    too_big = send(mine, first, "a.pdf", PDF, "bao_cao_thanh_tich")
    assert too_big.status_code == 422
    assert "Mục “Tệp”: tệp quá lớn" in text_of(too_big)
    # Far over the cap: refused by the body cap before it is parsed.
    huge = send(mine, first, "a.pdf", PDF + b"0" * 200_000, "bao_cao_thanh_tich")
    assert huge.status_code == 413 and "Tệp quá lớn" in text_of(huge)
    assert _rows() == 0 and _stored_files() == []
