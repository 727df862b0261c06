"""`tonvinh demo`: the whole campaign the README promises, from one command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.flows.cli_support import run


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_demo_runs_a_whole_campaign(database: str, tmp_path: Path) -> None:
    result = run("demo", "--json", "--units", "8", env={"TONVINH_VAR_DIR": str(tmp_path / "var")})
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    # Every figure the operator was promised, and where the outputs are.
    promised = {"units", "nominations", "emails_sent", "reminders_sent", "escalations"}
    promised |= {"returned", "approved", "honourees", "outputs", "seconds"}
    promised |= {"receipts_sent", "refusals_sent"}
    promised |= {"portal_uploads", "portal_rejections", "nil_returns", "deadline_extensions"}
    promised |= {"ballots_cast", "recusals", "minutes_docx", "tasks_done", "tasks_overdue"}
    promised |= {"invitations", "rsvp_attending"}
    assert promised <= set(summary)
    assert {"mailbox", "decision_docx", "honourees_xlsx", "database"} <= set(summary["outputs"])
    assert summary["stage"] == "honoured"
    assert summary["units"] == 8
    assert summary["escalations"] >= 1 and summary["returned"] >= 1
    assert summary["honourees"] == summary["approved"] > 0
    # The units answered through the portal: every list it accepted got a receipt; the unit
    # whose first list is malformed read the error table; one unit had nobody to propose.
    assert summary["portal_uploads"] >= 6 and summary["portal_rejections"] == 1
    assert summary["nil_returns"] == 1 and summary["deadline_extensions"] >= 1
    assert summary["receipts_sent"] == summary["portal_uploads"]
    # The council voted through its ballot links (one member on paper) and the minutes exist.
    assert summary["ballots_cast"] == 15 and Path(summary["minutes_docx"]).is_file()
    # The conference: everyone invited, most answered through their RSVP link.
    assert 0 < summary["rsvp_attending"] < summary["invitations"]
    assert summary["mailbox_messages"] == summary["emails_sent"]
    for key in ("decision_docx", "honourees_xlsx", "database"):
        assert Path(summary["outputs"][key]).is_file()
