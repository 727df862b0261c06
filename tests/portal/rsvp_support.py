"""The conference invitees' fixture for the portal's tests (registered by ``conftest.py``):
the signed campaign of ``tests.ceremony_support`` with its invitations emailed through the real
SMTP server, each invitee's link read back from the Maildir, and the clock the next morning."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from models import clock
from models.settings import get_settings
from notifications.smtp_server import MailboxServer, plain_text, read_mailbox
from services.mail import deliver_and_report
from tests.ceremony_support import invitation_links, invite_all, signed_campaign
from tests.flows.conftest import at
from tests.portal.support import Portal

UNIT_LINK = re.compile(r"https?://[^\s\"'<>]+/nop/[A-Za-z0-9_-]+")
ANSWER_DAY = date(2019, 3, 27)


@dataclass
class Invited:
    links: dict[str, str]  # invitee's name -> the link read from their invitation
    mailbox: Path
    unit_link: str  # a unit's link from the call, for the cross-door checks

    def token(self, name: str) -> str:
        return self.links[name].rsplit("/", 1)[1]


@pytest.fixture
def invited(
    database: str,
    mail_server: MailboxServer,
    portal: Portal,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Invited]:
    monkeypatch.setenv("TONVINH_SUBMISSION_BASE_URL", f"{portal.url}/nop")
    get_settings.cache_clear()
    portal.reset_throttle()
    signed = signed_campaign(tmp_path)
    invite_all(signed)
    deliver_and_report(at(signed, 17))
    unit_link = next(
        found.group(0)
        for message in read_mailbox(mail_server.mailbox_dir)
        if (found := UNIT_LINK.search(plain_text(message)))
    )
    clock.set_now(at(ANSWER_DAY, 9))
    try:
        yield Invited(invitation_links(mail_server.mailbox_dir), mail_server.mailbox_dir, unit_link)
    finally:
        clock.set_now(None)
