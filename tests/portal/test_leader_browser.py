"""The approving leader in a real browser (Debian's chromium, headless): the approval run is
paused on a real Prefect server, the leader opens the link from the real email in the Maildir,
downloads the draft decision, approves on the page, and the run completes with the decision in
our audit log under the leader's name. Screenshots: test-output/screenshots/leader-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pytest

from cli.demo_leader import leader_links
from models.nomination import NominationStatus
from notifications.smtp_server import MailboxServer
from tests.deploy.conftest import SCREENSHOTS
from tests.deploy.test_ui import CHROMIUM, CHROMIUM_ARGS
from tests.portal.leader_support import (
    LEADER,
    NAMES,
    TITLE,
    PausedApproval,
    paused_for_leader,
    recorded_approval,
    run_state,
    statuses,
)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not found")


@pytest.fixture
def browser_page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(
                viewport={"width": 1200, "height": 900}, locale="vi-VN", accept_downloads=True
            )
            page = context.new_page()
            page.set_default_timeout(30_000)
            yield page
        finally:
            browser.close()


def test_the_leader_approves_in_a_browser(
    approvals: list[PausedApproval],
    mail_server: MailboxServer,
    browser_page: Any,
    tmp_path: Path,
) -> None:
    paused = paused_for_leader(approvals, tmp_path, "tdkt-2018")
    [link] = leader_links(mail_server.mailbox_dir, "tdkt-2018")
    page = browser_page

    page.goto(link)
    assert page.get_by_role("heading", name="Phê duyệt danh sách khen thưởng").is_visible()
    for name in NAMES:
        assert page.get_by_role("rowheader", name=name).is_visible()
    assert page.get_by_label("Họ tên người phê duyệt").input_value() == f"{LEADER} ({TITLE})"
    assert page.get_by_label("Phê duyệt toàn bộ danh sách").is_checked()
    page.screenshot(path=str(SCREENSHOTS / "leader-01-page.png"), full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Tải dự thảo quyết định (DOCX)").click()
    download = download_info.value
    assert download.suggested_filename == "du-thao-quyet-dinh-tdkt-2018.docx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    draft = docx.Document(str(saved))
    words = [p.text for p in draft.paragraphs]
    words += [c.text for t in draft.tables for r in t.rows for c in r.cells]
    assert all(name in " ".join(words) for name in NAMES)

    # On a phone, the same page reads top to bottom; the table scrolls on its own.
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SCREENSHOTS / "leader-02-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1200, "height": 900})

    page.get_by_label("Ý kiến", exact=True).fill("Đồng ý khen thưởng theo đề nghị của Hội đồng.")
    page.get_by_role("button", name="Gửi ý kiến phê duyệt").click()
    page.get_by_role("heading", name="Đã gửi ý kiến phê duyệt").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "leader-03-sent.png"), full_page=True)

    result = paused.wait()
    assert result.approved == len(NAMES)
    assert run_state(paused) == "COMPLETED"
    approval, decision = recorded_approval()
    assert approval.approver == f"{LEADER} ({TITLE})" == decision.actor
    assert approval.flow_run_id == str(paused.run_id)
    assert statuses("tdkt-2018") == {NominationStatus.APPROVED}

    # The link was single-use: opening it again shows only the confirmation.
    page.goto(link)
    assert page.get_by_role("heading", name="Đã gửi ý kiến phê duyệt").is_visible()
    assert page.get_by_role("button", name="Gửi ý kiến phê duyệt").count() == 0
