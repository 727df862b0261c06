"""The demo's approving leader decides as a real one does: from the email, on the portal.

When the approval run pauses, the leader's email is already in the Maildir (the flow sends it
before it pauses). The leader opens the link in it over HTTP against a portal running in this
process (``portal.embedded``), reads the council's result and sends "approve all" through the
page's form; the page resumes the paused run with the Prefect form's typed input, and the run
records the decision, as for any other door.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from pathlib import Path
from uuid import UUID

import httpx

from cli.demo_units import CSRF_FIELD
from flows.approve import ApprovalRun, approve_when_paused
from notifications.smtp_server import plain_text, read_mailbox

LEADER_LINK = re.compile(r"(https?://[^\s\"'<>]+/duyet/([A-Za-z0-9_-]+))")
LEADER_SUBJECT = "Trình Lãnh đạo phê duyệt"
APPROVER_FIELD = re.compile(r'id="approver" name="approver"[^>]*value="([^"]*)"')
SENT = "Đã gửi ý kiến phê duyệt"


def leader_links(mailbox: Path, campaign_code: str) -> list[str]:
    """The leader's links in the Maildir for ``campaign_code``, oldest first."""
    found: list[str] = []
    for message in read_mailbox(mailbox):
        subject = str(message["Subject"])
        if LEADER_SUBJECT in subject and f"[{campaign_code}]" in subject:
            found += [match.group(1) for match in LEADER_LINK.finditer(plain_text(message))]
    return found


def approve_all_on_the_page(link: str, comment: str) -> str:
    """Open the leader's link, approve the whole list with the pre-filled name; returns the
    name the page sent (the audit's approver)."""
    with httpx.Client(timeout=60, follow_redirects=True) as client:
        page = client.get(link)
        page.raise_for_status()
        csrf, approver = CSRF_FIELD.search(page.text), APPROVER_FIELD.search(page.text)
        if csrf is None or approver is None:
            raise RuntimeError("Trang phê duyệt không có biểu mẫu. / No form on the page.")
        name = html.unescape(approver.group(1))
        fields = {"csrf": csrf.group(1), "decision": "approve_all", "approver": name}
        sent = client.post(str(page.url), data=fields | {"comment": comment})
        if sent.status_code != 200 or SENT not in sent.text:
            raise RuntimeError(f"Không gửi được ý kiến phê duyệt (HTTP {sent.status_code}).")
    return name


def approve_through_portal(
    campaign_code: str, mailbox: Path, comment: str, now: datetime | None = None
) -> ApprovalRun:
    """Run the approval flow; once it pauses, the leader approves all from the emailed link (on
    the portal the demo runs: ``TONVINH_APPROVAL_BASE_URL``)."""

    def answer(_run_id: UUID) -> None:
        links = leader_links(mailbox, campaign_code)
        if not links:
            raise RuntimeError("Không thấy thư trình phê duyệt. / No leader email arrived.")
        approve_all_on_the_page(links[-1], comment)

    return approve_when_paused(campaign_code, answer, now)
