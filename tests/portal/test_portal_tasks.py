"""The organising committee task pages (/viec/<token>/) over HTTP against the real portal: the
owner's page in both languages, "done", "a problem", "more time", the CSRF refusal and the
cross-token matrix (a unit's token is nothing here, a task's token nothing on /nop/)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx
import pytest
from sqlmodel import select

from models import clock
from models.committee import CommitteeTask, TaskStatus
from models.db import session_scope
from services.mail import deliver_and_report
from tests.committee_support import ASSIGNED_ON, import_and_assign, task_links
from tests.flows.conftest import at
from tests.portal.support import Browser, Campaign, Portal, text_of


@pytest.fixture
def owners(portal: Portal, campaign: Campaign) -> Iterator[dict[str, Browser]]:
    """Each task's owner with a browser, following the link read from the hand-over email."""
    import_and_assign(at(ASSIGNED_ON, 8))
    deliver_and_report(at(ASSIGNED_ON, 9))
    clock.set_now(at(ASSIGNED_ON, 10))
    links = task_links(campaign.mailbox)
    assert sorted(links) == ["bao_chi", "hoi_truong", "in_an", "kinh_phi"]
    opened = {key: Browser(portal, link) for key, link in links.items()}
    yield opened
    for browser in opened.values():
        browser.close()


def status(key: str) -> CommitteeTask:
    with session_scope() as session:
        return session.exec(select(CommitteeTask).where(CommitteeTask.key == key)).one()


def test_the_owner_sees_the_task_its_due_and_what_it_waits_for(owners: dict[str, Browser]) -> None:
    first = owners["in_an"].client.get(owners["in_an"].link)
    assert first.status_code == 303 and first.headers["location"].endswith("/")
    page = owners["in_an"].open()
    assert page.status_code == 200
    words = text_of(page)
    assert "In giấy mời và Bằng khen" in words
    assert "Thứ Hai, ngày 25/03/2019" in words and "còn 16 ngày làm việc" in words
    assert "Đặt hội trường 200 chỗ — Đang thực hiện" in words
    assert owners["in_an"].link.rsplit("/", 1)[1] not in page.text  # links are relative
    english = text_of(owners["in_an"].open(lang="en"))
    assert "Monday, 25 March 2019" in english and "Waits for" in english


def test_done_problem_and_extension_are_taken(owners: dict[str, Browser]) -> None:
    answer = owners["kinh_phi"].post("xong")
    assert answer.status_code == 303 and answer.headers["location"] == "./?ok=done"
    assert status("kinh_phi").status == TaskStatus.DONE
    after = text_of(owners["kinh_phi"].open(ok="done"))
    assert "Đã ghi nhận: công việc đã hoàn thành" in after and "Xin gia hạn" not in after
    assert "Cấp kinh phí tổ chức Hội nghị — Đã hoàn thành" in text_of(owners["hoi_truong"].open())

    empty = owners["bao_chi"].post("vuong-mac", {"problem": "   "})
    assert empty.status_code == 422 and "Xin nhập nội dung vướng mắc" in text_of(empty)
    assert status("bao_chi").status == TaskStatus.OPEN
    reported = owners["bao_chi"].post("vuong-mac", {"problem": "Chưa có danh sách phóng viên"})
    assert reported.status_code == 303
    assert status("bao_chi").problem == "Chưa có danh sách phóng viên"

    saturday = owners["in_an"].post("gia-han", {"until": "2019-03-23", "reason": "Chờ giấy"})
    assert saturday.status_code == 422 and "không phải ngày làm việc" in text_of(saturday)
    assert 'value="2019-03-23"' in saturday.text  # what was typed stays in the form
    asked = owners["in_an"].post("gia-han", {"until": "2019-03-27", "reason": "Chờ giấy"})
    assert asked.status_code == 303
    task = status("in_an")
    assert task.status == TaskStatus.EXTENSION_REQUESTED
    assert task.extension_until == date(2019, 3, 27)


def test_a_post_without_the_forms_csrf_is_refused(owners: dict[str, Browser]) -> None:
    owner = owners["hoi_truong"]
    owner.open()  # has the cookie
    bare = owner.client.post(owner.page_url + "xong", data={})
    assert bare.status_code == 403
    other = owners["in_an"].csrf()  # another task's form value, with this browser's cookie
    owner.client.cookies.update(owners["in_an"].client.cookies)
    crossed = owner.client.post(owner.page_url + "xong", data={"csrf": other})
    assert crossed.status_code == 403
    assert status("hoi_truong").status == TaskStatus.OPEN


def test_tokens_open_only_their_own_kind_of_page(
    portal: Portal, campaign: Campaign, owners: dict[str, Browser]
) -> None:
    unit_token = campaign.token(campaign.codes[0])
    task_token = owners["in_an"].link.rsplit("/", 1)[1]
    portal.reset_throttle()
    with httpx.Client(base_url=portal.url, timeout=30) as client:
        for path in [
            f"/viec/{unit_token}",
            f"/viec/{unit_token}/",
            f"/nop/{task_token}",
            f"/nop/{task_token}/",
            f"/viec/{'A' * 43}/",
            f"/viec/{task_token}/12",
        ]:
            answer = client.get(path)
            assert answer.status_code == 404, path
            assert "In giấy mời" not in answer.text
        posted = client.post(f"/viec/{unit_token}/xong", data={"csrf": "0" * 64})
        assert posted.status_code == 404
        assert client.get(f"/viec/{task_token}/").status_code == 200
    portal.reset_throttle()
