"""Five council members vote in a real browser (Debian's chromium, headless) through the links
their convocation emails carried (read from the Maildir); the secretary closes; the vote-count
minutes (DOCX) hold each member's receipt and the tally's counts; every member is emailed the
result. Screenshots: test-output/screenshots/ballot-*.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from docx import Document

from models.db import session_scope
from notifications.smtp_server import read_mailbox
from services.council_vote import close_voting
from services.mail import deliver_and_report
from tests.browser import PHONE, needs_chromium, new_page
from tests.flows.conftest import CODE, at
from tests.portal.ballot_support import EMAILS, Voting

pytestmark = needs_chromium


@pytest.mark.slow
def test_five_members_vote_in_the_browser_and_the_minutes_match(
    voting: Voting, chromium: Any, screenshots: Path
) -> None:
    receipts: dict[str, str] = {}
    for name in ("chair", "secretary", "ba", "bon", "nam"):
        tab = new_page(chromium, PHONE)  # each member: their own browser, their own link
        tab.goto(voting.links[name])
        assert tab.get_by_role("heading", name="Phiếu bầu kín").is_visible()
        if name == "chair":
            assert tab.get_by_text("không tham gia biểu quyết (cùng đơn vị)").count() == 2
        for dossier in tab.locator("fieldset.dossier").all():
            if dossier.locator("input[type=radio]").count():
                dossier.get_by_label("Đồng ý", exact=True).check()
        tab.screenshot(path=str(screenshots / f"ballot-{name}-form.png"), full_page=True)
        tab.get_by_role("button", name="Gửi phiếu bầu").click()
        tab.get_by_text("Đã nhận phiếu bầu").wait_for()
        receipts[name] = tab.locator("#receipt").inner_text()
        tab.screenshot(path=str(screenshots / f"ballot-{name}-receipt.png"), full_page=True)
        tab.reload()  # the page again: voted, no form
        assert tab.locator("input[type=radio]").count() == 0
        tab.context.close()
    with session_scope() as session:
        closed = close_voting(session, CODE, at(voting.council.voting_day, 15), "Lê Thư Ký")
    deliver_and_report(at(voting.council.voting_day, 15))
    summary = closed.summary
    assert summary is not None and summary.members_voting == 5
    minutes = Document(closed.minutes_docx)
    counts = {row.cells[0].text: row.cells[1].text for row in minutes.tables[0].rows}
    assert counts["Số phiếu thu về"] == "5" and counts["Số phiếu hợp lệ"] == "5"
    text = "\n".join(p.text for p in minutes.paragraphs)
    assert all(code in text for code in receipts.values())
    rows = [[c.text for c in row.cells] for row in minutes.tables[1].rows[1:]]
    assert [(r[4], r[8]) for r in rows] == [
        (f"{t.votes_in_favour}/{t.members_total}", "Đạt" if t.selected else "Không đạt")
        for t in summary.rows
    ]
    results = [m for m in read_mailbox(voting.mailbox) if "Kết quả kiểm phiếu" in str(m["Subject"])]
    assert sorted(str(m["To"]).rsplit("<", 1)[-1].rstrip(">") for m in results) == sorted(
        EMAILS.values()
    )
    tab = new_page(chromium, PHONE)
    tab.goto(voting.links["ba"] + f"?ma={receipts['ba']}")
    assert tab.get_by_text("có trong các phiếu đã nhận").is_visible()
    tab.screenshot(path=str(screenshots / "ballot-receipt-check.png"), full_page=True)
