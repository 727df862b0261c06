"""The leader's page against the real stack (`make up`): the approval deployment suspends its
run (no process waits), the leader's email arrives with a link to the stack's own portal, the
leader approves there, and the server reschedules the run, which a worker finishes: the page
resumed a suspended deployment run exactly as the Prefect UI's Resume form does."""

from __future__ import annotations

import pytest

from cli.demo_leader import approve_all_on_the_page, leader_links
from tests.deploy.conftest import RunningStack, wait_until

CODE = "tdkt-duyet"


@pytest.mark.slow
def test_the_leader_resumes_a_suspended_deployment_run(stack: RunningStack) -> None:
    prepared = stack.prepare("to-approval", CODE, "4")
    assert prepared["passed"] == 2
    run_id = stack.deployment_run("approve-campaign/tonvinh", {"campaign_code": CODE}, watch=False)
    assert stack.wait_for_state(run_id, "PAUSED", timeout=90)["state_name"] == "Suspended"

    [link] = wait_until(lambda: leader_links(stack.mailbox, CODE), 60, "the leader's email")
    assert "/duyet/" in link and ":8030/" not in link  # the stack's own portal
    approver = approve_all_on_the_page(link, "Đồng ý khen thưởng.")

    stack.wait_for_state(run_id, "COMPLETED", timeout=150)
    recorded = stack.prepare("approvals", CODE)
    assert recorded["stage"] == "approved"
    [approval] = recorded["approvals"]
    assert approval["approver"] == approver and approval["flow_run_id"] == run_id
    [decision] = [e for e in recorded["audit"] if e["action"] == "decision:approve"]
    assert decision["actor"] == approver
