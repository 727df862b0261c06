"""Helpers and fixtures for the portal's tests (registered by ``conftest.py``).

The unit portal under test: the real app under uvicorn on a free loopback port (one server per
module, in a thread), httpx against it, a real database per test (SQLite, and PostgreSQL when
configured) and the real SMTP server the emails with the links go through.

A campaign is built through the services (four sample units, planned, the call queued), then
delivered to the SMTP server: each unit's link is read back from its email, as a unit would.
"""

from __future__ import annotations

import contextlib
import html
import logging
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from documents.nomination_list import ListHeader, write_filled_list
from models import clock
from models.db import session_scope
from models.nomination import NominationCreate
from models.settings import get_settings
from notifications.smtp_server import MailboxServer, free_port, read_mailbox
from portal.app import create_app
from portal.embedded import running_portal
from portal.security import MissThrottle
from services.campaigns import award_choices, load_campaign
from services.mail import deliver_and_report
from tests.documents.builders import individual
from tests.flows.conftest import CODE, at
from tests.service_layer.conftest import plan_and_call, unit_codes

LINK = re.compile(r"(https?://[^\s\"'<>]+/nop/([A-Za-z0-9_-]+))")


@dataclass
class Portal:
    url: str
    app: FastAPI

    def reset_throttle(self) -> None:
        self.app.state.throttle = MissThrottle(get_settings().portal_misses_per_minute)


@pytest.fixture(scope="module")
def portal() -> Iterator[Portal]:
    """The portal app under a real uvicorn server on a free loopback port, in a thread."""
    app = create_app()
    with running_portal(app, log_level="info") as url:
        yield Portal(url, app)


BIN = Path(sys.executable).parent


@contextlib.contextmanager
def portal_subprocess(
    env: dict[str, str], *options: str, log: Path | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`tonvinh portal` in its own process (as deployed, not in a thread) on a free loopback
    port, with ``env`` and ``options``, its output in ``log`` (or dropped); yields its URL and
    process once it answers, and stops it afterwards if it still runs."""
    port = free_port()
    command = [str(BIN / "tonvinh"), "portal", "--host", "127.0.0.1", "--port", str(port)]
    with contextlib.ExitStack() as files:
        output: Any = files.enter_context(log.open("wb")) if log else subprocess.DEVNULL
        process = subprocess.Popen(
            [*command, *options], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "no portal"
                time.sleep(0.2)
        yield url, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(20)


@dataclass
class Campaign:
    """A campaign taking lists: its units' codes and the links their calls carried."""

    codes: list[str]
    links: dict[str, str]  # unit code -> the link read from its call email
    mailbox: Path
    dispatch_on: date
    submission_due: date

    def token(self, unit: str) -> str:
        return self.links[unit].rsplit("/", 1)[1]


def unit_of(message: EmailMessage) -> str:
    """Which sample unit an email is for (its file name is <campaign>_<unit>.xlsx)."""
    match = re.search(rf"{CODE}_([A-Za-z0-9_]+)\.xlsx", body_text(message))
    assert match, message["Subject"]
    return match.group(1)


def body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def links_in(message: EmailMessage) -> set[str]:
    html = message.get_body(preferencelist=("html",))
    texts = body_text(message) + (str(html.get_content()) if html is not None else "")
    return {match.group(1) for match in LINK.finditer(texts)}


def latest_links(mailbox: Path, kind_in_subject: str = "") -> dict[str, str]:
    """Each unit's link from its latest email (whose subject holds ``kind_in_subject``)."""
    found: dict[str, str] = {}
    for message in read_mailbox(mailbox):
        if kind_in_subject not in str(message["Subject"]):
            continue
        [link] = links_in(message)
        found[unit_of(message)] = link
    return found


@pytest.fixture
def campaign(
    database: str,
    mail_server: MailboxServer,
    portal: Portal,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Campaign]:
    """Four sample units, the 2018 campaign planned, its call sent (each unit's link minted as
    it went out), and the clock at the call's day: the units can answer."""
    monkeypatch.setenv("TONVINH_SUBMISSION_BASE_URL", f"{portal.url}/nop")
    get_settings.cache_clear()
    portal.reset_throttle()
    planned = plan_and_call()
    dispatch_on = planned.deadlines["dispatch_on"]
    deliver_and_report(at(dispatch_on, 8))
    clock.set_now(at(dispatch_on, 10))
    codes = unit_codes()
    links = latest_links(mail_server.mailbox_dir)
    assert sorted(links) == sorted(codes)
    try:
        yield Campaign(
            codes=codes,
            links=links,
            mailbox=mail_server.mailbox_dir,
            dispatch_on=dispatch_on,
            submission_due=planned.deadlines["submission_due"],
        )
    finally:
        clock.set_now(None)


def list_bytes(
    tmp_path: Path, unit_code: str, rows: list[NominationCreate], name: str = "list.xlsx"
) -> bytes:
    """A unit's own Excel list, filled in as its focal contact would, as uploaded bytes."""
    with session_scope() as session:
        campaign = load_campaign(session, CODE)
        choices = award_choices(campaign)
    header = ListHeader(CODE, campaign.name, unit_code, unit_code, campaign.submission_due)
    return write_filled_list(tmp_path / name, header, choices, rows).read_bytes()


def two_people() -> list[NominationCreate]:
    return [
        individual("Nguyễn Thị Hương", "CSTDCS", 1),
        individual("Trần Văn Minh", "CSTDCS", 1, gender="Nam"),
    ]


CSRF_FIELD = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


class Browser:
    """A unit's focal contact with a browser: one cookie jar, following the emailed link."""

    def __init__(self, portal: Portal, link: str) -> None:
        self.client = httpx.Client(base_url=portal.url, timeout=30)
        self.link = link
        self.page_url = link + "/"

    def open(self, path: str = "", **params: Any) -> httpx.Response:
        return self.client.get(self.page_url + path, params=params or None)

    def csrf(self, path: str = "") -> str:
        page = self.open(path)
        assert page.status_code == 200, page.text
        match = CSRF_FIELD.search(page.text)
        assert match, "no form on the page"
        return match.group(1)

    def post(
        self,
        path: str,
        data: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        *,
        csrf_from: str = "",
    ) -> httpx.Response:
        fields = {"csrf": self.csrf(csrf_from), **(data or {})}
        return self.client.post(self.page_url + path, data=fields, files=files)

    def upload(self, data: bytes, name: str = "danh-sach.xlsx") -> httpx.Response:
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return self.post("nop-danh-sach", files={"file": (name, data, kind)})

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def browsers(portal: Portal, campaign: Campaign) -> Iterator[dict[str, Browser]]:
    opened = {code: Browser(portal, link) for code, link in campaign.links.items()}
    yield opened
    for browser in opened.values():
        browser.close()


def text_of(response: httpx.Response) -> str:
    """A page's words, without tags, as a reader sees them (whitespace collapsed)."""
    words = html.unescape(re.sub(r"<[^>]+>", " ", response.text))
    return " ".join(words.split())


class LogLines(logging.Handler):
    """What the portal's loggers wrote, formatted, line by line."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def logged() -> Iterator[LogLines]:
    collect = LogLines()
    collect.setFormatter(logging.Formatter("%(name)s %(message)s"))
    loggers = [logging.getLogger(n) for n in ("uvicorn.access", "uvicorn.error", "portal")]
    for logger in loggers:
        logger.addHandler(collect)
    yield collect
    for logger in loggers:
        logger.removeHandler(collect)
