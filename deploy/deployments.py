"""Every operator-facing flow as a Prefect deployment on one `process` work pool.

`python -m deploy.deployments` (run by `make up`, needs PREFECT_API_URL and, with basic auth,
PREFECT_API_AUTH_STRING) creates the pool if missing and registers or updates the deployments.
The code is loaded from a local source directory (the checkout, by default this one): the
worker's flow-run process starts in that directory and imports the flows by module path.

Parameters are the flows' own typed signatures (enforced by the server), so the UI's "Run" form
shows one field per parameter: dates as date pickers, review decisions and ballots as lists of
typed rows.

No deployment carries a Prefect schedule: reminder timing belongs to the one tonvinh scheduler
process (working days, Tết, per-unit deadlines), which runs the `send-reminders` flow itself at
each ladder step. `send-reminders/tonvinh` exists for an operator's "remind now" from the UI
(the outbox key makes it harmless next to the scheduler). Registration removes any schedule
someone added by hand in the UI.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from uuid import UUID

ROOT = Path(__file__).resolve().parents[1]
POOL = "tonvinh"
DEPLOYMENT = "tonvinh"  # every deployment is "<flow name>/tonvinh"


@dataclass(frozen=True)
class Spec:
    entrypoint: str  # module path of the flow function
    flow_name: str
    description: str

    @property
    def full_name(self) -> str:
        return f"{self.flow_name}/{DEPLOYMENT}"


SPECS: tuple[Spec, ...] = (
    Spec(
        "flows.plan.plan_campaign",
        "plan-campaign",
        "Lập kế hoạch đợt thi đua: các mốc tính lùi từ ngày hội nghị theo ngày làm việc. "
        "(Plan a campaign and enrol the units.)",
    ),
    Spec(
        "flows.dispatch.dispatch_call",
        "dispatch-call",
        "Gửi công văn đề nghị kèm mẫu danh sách riêng của từng đơn vị. "
        "(Send the call with each unit's own Excel list.)",
    ),
    Spec(
        "flows.remind.send_reminders",
        "send-reminders",
        "Nhắc ngay các đơn vị chậm nộp (bậc thang nhắc việc). Lịch nhắc tự động do bộ lập lịch "
        "tonvinh đảm nhiệm. (Remind now, by hand; the tonvinh scheduler owns the timing.)",
    ),
    Spec(
        "flows.intake.intake_submissions",
        "intake-submissions",
        "Tiếp nhận danh sách Excel của đơn vị (đường dẫn trên máy worker). "
        "(Receive units' lists: paths on the worker's host.)",
    ),
    Spec(
        "flows.review.review_nominations",
        "review-nominations",
        "Thẩm định hồ sơ theo bộ quy định và ý kiến của chuyên viên. "
        "(Review against the rule pack and the officer's decisions.)",
    ),
    Spec(
        "flows.council.council_tally",
        "council-tally",
        "Hội đồng: ghi thành viên, phiếu bầu và kiểm phiếu. (Council: members, ballots, tally.)",
    ),
    Spec(
        "flows.council_ballot.convene_council",
        "council-convene",
        "Hội đồng: gửi giấy mời, hồ sơ trình và đường dẫn phiếu kín cho từng thành viên. "
        "(Council: convocation, dossier pack and each member's secret ballot link.)",
    ),
    Spec(
        "flows.council_ballot.close_council_ballot",
        "council-close",
        "Hội đồng: kết thúc bỏ phiếu kín, kiểm phiếu, lập biên bản, gửi kết quả. "
        "(Council: close the secret ballot, tally, minutes, result to members.)",
    ),
    Spec(
        "flows.approve.approve_campaign",
        "approve-campaign",
        "Trình lãnh đạo phê duyệt: lần chạy tạm dừng chờ biểu mẫu (menu ⋮ → Resume). "
        "(Approval: the run waits for the form on its page.)",
    ),
    Spec(
        "flows.honour.honour_campaign",
        "honour-campaign",
        "Tôn vinh: dự thảo quyết định (DOCX, chưa có số) và danh sách khen thưởng (XLSX). "
        "(Honour: draft decision and honourees list; invitations wait for signing.)",
    ),
    Spec(
        "flows.honour.sign_decision_flow",
        "sign-decision",
        "Ghi số và ngày của quyết định đã ký; gửi giấy mời trích số quyết định; kết thúc đợt. "
        "Ngày nghỉ cần lý do. (Record the signed decision's number and date; invitations.)",
    ),
    Spec(
        "flows.committee.import_committee_plan",
        "import-committee-plan",
        "Nhập kế hoạch Ban tổ chức Hội nghị (tệp TOML/CSV trên máy chủ); lỗi ở bất kỳ việc nào "
        "thì không lưu gì. (Import the organising committee's plan; all or nothing.)",
    ),
    Spec(
        "flows.committee.assign_committee_tasks",
        "assign-committee-tasks",
        "Giao việc: gửi mỗi việc cho người phụ trách kèm đường dẫn riêng. "
        "(Email each committee task to its owner with its own link.)",
    ),
    Spec(
        "flows.committee.nudge_committee_tasks",
        "nudge-committee-tasks",
        "Nhắc việc sắp đến hạn hoặc quá hạn; báo Thủ trưởng đơn vị nếu vẫn chưa xong. "
        "(Nudge committee tasks due or late; escalate to the unit head.)",
    ),
    Spec(
        "flows.ceremony.import_ceremony_guests",
        "import-ceremony-guests",
        "Nhập danh sách khách mời Hội nghị biểu dương (tệp CSV trên máy chủ); lỗi ở bất kỳ dòng "
        "nào thì không lưu gì. (Import a conference guest list; all or nothing.)",
    ),
    Spec(
        "flows.ceremony.invite_ceremony_guests",
        "invite-ceremony-guests",
        "Mời người được khen thưởng và khách mời theo sức chứa hội trường (còn lại vào danh sách "
        "chờ), in giấy khen. (Invite up to the hall's capacity; waiting list; certificates.)",
    ),
    Spec(
        "flows.ceremony.remind_ceremony_invitees",
        "remind-ceremony-invitees",
        "Nhắc người được mời chưa trả lời; ngày chốt báo đầu mối đơn vị. (Remind non-responders; "
        "tell the unit's focal person on the cut-off day.)",
    ),
    Spec(
        "flows.admin.import_units_flow",
        "import-units",
        "Nhập danh sách đơn vị: dán nội dung CSV; lỗi ở bất kỳ dòng nào thì không lưu gì. "
        "(Import the unit register from CSV content; all or nothing.)",
    ),
    Spec(
        "flows.admin.import_council_members_flow",
        "import-council-members",
        "Nhập thành viên Hội đồng: dán nội dung CSV; lỗi ở bất kỳ dòng nào thì không lưu gì. "
        "(Import the council's members from CSV content; all or nothing.)",
    ),
    Spec(
        "flows.admin.extend_deadline_flow",
        "extend-unit-deadline",
        "Gia hạn nộp cho một đơn vị (ngày làm việc, không trước hôm nay; cần lý do). "
        "(Extend one unit's deadline.)",
    ),
    Spec(
        "flows.admin.pause_reminders_flow",
        "pause-unit-reminders",
        "Tạm dừng hoặc tiếp tục nhắc việc cho một đơn vị. (Pause or resume one unit's reminders.)",
    ),
    Spec(
        "flows.admin.rotate_link_flow",
        "rotate-unit-link",
        "Thu hồi mọi đường dẫn riêng của một đơn vị và gửi đường dẫn mới qua email. "
        "(Revoke a unit's links and email it a fresh one.)",
    ),
    Spec(
        "flows.admin.override_calendar_flow",
        "override-calendar-day",
        "Ghi ngày nghỉ hoặc ngày làm bù mới công bố. (Record a late holiday announcement.)",
    ),
)


def ensure_pool(pool: str = POOL) -> None:
    """Create the `process` work pool with the worker type's default job template if missing."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(pool)
        except ObjectNotFound:
            client.create_work_pool(
                WorkPoolCreate(
                    name=pool,
                    type="process",
                    description="tonvinh: các giai đoạn của đợt thi đua (campaign stages)",
                    base_job_template=ProcessWorker.get_default_base_job_template(),
                )
            )


