"""A link reaches only its own unit; every POST needs its form's anti-forgery token; every
response carries the security headers; unknown links are throttled; no token reaches the logs;
whatever a unit typed is escaped."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from sqlmodel import func, select

from models.attachment import DossierFile
from models.audit import AuditEvent
from models.db import session_scope
from models.nomination import Nomination, Submission
from models.unit import Unit
from portal.middleware import CSP
from tests.portal.support import (
    Browser,
    Campaign,
    LogLines,
    Portal,
    list_bytes,
    text_of,
    two_people,
)
from tests.portal.test_portal_attachments import PDF, dossier_ids, send

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _counts() -> tuple[int, ...]:
    with session_scope() as session:
        return tuple(
            int(session.exec(select(func.count()).select_from(model)).one())
            for model in (Submission, Nomination, AuditEvent, DossierFile)
        )


@pytest.fixture
def two_units(
    campaign: Campaign, browsers: dict[str, Browser], tmp_path: Path
) -> tuple[Browser, Browser, int, int]:
    """Units A and B, each with a list sent and an attachment on its first dossier: (A, B, B's
    dossier id, B's attachment id)."""
    a, b = (browsers[code] for code in campaign.codes[:2])
    for browser, code in ((a, campaign.codes[0]), (b, campaign.codes[1])):
        data = list_bytes(tmp_path, code, two_people(), f"{code}.xlsx")
        assert "Đã tiếp nhận" in text_of(browser.upload(data))
    theirs = dossier_ids(b)[0]
    assert send(b, theirs, "b.pdf", PDF, "bao_cao_thanh_tich").status_code == 303
    [file_id] = re.findall(r"tep/(\d+)", b.open(f"ho-so/{theirs}/").text)
    return a, b, theirs, int(file_id)


def test_a_link_reaches_only_its_own_unit(
    two_units: tuple[Browser, Browser, int, int], campaign: Campaign
) -> None:
    a, _b, theirs, their_file = two_units
    before = _counts()
    missing = 10_000 + theirs
    for path in (f"ho-so/{theirs}/", f"tep/{their_file}", f"ho-so/{missing}/", f"tep/{missing}"):
        answer = a.open(path)
        assert answer.status_code == 404, path
        assert "Không tìm thấy trang" in text_of(answer) and PDF.decode()[:8] not in answer.text
    refused = a.client.post(
        a.page_url + f"ho-so/{theirs}/tep-dinh-kem",
        data={"csrf": a.csrf(), "kind": "bao_cao_thanh_tich"},
        files={"file": ("x.pdf", PDF, "application/pdf")},
    )
    assert refused.status_code == 404
    assert a.open("ho-so/abc/").status_code == 404
    # A's pages name none of B's data (the same sample names, but not B's unit).
    with session_scope() as session:
        b_name = session.exec(select(Unit.name).where(Unit.code == campaign.codes[1])).one()
    assert b_name not in text_of(a.open())
    assert _counts() == before


def test_an_unknown_or_malformed_token_opens_nothing_on_any_route(
    campaign: Campaign, portal: Portal
) -> None:
    with httpx.Client(base_url=portal.url) as client:
        for token in ("A" * 43, "short", "x" * 80, "..%2F..", "ab$cd" * 9):
            for path in ("", "/", "/danh-sach.xlsx", "/ho-so/1/", "/tep/1"):
                answer = client.get(f"/nop/{token}{path}")
                assert answer.status_code in (404, 429), (token, path)
            portal.reset_throttle()
            for path in ("/nop-danh-sach", "/khong-de-nghi", "/khong-de-nghi/rut"):
                assert (
                    client.post(f"/nop/{token}{path}", data={"csrf": "0" * 64}).status_code == 404
                )


def test_every_post_needs_its_own_forms_token(
    two_units: tuple[Browser, Browser, int, int], tmp_path: Path, portal: Portal, campaign: Campaign
) -> None:
    a, b, _theirs, _file = two_units
    mine = dossier_ids(a)[0]
    data = list_bytes(tmp_path, campaign.codes[0], two_people()[:1], "one.xlsx")
    posts: list[tuple[str, dict[str, str], dict[str, tuple[str, bytes, str]] | None]] = [
        ("nop-danh-sach", {}, {"file": ("l.xlsx", data, XLSX)}),
        ("khong-de-nghi", {"name": "Nguyễn Văn An", "confirm": "yes"}, None),
        ("khong-de-nghi/rut", {}, None),
        (
            f"ho-so/{mine}/tep-dinh-kem",
            {"kind": "bao_cao_thanh_tich"},
            {"file": ("a.pdf", PDF, "application/pdf")},
        ),
    ]
    a_form = a.csrf()
    b_form = b.csrf()
    before = _counts()
    with httpx.Client(base_url=portal.url) as stranger:  # a page elsewhere: no cookie
        for path, fields, files in posts:
            url = a.page_url + path
            for client, token in (
                (a.client, None),  # no token in the form
                (a.client, "f" * 64),  # a made-up one
                (a.client, b_form),  # B's form (a copied form) on A's link
                (stranger, a_form),  # A's token without A's cookie
            ):
                body = dict(fields) | ({"csrf": token} if token else {})
                answer = client.post(url, data=body, files=files)
                assert answer.status_code == 403, (path, token)
                assert "Biểu mẫu đã hết hiệu lực" in text_of(answer)
    assert _counts() == before
    # With its own form's token, the same post goes through.
    assert (
        a.client.post(
            a.page_url + "nop-danh-sach", data={"csrf": a_form}, files=posts[0][2]
        ).status_code
        == 200
    )


def test_every_response_carries_the_security_headers(
    two_units: tuple[Browser, Browser, int, int], portal: Portal
) -> None:
    a, _b, _theirs, _file = two_units
    mine = dossier_ids(a)[0]
    responses = {
        "page": a.open(),
        "dossier": a.open(f"ho-so/{mine}/"),
        "list": a.open("danh-sach.xlsx"),
        "not found": a.open("ho-so/999999/"),
        "csrf": a.client.post(a.page_url + "khong-de-nghi", data={}),
        "home": httpx.get(portal.url + "/"),
        "css": httpx.get(portal.url + "/static/portal.css"),
    }
    assert "'unsafe-inline'" not in CSP and "script" not in CSP
    for what, response in responses.items():
        headers = response.headers
        assert headers["referrer-policy"] == "no-referrer", what
        assert headers["content-security-policy"] == CSP, what
        assert headers["x-frame-options"] == "DENY", what
        assert headers["x-content-type-options"] == "nosniff", what
        assert "server" not in headers, what
    for what in ("page", "dossier", "list", "not found", "csrf"):
        assert responses[what].headers["cache-control"] == "no-store", what
    # The anti-forgery cookie: HttpOnly, SameSite=Strict, only for the links' paths.
    fresh = httpx.get(a.page_url)
    assert re.search(
        r"tv_csrf=[^;]+; HttpOnly; Path=/nop/; SameSite=strict", fresh.headers["set-cookie"]
    )


def test_unknown_links_are_throttled_per_address(campaign: Campaign, portal: Portal) -> None:
    with httpx.Client(base_url=portal.url) as client:
        for number in range(20):
            assert client.get(f"/nop/{'Z' * 42}{number:02d}/").status_code == 404
        throttled = client.get(f"/nop/{'Z' * 43}/")
        assert throttled.status_code == 429
        assert int(throttled.headers["retry-after"]) > 0
        assert "Có quá nhiều lần mở đường dẫn không đúng từ máy này" in text_of(throttled)
        # While throttled, even a real link waits: guessing gains nothing by a lucky hit.
        assert client.get(campaign.links[campaign.codes[0]] + "/").status_code == 429
    portal.reset_throttle()
    assert httpx.get(campaign.links[campaign.codes[0]] + "/").status_code == 200


def test_no_token_reaches_the_logs(
    campaign: Campaign, browsers: dict[str, Browser], tmp_path: Path, logged: LogLines
) -> None:
    unit = campaign.codes[0]
    mine = browsers[unit]
    mine.open()
    mine.open("danh-sach.xlsx")
    mine.upload(list_bytes(tmp_path, unit, two_people()))
    httpx.get(campaign.links[unit], follow_redirects=True)
    httpx.get(campaign.links[unit] + "-not-a-token/")
    text = "\n".join(logged.lines)
    assert '"GET /nop/…/ HTTP/1.1" 200' in text
    assert '"POST /nop/…/nop-danh-sach HTTP/1.1" 200' in text
    assert not [t for t in (campaign.token(c) for c in campaign.codes) if t in text]


def test_what_a_unit_typed_is_escaped(
    campaign: Campaign, browsers: dict[str, Browser], tmp_path: Path
) -> None:
    from tests.documents.builders import individual

    unit = campaign.codes[0]
    rows = [individual("Nguyễn <b>Hương</b>", "CSTDCS", 1)]
    answer = browsers[unit].upload(list_bytes(tmp_path, unit, rows), "<img src=x> & 'B'.xlsx")
    # The file name is sanitised (no markup characters) and escaped where it is shown.
    assert "<img" not in answer.text and "(img src=x &amp; &#39;B&#39;.xlsx)" in answer.text
    page = browsers[unit].open().text
    assert "<b>Hương</b>" not in page and "Nguyễn &lt;b&gt;Hương&lt;/b&gt;" in page


def test_a_server_error_is_a_friendly_page_and_its_log_names_no_token(
    campaign: Campaign,
    browsers: dict[str, Browser],
    logged: LogLines,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unit = campaign.codes[0]
    token = campaign.token(unit)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"database went away while reading /nop/{token}/")

    monkeypatch.setattr("portal.unit_pages.unit_page", broken)
    answer = browsers[unit].open()
    assert answer.status_code == 500
    words = text_of(answer)
    assert "Lỗi hệ thống" in words and "không có gì được lưu dở dang" in words
    assert token not in answer.text and "RuntimeError" not in answer.text
    text = "\n".join(logged.lines)
    assert "RuntimeError: database went away while reading /nop/…/" in text
    assert token not in text
