"""The operator area: a login (CSRF, throttled failures, logout), the campaigns' documents to
download, and no way in with a unit's link or token."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import httpx
import pytest

from models.db import session_scope
from services.documents import list_documents, open_document
from tests.flows.conftest import CODE
from tests.portal.operator_support import csrf_of, log_in, operator_auth
from tests.portal.support import Campaign, Portal, text_of

__all__ = ["operator_auth"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def client(portal: Portal, operator_auth: None) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=portal.url, timeout=30) as opened:
        yield opened


def _refused(answer: httpx.Response) -> None:
    """The login page, 401, and nothing of any campaign."""
    assert answer.status_code == 401, answer.status_code
    assert 'name="password"' in answer.text
    assert "content-disposition" not in answer.headers
    # (The code may be in the form's "next" field: the path asked for, nothing read from it.)
    assert "Tôn vinh điển hình" not in answer.text and ".xlsx<" not in answer.text


def test_no_session_gets_the_login_page(client: httpx.Client, campaign: Campaign) -> None:
    with session_scope() as session:
        template = list_documents(session, CODE)[-1].file_name
    page = client.get("/dieu-hanh/")
    for path in ("/dieu-hanh/", f"/dieu-hanh/{CODE}/", f"/dieu-hanh/{CODE}/tai-lieu/{template}"):
        _refused(client.get(path))
    assert page.headers["cache-control"] == "no-store"
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/dieu-hanh/" in cookie


def test_login_lists_and_downloads_documents_then_logout(
    client: httpx.Client, campaign: Campaign
) -> None:
    answer = log_in(client)
    assert answer.status_code == 303 and answer.headers["location"] == "/dieu-hanh/"
    session_cookie = next(c for c in answer.headers.get_list("set-cookie") if "tv_op=" in c)
    assert "HttpOnly" in session_cookie and "SameSite=strict" in session_cookie.replace(
        "Strict", "strict"
    )
    listing = client.get("/dieu-hanh/")
    assert listing.status_code == 200 and CODE in text_of(listing)
    documents = client.get(f"/dieu-hanh/{CODE}/")
    assert documents.status_code == 200
    name = f"{CODE}_{campaign.codes[0]}.xlsx"
    assert name in text_of(documents) and "Mẫu danh sách của đơn vị" in text_of(documents)
    download = client.get(f"/dieu-hanh/{CODE}/tai-lieu/{name}")
    assert download.status_code == 200
    assert download.headers["content-type"] == XLSX
    assert download.headers["content-disposition"].startswith("attachment;")
    with session_scope() as session:
        stored = open_document(session, CODE, name)
        assert stored is not None
        assert hashlib.sha256(download.content).hexdigest() == stored.sha256
    assert client.get(f"/dieu-hanh/{CODE}/tai-lieu/khong-co.xlsx").status_code == 404
    assert client.get("/dieu-hanh/KHONG-CO/").status_code == 404

    out = client.post("/dieu-hanh/dang-xuat", data={"csrf": csrf_of(client)})
    assert out.status_code == 303
    _refused(client.get(f"/dieu-hanh/{CODE}/"))


def test_wrong_password_is_refused_and_throttled(client: httpx.Client, campaign: Campaign) -> None:
    for _ in range(5):
        wrong = log_in(client, password="doan-sai")
        assert wrong.status_code == 401
        assert "không đúng" in text_of(wrong)
        assert "tv_op=" not in wrong.headers.get("set-cookie", "")
    # The sixth try within the minute waits, even with the right password.
    throttled = log_in(client)
    assert throttled.status_code == 429 and "retry-after" in throttled.headers
    _refused(client.get("/dieu-hanh/"))


def test_every_post_needs_the_anti_forgery_token(client: httpx.Client, campaign: Campaign) -> None:
    csrf_of(client)  # the cookie is set; the field is missing or forged
    fields = {"user": "dieuhanh", "password": "mat-khau-rat-dai-2026"}
    assert client.post("/dieu-hanh/dang-nhap", data=fields).status_code == 403
    forged = {**fields, "csrf": "0" * 64}
    assert client.post("/dieu-hanh/dang-nhap", data=forged).status_code == 403
    assert log_in(client).status_code == 303
    assert client.post("/dieu-hanh/dang-xuat", data={}).status_code == 403
    assert client.get(f"/dieu-hanh/{CODE}/").status_code == 200  # still logged in


def test_a_units_link_never_opens_the_operator_area(
    client: httpx.Client, campaign: Campaign, portal: Portal
) -> None:
    token = campaign.token(campaign.codes[0])
    assert client.get(f"/nop/{token}/").status_code == 200  # the link works where it belongs
    # The token in an operator path, as the session cookie, or as a bearer: the login page.
    for path in (f"/dieu-hanh/{token}/", f"/dieu-hanh/{CODE}/tai-lieu/{token}"):
        _refused(client.get(path))
    with httpx.Client(base_url=portal.url, cookies={"tv_op": token}) as forged:
        _refused(forged.get(f"/dieu-hanh/{CODE}/"))
    bearer = client.get(f"/dieu-hanh/{CODE}/", headers={"authorization": f"Bearer {token}"})
    _refused(bearer)
    # Logged in, a token is no campaign and no document either.
    assert log_in(client).status_code == 303
    assert client.get(f"/dieu-hanh/{token}/").status_code == 404
    assert client.get(f"/dieu-hanh/{CODE}/tai-lieu/{token}").status_code == 404


def test_no_credentials_configured_means_no_login(
    client: httpx.Client, campaign: Campaign, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.settings import get_settings

    monkeypatch.setenv("TONVINH_OPERATOR_AUTH", "")
    get_settings.cache_clear()
    assert log_in(client).status_code == 401
    assert log_in(client, user="", password="").status_code == 401
