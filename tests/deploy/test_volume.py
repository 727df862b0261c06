"""A 10,000-unit campaign's reminder stage through the deployment: every unit overdue, 10,000
emails through the real SMTP server, and the server's event queue never overflows.

(Named to run last: afterwards the test mailbox holds 10,000 more messages.)
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from services.events import UNIT_CODES_PER_EVENT, UNIT_EVENTS_PER_RUN
from tests.deploy.conftest import RunningStack, table_rows, wait_until

CODE = "tdkt-bulk"
UNITS = 10_000
REMIND_AT = "2019-02-27T09:00:00+07:00"  # one working day after the 26/02/2019 deadline


def _maildir_count(mailbox: Path) -> int:
    return sum(1 for _ in (mailbox / "new").iterdir()) + sum(1 for _ in (mailbox / "cur").iterdir())


@pytest.mark.slow
def test_ten_thousand_units_overdue_without_dropping_events(stack: RunningStack) -> None:
    prepared = stack.prepare("bulk-campaign", CODE, str(UNITS))
    units = prepared["units"]
    assert units >= UNITS
    before = _maildir_count(stack.mailbox)

    started = time.monotonic()
    run_id = stack.deployment_run(
        "send-reminders/tonvinh", {"campaign_code": CODE, "now": REMIND_AT}
    )
    seconds = time.monotonic() - started
    run = stack.flow_run(run_id)
    assert run["state_type"] == "COMPLETED"
    sent = _maildir_count(stack.mailbox) - before
    print(f"\n{units} units overdue: reminder stage {seconds:.1f} s, {sent} emails delivered")
    assert sent >= UNITS

    # Everything the run emitted, by event name: a bounded number, whatever the unit count.
    def counted() -> dict[str, int] | None:
        rows = stack.post(
            "/events/count-by/event",
            {"filter": {"any_resource": {"id_prefix": [f"prefect.flow-run.{run_id}"]}}},
        )
        counts = {row["value"]: row["count"] for row in rows}
        done = counts.get("prefect.flow-run.Completed") and counts.get("tonvinh.unit.overdue")
        return counts if done else None

    counts = wait_until(counted, 30, "the run's events", every=1)
    print(f"events of the run: {sum(counts.values())} {counts}")
    assert counts["tonvinh.unit.overdue"] == UNIT_EVENTS_PER_RUN
    assert sum(counts.values()) < 200
    [summary] = [
        e
        for e in stack.events("tonvinh.campaign.overdue")
        if e["resource"]["prefect.resource.id"] == f"tonvinh.campaign.{CODE}"
    ]
    assert summary["payload"]["count"] == units
    assert summary["payload"]["units_truncated"] is True
    assert len(summary["payload"]["units"]) == UNIT_CODES_PER_EVENT

    # The unit table artifact carries every unit; the queue dropped nothing.
    table = stack.latest_artifact(f"{CODE}-units")
    assert len(table_rows(table)) == units
    assert "dropping message" not in stack.log("server")
