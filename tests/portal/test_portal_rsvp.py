"""The conference invitation pages (/moi/<token>/) over HTTP against the real portal: the
invitation in both languages, attend / a named deputy / decline, a double submit stored once,
a deputy without a position refused (nothing saved), the CSRF refusal, the cut-off (read-only
page, POST 409), and the cross-door matrix: an invitation's token opens nothing on another door,
another door's token nothing here, and one invitee's form value is no good on another's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx
import pytest
from sqlmodel import func, select

from models import clock
from models.ceremony import SeatState
from models.db import session_scope
from models.outbox import EmailKind, OutboxMessage
from services.mail import deliver_and_report
from tests.ceremony_support import HEAD, ONCE, TWICE, invitees
from tests.committee_support import ASSIGNED_ON, import_and_assign, task_links
from tests.flows.conftest import at
from tests.portal.rsvp_support import Invited
from tests.portal.support import Browser, LogLines, Portal, text_of


@pytest.fixture
def guests(portal: Portal, invited: Invited) -> Iterator[dict[str, Browser]]:
    """Each invitee with a browser, following the link read from their invitation."""
    opened = {name: Browser(portal, link) for name, link in invited.links.items()}
    yield opened
    for browser in opened.values():
        browser.close()


def confirmations() -> int:
    with session_scope() as session:
        return session.exec(
            select(func.count()).where(OutboxMessage.kind == EmailKind.CEREMONY_CONFIRMATION)
        ).one()


def test_the_invitation_shows_time_place_seat_and_honours(guests: dict[str, Browser]) -> None:
    first = guests[TWICE].client.get(guests[TWICE].link)
    assert first.status_code == 303 and first.headers["location"].endswith("/")
    page = guests[TWICE].open()
    assert page.status_code == 200
    words = text_of(page)
    assert "Kính mời: Nguyễn Thị Hương" in words
    assert "Chiến sĩ thi đua cơ sở; Bằng khen của Bộ trưởng" in words
    assert "08:00, Thứ Sáu, ngày 29/03/2019" in words and "Khu A" in words
    assert "Đã mời, chưa trả lời" in words and "Gửi trả lời" in words
    assert guests[TWICE].link.rsplit("/", 1)[1] not in page.text  # links are relative
    english = text_of(guests[TWICE].open(lang="en"))
    assert "Friday, 29 March 2019" in english and "Send a deputy" in english


def test_a_deputy_is_taken_once_and_a_missing_position_saves_nothing(
    guests: dict[str, Browser],
) -> None:
    refused = guests[TWICE].post(
        "tra-loi", {"answer": "deputy", "deputy_name": "Trần Văn Cường", "deputy_position": ""}
    )
    assert refused.status_code == 422
    assert "Xin nhập chức vụ người dự thay" in text_of(refused)
    assert 'value="Trần Văn Cường"' in refused.text  # what was typed stays
    assert invitees()[TWICE].state == SeatState.INVITED and confirmations() == 0
    fields = {"answer": "deputy", "deputy_name": "Trần Văn Cường", "deputy_position": "Phó TP"}
    for _ in range(2):  # a double submit
        sent = guests[TWICE].post("tra-loi", fields)
        assert sent.status_code == 303 and sent.headers["location"] == "./?ok=ok"
    assert invitees()[TWICE].attendee_name == "Trần Văn Cường" and confirmations() == 1
    after = text_of(guests[TWICE].open(ok="ok"))
    assert (
        "Đã ghi nhận câu trả lời" in after and "Cử người dự thay — Trần Văn Cường, Phó TP" in after
    )
    declined = guests[ONCE].post("tra-loi", {"answer": "decline"})
    assert declined.status_code == 303 and invitees()[ONCE].state == SeatState.DECLINED
    nothing = guests[HEAD].post("tra-loi", {})
    assert nothing.status_code == 422 and "Xin chọn một câu trả lời" in text_of(nothing)


def test_a_post_without_its_own_forms_csrf_is_refused(guests: dict[str, Browser]) -> None:
    guest = guests[HEAD]
    guest.open()  # has the cookie
    bare = guest.client.post(guest.page_url + "tra-loi", data={"answer": "decline"})
    assert bare.status_code == 403
    other = guests[ONCE].csrf()  # another invitee's form value, with that browser's cookie
    guest.client.cookies.update(guests[ONCE].client.cookies)
    crossed = guest.client.post(
        guest.page_url + "tra-loi", data={"csrf": other, "answer": "decline"}
    )
    assert crossed.status_code == 403
    assert invitees()[HEAD].state == SeatState.INVITED


def test_after_the_cut_off_the_page_is_read_only_and_an_answer_is_refused(
    guests: dict[str, Browser],
) -> None:
    csrf = guests[ONCE].csrf()
    clock.set_now(at(date(2019, 3, 29), 7))
    page = guests[ONCE].open()
    assert page.status_code == 200 and "Gửi trả lời" not in page.text
    assert "Đã hết hạn trả lời: trang này chỉ để xem" in text_of(page)
    late = guests[ONCE].client.post(
        guests[ONCE].page_url + "tra-loi", data={"csrf": csrf, "answer": "decline"}
    )
    assert late.status_code == 409 and "Đã hết hạn trả lời (ngày 28/03/2019)" in text_of(late)
    english = guests[ONCE].client.post(
        guests[ONCE].page_url + "tra-loi?lang=en", data={"csrf": csrf, "answer": "decline"}
    )
    assert english.status_code == 409 and "Answers closed on 2019-03-28" in text_of(english)
    assert invitees()[ONCE].state == SeatState.INVITED


def test_the_access_log_never_shows_an_invitation_token(
    guests: dict[str, Browser], logged: LogLines
) -> None:
    token = guests[ONCE].link.rsplit("/", 1)[1]
    guests[ONCE].post("tra-loi", {"answer": "attend"})
    lines = "\n".join(logged.lines)
    assert '"POST /moi/…/tra-loi HTTP/1.1" 303' in lines and token not in lines


def test_tokens_open_only_their_own_door(portal: Portal, invited: Invited) -> None:
    import_and_assign(at(ASSIGNED_ON, 8))
    deliver_and_report(at(ASSIGNED_ON, 9))
    task_token = next(iter(task_links(invited.mailbox).values())).rsplit("/", 1)[1]
    unit_token = invited.unit_link.rsplit("/", 1)[1]
    mine, theirs = invited.token(TWICE), invited.token(ONCE)
    portal.reset_throttle()
    with httpx.Client(base_url=portal.url, timeout=30) as client:
        for path in [
            f"/moi/{unit_token}/",
            f"/moi/{task_token}/",
            f"/moi/{'A' * 43}/",
            f"/moi/{mine}/{invitees()[ONCE].id}",
            f"/nop/{mine}/",
            f"/viec/{mine}/",
            f"/phieu/{mine}",
            f"/duyet/{mine}",
        ]:
            answer = client.get(path)
            assert answer.status_code == 404, path
            assert "Nguyễn Thị Hương" not in answer.text
        posted = client.post(f"/moi/{unit_token}/tra-loi", data={"csrf": "0" * 64})
        assert posted.status_code == 404
        assert client.get(f"/moi/{theirs}/").status_code == 200
    portal.reset_throttle()
