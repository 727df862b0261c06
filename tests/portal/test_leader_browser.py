"""The approving leader in a real browser (Debian's chromium, headless): the approval run is
paused on a real Prefect server, the leader opens the link from the real email in the Maildir,
downloads the draft decision, approves on the page, and the run completes with the decision in
our audit log under the leader's name. Screenshots: test-output/screenshots/leader-*.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import docx

from cli.demo_leader import leader_links
from models.nomination import NominationStatus
from notifications.smtp_server import MailboxServer
from tests.browser import DESKTOP, PHONE, needs_chromium
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

pytestmark = needs_chromium


def test_the_leader_approves_in_a_browser(
    approvals: list[PausedApproval],
    mail_server: MailboxServer,
    page: Any,
    screenshots: Path,
    tmp_path: Path,
) -> None:
    paused = paused_for_leader(approvals, tmp_path, "tdkt-2018")
    [link] = leader_links(mail_server.mailbox_dir, "tdkt-2018")

    page.goto(link)
    assert page.get_by_role("heading", name="Phê duyệt danh sách khen thưởng").is_visible()
    for name in NAMES:
        assert page.get_by_role("rowheader", name=name).is_visible()
    assert page.get_by_label("Họ tên người phê duyệt").input_value() == f"{LEADER} ({TITLE})"
    assert page.get_by_label("Phê duyệt toàn bộ danh sách").is_checked()
    page.screenshot(path=str(screenshots / "leader-01-page.png"), full_page=True)

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
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(screenshots / "leader-02-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)

    page.get_by_label("Ý kiến", exact=True).fill("Đồng ý khen thưởng theo đề nghị của Hội đồng.")
    page.get_by_role("button", name="Gửi ý kiến phê duyệt").click()
    page.get_by_role("heading", name="Đã gửi ý kiến phê duyệt").wait_for()
    page.screenshot(path=str(screenshots / "leader-03-sent.png"), full_page=True)

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
