"""A deadline-day rush: the portal reads a bounded number of uploads at once, lets a bounded
number wait their turn, and answers the rest at once with 503 and Retry-After — before reading
a byte, storing nothing — so memory stays bounded and nobody's request hangs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from models.settings import get_settings
from portal.app import create_app
from portal.embedded import running_portal
from tests.portal.support import CSRF_FIELD, Campaign, list_bytes, two_people

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def one_at_a_time(campaign: Campaign, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A second portal on the same database that reads one upload at a time and queues none."""
    monkeypatch.setenv("TONVINH_PORTAL_UPLOAD_WORKERS", "1")
    monkeypatch.setenv("TONVINH_PORTAL_UPLOAD_QUEUE", "0")
    get_settings.cache_clear()
    with running_portal(create_app()) as url:
        yield url
    get_settings.cache_clear()


def _form(client: httpx.Client, page: str) -> str:
    found = CSRF_FIELD.search(client.get(page).text)
    assert found, "no form on the unit's page"
    return found.group(1)


def _multipart(csrf: str, data: bytes) -> tuple[bytes, str]:
    boundary = "tonvinh-rush-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="ds.xlsx"\r\n'
            f"Content-Type: {XLSX}\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def test_past_the_queue_an_upload_is_told_to_retry_and_nothing_is_kept(
    campaign: Campaign, one_at_a_time: str, tmp_path: Path
) -> None:
    first, second = campaign.codes[:2]
    pages = {code: f"{one_at_a_time}/nop/{campaign.token(code)}/" for code in (first, second)}
    slow_client = httpx.Client(timeout=30)
    quick_client = httpx.Client(timeout=30)
    body, content_type = _multipart(
        _form(slow_client, pages[first]), list_bytes(tmp_path, first, two_people(), "a.xlsx")
    )
    release = threading.Event()
    answers: dict[str, httpx.Response] = {}

    def trickle() -> Iterator[bytes]:
        yield body[:100]  # the slot is taken; the rest of the file comes when released
        release.wait(20)
        yield body[100:]

    def slow_upload() -> None:
        answers["slow"] = slow_client.post(
            pages[first] + "nop-danh-sach",
            content=trickle(),
            headers={"content-type": content_type},
        )

    uploading = threading.Thread(target=slow_upload)
    uploading.start()
    try:
        mine = list_bytes(tmp_path, second, two_people(), "b.xlsx")
        csrf = _form(quick_client, pages[second])
        files = {"file": ("b.xlsx", mine, XLSX)}
        # The one slot is busy and nobody may queue: told at once to come back, nothing kept.
        for _attempt in range(50):
            busy = quick_client.post(
                pages[second] + "nop-danh-sach", data={"csrf": csrf}, files=files
            )
            if busy.status_code == 503:
                break
        assert busy.status_code == 503
        assert busy.headers["retry-after"] == "60"
        assert "Hệ thống đang bận" in busy.text and "không có gì được lưu" in busy.text
        page = quick_client.get(pages[second]).text
        assert "Hồ sơ đề nghị (0)" in page
    finally:
        release.set()
        uploading.join(30)
    assert answers["slow"].status_code == 200 and "Đã tiếp nhận" in answers["slow"].text
    # The slot is free again: the same upload, retried, is received.
    again = quick_client.post(
        pages[second] + "nop-danh-sach",
        data={"csrf": _form(quick_client, pages[second])},
        files=files,
    )
    assert again.status_code == 200 and "Đã tiếp nhận" in again.text
    slow_client.close()
    quick_client.close()
