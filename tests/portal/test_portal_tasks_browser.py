"""A committee task's owner answers in a real browser (Debian's chromium, headless): the link
comes from the hand-over email in the real SMTP server's Maildir; the owner reads the task, its
due and what it waits for, tries "more time" with a Saturday (refused, next to the field, the
typed reason kept), then presses "Đã hoàn thành" and reads the confirmation. The page switches to
English and reads on a phone. Screenshots: test-output/screenshots/task-*.png."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect
from sqlmodel import select

from models import clock
from models.committee import CommitteeTask, TaskStatus
from models.db import session_scope
from services.mail import deliver_and_report
from tests.browser import needs_chromium, on_a_phone
from tests.committee_support import ASSIGNED_ON, import_and_assign, task_links
from tests.flows.conftest import at
from tests.portal.support import Campaign

pytestmark = needs_chromium


def test_an_owner_opens_the_emailed_link_and_marks_the_task_done(
    campaign: Campaign, page: Page, screenshots: Path
) -> None:
    import_and_assign(at(ASSIGNED_ON, 8))
    deliver_and_report(at(ASSIGNED_ON, 9))
    clock.set_now(at(ASSIGNED_ON, 10))
    link = task_links(campaign.mailbox)["in_an"]

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("In giấy mời và Bằng khen")
    expect(page.locator("dl.facts")).to_contain_text("Thứ Hai, ngày 25/03/2019")
    expect(page.locator("ul.deps")).to_contain_text("Đặt hội trường 200 chỗ — Đang thực hiện")
    page.screenshot(path=str(screenshots / "task-page.png"), full_page=True)

    page.get_by_label("Đề nghị hạn mới").fill("2019-03-23")  # a Saturday
    page.get_by_label("Lý do").fill("Chờ danh sách chính thức")
    page.get_by_role("button", name="Xin gia hạn").click()
    expect(page.locator("#until-error")).to_contain_text("không phải ngày làm việc")
    expect(page.get_by_label("Lý do")).to_have_value("Chờ danh sách chính thức")
    page.screenshot(path=str(screenshots / "task-extension-refused.png"), full_page=True)

    page.get_by_role("button", name="Đã hoàn thành").click()
    expect(page.get_by_role("status")).to_contain_text("công việc đã hoàn thành")
    expect(page.locator("#status")).to_have_text("Đã hoàn thành")
    expect(page.get_by_role("button", name="Đã hoàn thành")).to_have_count(0)
    page.screenshot(path=str(screenshots / "task-done.png"), full_page=True)
    with session_scope() as session:
        task = session.exec(select(CommitteeTask).where(CommitteeTask.key == "in_an")).one()
        assert task.status == TaskStatus.DONE and task.done_at is not None

    page.get_by_role("link", name="English").click()
    expect(page.locator("#status")).to_have_text("Done")
    on_a_phone(page, screenshots / "task-done-phone-en.png")
