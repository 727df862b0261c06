"""A council ready to vote through the portal: the campaign of ``ready_council`` with its
convocations delivered through the real SMTP server, each member's link read from the Maildir."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from cli.demo_council import BALLOT_LINK, ballot_form
from cli.demo_units import latest_links
from models import clock
from models.settings import get_settings
from notifications.smtp_server import MailboxServer
from services.mail import deliver_and_report
from tests.flows.conftest import at
from tests.portal.support import Portal
from tests.service_layer.council_setup import Council, ready_council

EMAILS = {
    "chair": "chu.tich@example.gov.vn",
    "secretary": "thu.ky@example.gov.vn",
    "ba": "tran.ba@example.gov.vn",
    "bon": "nguyen.bon@example.gov.vn",
    "nam": "do.nam@example.gov.vn",
}


@dataclass
class Voting:
    council: Council
    links: dict[str, str]  # short name -> the member's ballot link from their email
    mailbox: Path


@pytest.fixture
def voting(
    database: str,
    mail_server: MailboxServer,
    portal: Portal,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Voting]:
    monkeypatch.setenv("TONVINH_SUBMISSION_BASE_URL", f"{portal.url}/nop")
    get_settings.cache_clear()
    portal.reset_throttle()
    council = ready_council(tmp_path)
    deliver_and_report(at(council.voting_day, 8))
    by_address = latest_links(mail_server.mailbox_dir, BALLOT_LINK)
    links = {name: by_address[address] for name, address in EMAILS.items()}
    clock.set_now(at(council.voting_day, 9))
    try:
        yield Voting(council, links, mail_server.mailbox_dir)
    finally:
        clock.set_now(None)


def vote(client: httpx.Client, link: str, agree: bool = True) -> httpx.Response:
    """Open the ballot, answer every dossier, send it (as a member's browser would)."""
    page = client.get(link)
    assert page.status_code == 200, page.text
    csrf, seed, fields = ballot_form(page.text)
    data = {"csrf": csrf, "seed": seed} | dict.fromkeys(fields, "1" if agree else "0")
    return client.post(link, data=data)
