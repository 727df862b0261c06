"""A unit's personal link: minted when its email is sent, stored only as a hash, opening only that
unit's page, and rotatable (every old link refused, the new one emailed)."""

from __future__ import annotations

import hashlib
from datetime import date

import httpx
from sqlalchemy import select
from sqlmodel import SQLModel, col

from models.access import LINK_PLACEHOLDER, AccessToken
from models.db import get_engine, session_scope
from models.outbox import EmailKind, OutboxMessage
from notifications.smtp_server import read_mailbox
from services.links import rotate_link
from services.mail import deliver_and_report
from services.reminders import enqueue_due_reminders
from tests.flows.conftest import CODE, at
from tests.portal.support import (
    Campaign,
    Portal,
    body_text,
    latest_links,
    links_in,
    text_of,
    unit_of,
)


def _every_stored_text() -> list[str]:
    """Every text value in every table of the campaign database."""
    found: list[str] = []
    with get_engine().connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(select(table)).all():
                found.extend(str(value) for value in row if value is not None)
    return found


def test_no_plain_token_is_stored_after_the_call_is_sent(campaign: Campaign) -> None:
    tokens = {campaign.token(unit) for unit in campaign.codes}
    assert len(tokens) == len(campaign.codes)
    assert all(len(token) >= 43 for token in tokens)  # 32 random bytes, URL-safe
    stored = "\n".join(_every_stored_text())
    assert not [token for token in tokens if token in stored]
    with session_scope() as session:
        calls = session.exec(
            select(OutboxMessage).where(OutboxMessage.kind == EmailKind.CALL)
        ).all()
        hashes = set(session.exec(select(AccessToken.token_hash)).scalars().all())
    # The stored copy of each sent call keeps the link redacted.
    assert calls and all(LINK_PLACEHOLDER in m[0].text_body for m in calls)
    assert all(LINK_PLACEHOLDER in m[0].html_body for m in calls)
    assert {hashlib.sha256(t.encode()).hexdigest() for t in tokens} <= hashes


def test_the_emailed_link_opens_the_units_own_page(campaign: Campaign, portal: Portal) -> None:
    unit = campaign.codes[0]
    with httpx.Client(follow_redirects=True) as browser:
        page = browser.get(campaign.links[unit])
    assert page.status_code == 200
    assert page.url.path == f"/nop/{campaign.token(unit)}/"
    words = text_of(page)
    assert "Tôn vinh điển hình tiên tiến năm 2018" in words
    with session_scope() as session:
        from models.unit import Unit

        name = session.exec(select(Unit.name).where(Unit.code == unit)).scalar_one()
        others = session.exec(select(Unit.name).where(col(Unit.code) != unit)).scalars().all()
    assert name in words
    assert not [other for other in others if other in words]
    # The page never writes the token into its HTML: every link on it is relative.
    assert campaign.token(unit) not in page.text


def test_each_email_carries_a_link_of_its_own_and_each_opens(
    campaign: Campaign, portal: Portal
) -> None:
    unit = campaign.codes[0]
    # The reminders' first step: five working days before the deadline.
    with session_scope() as session:
        enqueue_due_reminders(session, CODE, at(campaign.submission_due, 23))
    deliver_and_report(at(campaign.submission_due, 23))
    reminder = latest_links(campaign.mailbox, "Nhắc hạn")
    assert unit in reminder and reminder[unit] != campaign.links[unit]
    for link in (campaign.links[unit], reminder[unit]):
        assert httpx.get(link, follow_redirects=True).status_code == 200


def test_a_rotated_link_is_refused_and_the_new_one_is_emailed(
    campaign: Campaign, portal: Portal
) -> None:
    unit, other = campaign.codes[:2]
    with session_scope() as session:
        rotated = rotate_link(
            session, CODE, unit, reason="lộ đường dẫn", now=at(campaign.dispatch_on, 11), actor="t"
        )
    assert (rotated.revoked, rotated.email_queued) == (1, True)
    deliver_and_report(at(campaign.dispatch_on, 11))
    new = [m for m in read_mailbox(campaign.mailbox) if "Đường dẫn mới" in str(m["Subject"])]
    assert [unit_of(m) for m in new] == [unit]
    [fresh] = links_in(new[0])
    assert "không còn dùng được" in body_text(new[0])
    refused = httpx.get(campaign.links[unit], follow_redirects=True)
    assert refused.status_code == 404
    assert "Không tìm thấy trang" in text_of(refused)
    assert httpx.get(fresh, follow_redirects=True).status_code == 200
    # Another unit's link is untouched.
    assert httpx.get(campaign.links[other], follow_redirects=True).status_code == 200
    # The rotation is in the audit log, with its reason; the new token is not stored either.
    token = fresh.rsplit("/", 1)[1]
    assert token not in "\n".join(_every_stored_text())
    assert "lộ đường dẫn" in "\n".join(_every_stored_text())


def test_rotating_twice_sends_two_emails(campaign: Campaign, portal: Portal) -> None:
    unit = campaign.codes[0]
    for hour in (11, 12):
        with session_scope() as session:
            moment = at(campaign.dispatch_on, hour)
            rotate_link(session, CODE, unit, reason="", now=moment, actor="t")
        deliver_and_report(at(campaign.dispatch_on, hour))
    new = [m for m in read_mailbox(campaign.mailbox) if "Đường dẫn mới" in str(m["Subject"])]
    assert len(new) == 2
    first, second = (next(iter(links_in(m))) for m in new)
    assert httpx.get(first, follow_redirects=True).status_code == 404
    assert httpx.get(second, follow_redirects=True).status_code == 200


def test_a_later_campaign_day_still_opens_the_page(campaign: Campaign, portal: Portal) -> None:
    """The link is not tied to the day it was sent: it opens whenever the unit comes back."""
    from models import clock

    clock.set_now(at(date(2019, 3, 28), 9))
    assert httpx.get(campaign.links[campaign.codes[1]], follow_redirects=True).status_code == 200
