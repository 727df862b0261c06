"""Leadership approves in the Prefect UI, in a real browser (Debian's chromium, headless).

The approval deployment suspends its run; the worker is restarted while it waits; a person logs
in with the auth string, reads the campaign's unit table artifact, and approves through the
run's Resume form, typing their name in Vietnamese. The decision lands in our audit log and
the campaign goes on to the honour stage. Screenshots: test-output/screenshots/.
"""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from deploy.stack import children
from models.rules.calendar import vietnam_calendar
from tests.browser import needs_chromium
from tests.deploy.conftest import ROOT, RunningStack, wait_until

CODE = "tdkt-ui"
STACK = [sys.executable, "-m", "deploy.stack"]
APPROVER = "Nguyễn Thị Hồng Vân (Thứ trưởng)"
COMMENT = "Đồng ý khen thưởng theo đề nghị của Hội đồng."

pytestmark = needs_chromium


def _stack_command(stack: RunningStack, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [*STACK, *args, "--json", "--var-dir", str(stack.var_dir), "--port", str(stack.port)],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.slow
def test_approve_in_the_ui_after_a_worker_restart(
    stack: RunningStack, page: Any, screenshots: Path
) -> None:
    prepared = stack.prepare("to-approval", CODE, "6")
    assert prepared["passed"] == 2

    # The approval deployment suspends its run: no process waits for leadership.
    run_id = stack.deployment_run("approve-campaign/tonvinh", {"campaign_code": CODE}, watch=False)
    run = stack.wait_for_state(run_id, "PAUSED", timeout=90)
    assert run["state_name"] == "Suspended"

    # Suspended, the run's process exits: nothing of the approval stays in memory.
    old_worker = stack.report["pids"]["worker"]
    wait_until(lambda: not children(old_worker), 30, "the suspended run's process to exit")
    # The worker restarts while the approval waits (days, in real life).
    stopped = _stack_command(stack, "down", "--only", "worker")
    assert stopped["worker"].startswith("stopped") and "flow-run" not in stopped["worker"]
    restarted = _stack_command(stack, "up", "--no-mail")
    assert restarted["pids"]["worker"] != old_worker
    stack.report["pids"] = restarted["pids"]
    assert stack.flow_run(run_id)["state_name"] == "Suspended"

    # A person logs in with the auth string.
    page.goto(stack.ui)
    page.get_by_placeholder("admin:pass").fill(stack.auth)
    page.get_by_role("button", name="Login").click()
    page.wait_for_url("**/dashboard**")

    # The campaign's unit table, found among the artifacts.
    page.goto(f"{stack.ui}/artifacts")
    page.get_by_text(f"{CODE}-units", exact=True).click()
    page.wait_for_url(f"**/artifacts/key/{CODE}-units")
    page.locator("a[href*='/artifacts/artifact/']").first.click()
    table = page.get_by_role("table")
    table.get_by_text("Vụ Bưu chính").wait_for()
    assert table.get_by_text("Đã nộp").count() == 2
    page.screenshot(path=str(screenshots / "01-units-table.png"), full_page=True)

    # The suspended run's page: ⋮ → Resume shows the list and the typed form.
    page.goto(f"{stack.ui}/runs/flow-run/{run_id}")
    page.get_by_text("Suspended").first.wait_for()
    page.get_by_role("button", name="Open menu").first.click()
    page.get_by_role("menuitem", name="Resume").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Nguyễn Thị Hương").wait_for()
    dialog.get_by_label("Approver").fill(APPROVER)
    dialog.get_by_label("Comment").fill(COMMENT)
    page.screenshot(path=str(screenshots / "02-resume-form.png"), full_page=True)
    dialog.get_by_role("button", name="Resume").click()
    dialog.wait_for(state="hidden")

    # The rescheduled run is picked up by the new worker and records the decision.
    completed = stack.wait_for_state(run_id, "COMPLETED", timeout=120)
    page.reload()
    page.get_by_text("Completed").first.wait_for()
    page.screenshot(path=str(screenshots / "03-approval-completed.png"), full_page=True)
    assert completed["parameters"] == {"campaign_code": CODE}

    recorded = stack.prepare("approvals", CODE)
    assert recorded["stage"] == "approved"
    [approval] = recorded["approvals"]
    assert unicodedata.normalize("NFC", approval["approver"]) == APPROVER
    assert approval["comment"] == COMMENT and approval["decision"] == "approve"
    assert approval["flow_run_id"] == run_id
    [decision] = [e for e in recorded["audit"] if e["action"] == "decision:approve"]
    assert decision["actor"] == approval["approver"]
    assert decision["details"]["flow_run_id"] == run_id

    # And on to the ceremony.
    honour = stack.deployment_run("honour-campaign/tonvinh", {"campaign_code": CODE})
    assert stack.flow_run(honour)["state_type"] == "COMPLETED"
    assert stack.prepare("stage", CODE) == "approved"  # a draft: invitations wait for signing
    signed_on = date.today()  # the stack's clock is the wall clock; the last working day
    calendar = vietnam_calendar([signed_on.year - 1, signed_on.year])
    while not calendar.is_working_day(signed_on):
        signed_on -= timedelta(days=1)
    sign = stack.deployment_run(
        "sign-decision/tonvinh",
        {"campaign_code": CODE, "number": "125/QĐ-BTTTT", "signed_on": signed_on.isoformat()},
    )
    assert stack.flow_run(sign)["state_type"] == "COMPLETED"
    assert stack.prepare("stage", CODE) == "honoured"
    assert list((stack.var_dir / "outputs" / CODE).glob("quyet-dinh-*.docx"))
