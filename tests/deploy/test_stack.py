"""End to end through the real stack: deployments triggered with `prefect deployment run`, run by
the process worker, mail in a real SMTP server, monitoring seen through the server's API."""

from __future__ import annotations

import base64
import csv
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from deploy.deployments import POOL, SPECS
from notifications.smtp_server import read_mailbox
from tests.deploy.conftest import REFUSED, RunningStack, table_rows, wait_until

SAMPLE = Path(__file__).resolve().parents[2] / "cli" / "sample" / "units.csv"
CODE = "tdkt-2018"
DISPATCH_AT = "2019-01-28T08:00:00+07:00"
INTAKE_AT = "2019-02-20T15:00:00+07:00"
# The deadline is 26/02/2019: one working day later every unit still owing its list is overdue.
REMIND_AT = "2019-02-27T09:00:00+07:00"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_up_starts_server_worker_scheduler_and_registers_typed_deployments(
    stack: RunningStack,
) -> None:
    print(f"\nstack up ({stack.backend}): {stack.report['seconds']} s {stack.report['timings']}")
    pids = stack.report["pids"]
    assert {"server", "worker", "scheduler", "portal"} <= set(pids), stack.report
    assert all(_alive(pid) for pid in pids.values())
    assert stack.report["scheduler"] == "started"
    # The unit portal the emailed links open answers beside the UI.
    assert httpx.get(str(stack.report["portal"])).status_code == 200

    # Basic auth on the API; the UI's static pages stay public (it shows its own login).
    assert httpx.get(f"{stack.api}/deployments/count", timeout=10).status_code == 401
    assert httpx.get(stack.ui, timeout=10, follow_redirects=True).status_code == 200
    settings = stack.get("/admin/settings")
    assert settings["server"]["analytics_enabled"] is False
    assert settings["server"]["api"]["port"] == stack.port

    pool = stack.get(f"/work_pools/{POOL}")
    assert pool["type"] == "process"
    workers = stack.post(f"/work_pools/{POOL}/workers/filter", {})
    assert any(w["status"] == "ONLINE" for w in workers)

    deployments = {
        f"{d['flow_name']}/{d['name']}": d
        for d in stack.post("/deployments/filter", {"limit": 50})
        for d["flow_name"] in [stack.get(f"/flows/{d['flow_id']}")["name"]]
    }
    assert set(deployments) == {spec.full_name for spec in SPECS}
    for name, deployment in deployments.items():
        assert deployment["work_pool_name"] == POOL, name
        assert deployment["schedules"] == [], f"{name} must not carry a Prefect schedule"
        assert deployment["enforce_parameter_schema"] is True
        properties = deployment["parameter_openapi_schema"]["properties"]
        assert properties, f"{name} has no typed parameters"
    dispatch = deployments["dispatch-call/tonvinh"]["parameter_openapi_schema"]
    assert dispatch["required"] == ["campaign_code"]
    assert dispatch["properties"]["campaign_code"]["type"] == "string"
    now = dispatch["properties"]["now"]["anyOf"][0]
    assert now == {"type": "string", "format": "date-time"}
    review = deployments["review-nominations/tonvinh"]["parameter_openapi_schema"]
    assert "ReviewDecision" in review["definitions"]
    # The operator's administration has forms too, labelled in Vietnamese.
    extend = deployments["extend-unit-deadline/tonvinh"]["parameter_openapi_schema"]
    assert extend["required"] == ["campaign_code", "unit_code", "deadline", "reason"]
    assert extend["properties"]["deadline"]["format"] == "date"
    assert extend["properties"]["reason"]["description"] == "Lý do gia hạn (reason)"
    imported = deployments["import-units/tonvinh"]["parameter_openapi_schema"]
    assert imported["required"] == ["csv_content"]


def _units_csv(folder: Path) -> Path:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()[:7]
    path = folder / "units.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _campaign_mail(stack: RunningStack, needle: str = "") -> list[Any]:
    """This campaign's mail (the stack is shared with the other deployment tests' campaigns)
    whose subject holds ``needle``."""
    return [
        m
        for m in read_mailbox(stack.mailbox)
        if f"[{CODE}]" in str(m["Subject"]) and needle in str(m["Subject"])
    ]