def clear_schedules(deployment_ids: list[UUID]) -> int:
    """Delete any Prefect schedule on our deployments: the tonvinh scheduler owns timing."""
    from prefect.client.orchestration import get_client

    removed = 0
    with get_client(sync_client=True) as client:
        for deployment_id in deployment_ids:
            for schedule in client.read_deployment_schedules(deployment_id):
                client.delete_deployment_schedule(deployment_id, schedule.id)
                removed += 1
    return removed


def register(source: Path = ROOT, pool: str = POOL) -> dict[str, str]:
    """Create or update every deployment; returns {"flow/deployment": deployment id}."""
    # An empty schedule list on re-registration clears schedules instead of keeping them.
    os.environ.setdefault("PREFECT_DEPLOYMENTS_CLEAR_SCHEDULES_ON_EMPTY", "true")
    from prefect import deploy
    from prefect.deployments.runner import RunnerDeployment
    from prefect.flows import Flow

    ensure_pool(pool)
    deployments = []
    for spec in SPECS:
        # Both calls are sync here (no event loop); Prefect types them sync-or-async.
        loaded = cast(Flow[..., Any], Flow.from_source(str(source), spec.entrypoint))
        deployment = loaded.to_deployment(
            name=DEPLOYMENT,
            description=spec.description,
            tags=["tonvinh"],
            schedules=[],
            enforce_parameter_schema=True,
        )
        deployments.append(cast(RunnerDeployment, deployment))
    ids = cast(
        list[UUID],
        deploy(
            *deployments,
            work_pool_name=pool,
            build=False,
            push=False,
            print_next_steps_message=False,
            ignore_warnings=True,
        ),
    )
    if len(ids) != len(SPECS):
        raise RuntimeError(f"registered {len(ids)} of {len(SPECS)} deployments")
    clear_schedules(list(ids))
    return {spec.full_name: str(i) for spec, i in zip(SPECS, ids, strict=True)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--source", type=Path, default=ROOT, help="checkout the worker runs from")
    parser.add_argument("--pool", default=POOL, help="process work pool name")
    args = parser.parse_args(argv)
    print(json.dumps(register(args.source.resolve(), args.pool)))


if __name__ == "__main__":
    main()
