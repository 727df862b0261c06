"""An invitee answers in a real browser (Debian's chromium, headless): the link comes from the
invitation in the real SMTP server's Maildir; the invitee reads the time, place and seat area,
chooses "send a deputy" without a position (refused next to the field, the typed name kept),
then with it, and reads the confirmation; once the scheduler's job after answers has run, the
attendee list (XLSX, from the operator's stored documents) names the deputy in place of the
invitee. The page reads on a phone, in English too.
Screenshots: test-output/screenshots/rsvp-*.png."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
from playwright.sync_api import Page, expect

from flows.ceremony import AnsweredInvitations
from models.db import session_scope
from services.ceremony_outputs import attendees_file_name
from services.documents import open_document
from tests.browser import needs_chromium, on_a_phone
from tests.ceremony_support import TWICE
from tests.flows.conftest import CODE
from tests.portal.rsvp_support import Invited

pytestmark = needs_chromium


def test_an_invitee_sends_a_deputy_and_the_attendee_list_names_the_deputy(
    invited: Invited, prefect_server: None, page: Page, screenshots: Path
) -> None:
    page.goto(invited.links[TWICE])
    expect(page.get_by_role("heading", level=1)).to_have_text("Giấy mời dự Hội nghị biểu dương")
    expect(page.locator("dl.facts")).to_contain_text("08:00, Thứ Sáu, ngày 29/03/2019")
    expect(page.locator("dl.facts")).to_contain_text("Bằng khen của Bộ trưởng")
    page.screenshot(path=str(screenshots / "rsvp-page.png"), full_page=True)

    page.get_by_label("Cử người dự thay").check()
    page.get_by_label("Họ tên người dự thay").fill("Trần Văn Cường")
    page.get_by_role("button", name="Gửi trả lời").click()
    expect(page.locator("#deputy_position-error")).to_contain_text("Xin nhập chức vụ")
    expect(page.get_by_label("Họ tên người dự thay")).to_have_value("Trần Văn Cường")
    page.screenshot(path=str(screenshots / "rsvp-deputy-refused.png"), full_page=True)

    page.get_by_label("Cử người dự thay").check()
    page.get_by_label("Chức vụ người dự thay").fill("Phó Trưởng phòng Tổng hợp")
    page.get_by_role("button", name="Gửi trả lời").click()
    expect(page.get_by_role("status")).to_contain_text("Đã ghi nhận câu trả lời")
    expect(page.locator("#state")).to_have_text("Cử người dự thay")
    expect(page.locator("dl.facts")).to_contain_text("Trần Văn Cường, Phó Trưởng phòng Tổng hợp")
    page.screenshot(path=str(screenshots / "rsvp-deputy.png"), full_page=True)

    assert AnsweredInvitations()() == [CODE]  # the scheduler's job after answers
    with session_scope() as session:
        stored = open_document(session, CODE, attendees_file_name(CODE))
        assert stored is not None
        book = openpyxl.load_workbook(io.BytesIO(stored.content))
    rows = [r for r in book["Đại biểu dự"].iter_rows(min_row=6, values_only=True) if r[0]]
    [deputy] = [r for r in rows if r[2] == "Trần Văn Cường"]
    assert deputy[3] == "Phó Trưởng phòng Tổng hợp" and TWICE in str(deputy[4])
    assert TWICE not in [r[2] for r in rows]

    page.get_by_role("link", name="English").click()
    expect(page.locator("#state")).to_have_text("Sending a deputy")
    on_a_phone(page, screenshots / "rsvp-deputy-phone-en.png")