@pytest.mark.slow
def test_dispatch_intake_remind_through_deployments(stack: RunningStack, tmp_path: Path) -> None:
    units = _units_csv(tmp_path)
    codes = [row["code"] for row in csv.DictReader(units.open(encoding="utf-8"))]
    stack.tonvinh("units", "import", str(units))
    stack.tonvinh(
        "plan", CODE, "--year", "2018", "--name", "Tôn vinh điển hình tiên tiến năm 2018",
        "--conference-date", "2019-03-29", "--rule-pack", "nd91-2017", "--now", "2019-01-21T09:00",
    )  # fmt: skip

    # An extension from the UI's form: the same service as `tonvinh unit extend`, audited.
    extended = stack.deployment_run(
        "extend-unit-deadline/tonvinh",
        {
            "campaign_code": CODE,
            "unit_code": codes[0],
            "deadline": "2019-03-04",
            "reason": "Đơn vị đang sáp nhập",
            "now": "2019-01-21T10:00:00+07:00",
        },
    )
    assert stack.flow_run(extended)["state_type"] == "COMPLETED"
    status = json.loads(stack.tonvinh("status", CODE, "--json").stdout)
    row = next(r for r in status["rows"] if r["unit_code"] == codes[0])
    assert row["deadline"] == "2019-03-04"

    # The call, through the dispatch deployment, run by the worker.
    run_id = stack.deployment_run(
        "dispatch-call/tonvinh", {"campaign_code": CODE, "now": DISPATCH_AT}
    )
    run = stack.flow_run(run_id)
    assert run["state_type"] == "COMPLETED", run["state"]
    assert run["work_pool_name"] == POOL
    calls = wait_until(
        lambda: len(m := _campaign_mail(stack)) >= len(codes) - 1 and m,
        20,
        "the calls in the mailbox",
    )
    assert len(calls) == len(codes) - 1  # one focal address is refused by the server
    recipients = {m["To"].addresses[0].addr_spec for m in calls}
    assert REFUSED not in recipients
    assert all("Kính gửi" in m.get_body(("plain",)).get_content() for m in calls)

    # The operator sees the units and the failed email in artifacts, not in logs.
    units_table = stack.latest_artifact(f"{CODE}-units")
    assert units_table["type"] == "table"
    assert {row["Mã"] for row in table_rows(units_table)} == set(codes)
    summary = stack.latest_artifact(f"{CODE}-summary")["data"]
    assert "Email gửi lỗi" in summary and REFUSED in summary

    # Two units send their lists; the intake deployment reads them from the worker's disk.
    paths = stack.prepare("lists", CODE, str(tmp_path / "inbox"), *codes[:2])
    stack.deployment_run(
        "intake-submissions/tonvinh", {"campaign_code": CODE, "paths": paths, "now": INTAKE_AT}
    )
    # After the deadline, the four units still owing their list are overdue.
    remind = stack.deployment_run(
        "send-reminders/tonvinh", {"campaign_code": CODE, "now": REMIND_AT}
    )
    assert stack.flow_run(remind)["state_type"] == "COMPLETED"

    # The events arrive at the server (the persister writes them in batches).
    late = set(codes[2:])

    def arrived() -> dict[str, list[dict[str, Any]]] | None:
        names = (
            "tonvinh.campaign.stage",
            "tonvinh.unit.submitted",
            "tonvinh.unit.overdue",
            "tonvinh.campaign.submitted",
            "tonvinh.campaign.overdue",
            "tonvinh.email.failed",
        )
        found: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
        for event in stack.events(*names):
            related = {r["prefect.resource.id"] for r in event.get("related", [])}
            resource = event["resource"]["prefect.resource.id"]
            if f"tonvinh.campaign.{CODE}" in related | {resource} or event["event"].startswith(
                "tonvinh.email"
            ):
                found[event["event"]].append(event)
        overdue = {e["resource"]["prefect.resource.id"] for e in found["tonvinh.unit.overdue"]}
        complete = (
            found["tonvinh.campaign.stage"]
            and len(found["tonvinh.unit.submitted"]) == 2
            and overdue == {f"tonvinh.unit.{c}" for c in late}
            and found["tonvinh.campaign.overdue"]
            and found["tonvinh.email.failed"]
        )
        return found if complete else None

    found = wait_until(arrived, 45, "the tonvinh events at the server", every=1)
    assert found["tonvinh.campaign.stage"][-1]["payload"]["stage"] == "calling"
    assert found["tonvinh.campaign.submitted"][0]["payload"]["count"] == 2
    assert found["tonvinh.campaign.overdue"][0]["payload"]["count"] == len(late)
    failed = found["tonvinh.email.failed"][0]["payload"]
    assert failed["failed"] >= 1 and any(REFUSED in str(m["to"]) for m in failed["latest"])
    # Each stored list has its receipt, sent by the intake run itself.
    receipts = _campaign_mail(stack, "Xác nhận đã nhận")
    assert len(receipts) == 2
    seen = {m["Message-ID"] for m in calls + receipts}
    overdue_mail = [m for m in _campaign_mail(stack) if m["Message-ID"] not in seen]
    assert len(overdue_mail) == len(late) - 1  # the refused unit's notice fails again

    assert "dropping message" not in stack.log("server")


def test_api_needs_the_generated_auth_string(stack: RunningStack) -> None:
    auth_file = (stack.var_dir / "deploy.env").read_text()
    assert f"PREFECT_API_AUTH_STRING={stack.auth}" in auth_file
    assert (stack.var_dir / "deploy.env").stat().st_mode & 0o077 == 0
    token = base64.b64encode(b"admin:wrong").decode()
    denied = httpx.get(
        f"{stack.api}/flow_runs/count", headers={"Authorization": f"Basic {token}"}, timeout=10
    )
    assert denied.status_code == 401
