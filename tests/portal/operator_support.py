"""The operator area under test: its credentials in the settings, a client that logs in."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from models.settings import get_settings
from portal.security import MissThrottle
from tests.portal.support import Portal

OPERATOR_USER, OPERATOR_PASSWORD = "dieuhanh", "mat-khau-rat-dai-2026"
CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


@pytest.fixture
def operator_auth(portal: Portal, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The operator's credentials configured; the failed-login throttle starts empty."""
    monkeypatch.setenv("TONVINH_OPERATOR_AUTH", f"{OPERATOR_USER}:{OPERATOR_PASSWORD}")
    monkeypatch.setenv("TONVINH_OPERATOR_BASE_URL", portal.url)
    monkeypatch.delenv("PREFECT_SERVER_API_AUTH_STRING", raising=False)
    get_settings.cache_clear()
    portal.app.state.operator_throttle = MissThrottle(
        get_settings().operator_login_failures_per_minute
    )
    yield
    get_settings.cache_clear()


def csrf_of(client: httpx.Client, path: str = "/dieu-hanh/") -> str:
    match = CSRF.search(client.get(path).text)
    assert match, "no form on the page"
    return match.group(1)


def log_in(
    client: httpx.Client, user: str = OPERATOR_USER, password: str = OPERATOR_PASSWORD
) -> httpx.Response:
    fields = {"csrf": csrf_of(client), "user": user, "password": password, "next": "/dieu-hanh/"}
    return client.post("/dieu-hanh/dang-nhap", data=fields)
