"""`tonvinh tasks`: the organising committee's plan for the ceremony.

``tonvinh tasks CAMPAIGN`` shows progress, late tasks and the critical path (``--json``);
``import``, ``assign``, ``nudge`` run the flows (which deliver and publish the plan's artifact);
``extend`` is the department's answer to a request for more time."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from cli.common import (
    ActorOpt,
    CampaignArg,
    JsonOpt,
    NowOpt,
    app,
    console,
    emit,
    parse_actor,
    parse_date,
    parse_now,
    run_operator,
)
from cli.i18n import t
from models.committee import TASK_STATUS_EN, TASK_STATUS_VI, TaskStatus
from models.db import session_scope
from models.settings import get_settings
from services.committee import decide_extension
from services.committee_status import PlanStatus, plan_status


class _StatusByDefault(TyperGroup):
    """``tonvinh tasks CAMPAIGN`` is ``tonvinh tasks status CAMPAIGN``: a campaign code is not
    a command name, so anything else than a command is taken as the status's argument."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # click.Context
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["status", *args]
        return super().parse_args(ctx, args)


tasks_app = typer.Typer(
    cls=_StatusByDefault,
    no_args_is_help=True,
    help=t(
        "Kế hoạch Ban tổ chức Hội nghị: tiến độ, việc quá hạn, đường găng; nhập, giao, nhắc, "
        "gia hạn.",
        "The organising committee's plan: progress, late tasks, critical path; import, assign, "
        "nudge, extend.",
    ),
)
app.add_typer(tasks_app, name="tasks")


def _render_status(payload: dict[str, Any]) -> None:
    english = get_settings().lang == "en"
    names = TASK_STATUS_EN if english else TASK_STATUS_VI
    console.print(
        t(
            f"[bold]{payload['campaign']}[/bold]: đã xong {payload['done']}/{payload['total']} "
            f"việc; hội nghị {payload['conference_date']}",
            f"[bold]{payload['campaign']}[/bold]: {payload['done']}/{payload['total']} done; "
            f"conference {payload['conference_date']}",
        )
    )
    for task in payload["tasks"]:
        mark = (
            "[red]●[/red]"
            if task["late"]
            else ("[green]✓[/green]" if task["status"] == "done" else "·")
        )
        critical = t(" [bold]găng[/bold]", " [bold]critical[/bold]") if task["critical"] else ""
        console.print(
            f"{mark} {escape(task['key'])}: {escape(task['title'])} — {escape(task['owner'])}, "
            f"{t('hạn', 'due')} {task['due_on']}, {names[TaskStatus(task['status'])]}{critical}",
            soft_wrap=True,
        )
    for task in payload["tasks"]:  # what the department has to answer
        if task["status"] == "problem" and task["problem"]:
            label = t("Vướng mắc", "Problem")
            console.print(f"  {label} {escape(task['key'])}: {escape(task['problem'])}")
        if task["extension_until"]:
            label = t("Xin gia hạn đến", "More time asked until")
            console.print(
                f"  {label} {task['extension_until']}: {escape(task['key'])} — "
                f"tonvinh tasks extend {escape(payload['campaign'])} {escape(task['key'])} …"
            )
    late = ", ".join(payload["late"]) or "—"
    console.print(f"[bold]{t('Quá hạn', 'Late')}:[/bold] {escape(late)}")
    console.print(
        f"[bold]{t('Đường găng', 'Critical path')}:[/bold] "
        + escape(" → ".join(payload["critical_path"]) or "—")
    )


@tasks_app.command(
    "status",
    help=t(
        "Tiến độ kế hoạch: việc đã xong, quá hạn, có vướng mắc, xin gia hạn, và đường găng.",
        "The plan's progress: done, late, problems, extension requests, and the critical path.",
    ),
)
def tasks_status(campaign: CampaignArg, now: NowOpt = None, as_json: JsonOpt = False) -> None:
    moment = parse_now(now)

    def action() -> PlanStatus:
        with session_scope() as session:
            return plan_status(session, campaign, moment)

    emit(run_operator(action), as_json, _render_status)


@tasks_app.command(
    "import",
    help=t(
        "Nhập kế hoạch từ tệp TOML hoặc CSV; lỗi ở bất kỳ việc nào thì không lưu gì. Nhập lại "
        "cùng tệp không đổi gì; tệp đã sửa cập nhật các việc chưa xong (ghi nhật ký).",
        "Import the plan from a TOML or CSV file; any error saves nothing. The same file again "
        "changes nothing; an edited one updates the tasks not done (audited).",
    ),
)
def tasks_import(
    campaign: CampaignArg,
    file: Annotated[Path, typer.Argument(help=t("Tệp kế hoạch.", "The plan file."))],
    actor: ActorOpt = "operator",
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    from flows.committee import import_committee_plan

    who, moment = parse_actor(actor), parse_now(now)
    path = str(file.resolve())
    emit(
        run_operator(lambda: import_committee_plan(campaign, path, actor=who, now=moment)),
        as_json,
    )


@tasks_app.command(
    "assign",
    help=t(
        "Gửi mỗi việc cho người phụ trách, kèm đường dẫn riêng để báo xong, vướng mắc, gia hạn.",
        "Email each task to its owner with its own link to report done, a problem, more time.",
    ),
)
def tasks_assign(
    campaign: CampaignArg,
    actor: ActorOpt = "operator",
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    from flows.committee import assign_committee_tasks

    who, moment = parse_actor(actor), parse_now(now)
    emit(run_operator(lambda: assign_committee_tasks(campaign, actor=who, now=moment)), as_json)


@tasks_app.command(
    "nudge",
    help=t(
        "Nhắc người phụ trách việc sắp đến hạn hoặc quá hạn; báo Thủ trưởng đơn vị nếu vẫn "
        "chưa xong.",
        "Nudge the owners of tasks due or late; escalate to the unit head if still not done.",
    ),
)
def tasks_nudge(campaign: CampaignArg, now: NowOpt = None, as_json: JsonOpt = False) -> None:
    from flows.committee import nudge_committee_tasks

    moment = parse_now(now)
    emit(run_operator(lambda: nudge_committee_tasks(campaign, now=moment)), as_json)


@tasks_app.command(
    "extend",
    help=t(
        "Gia hạn một việc đến ngày --until (ngày làm việc, không muộn hơn ngày hội nghị), hoặc "
        "--refuse để từ chối đề nghị gia hạn; cần lý do; ghi nhật ký.",
        "Move a task's due to --until (a working day, no later than the conference), or "
        "--refuse its extension request; a reason is required; audited.",
    ),
)
def tasks_extend(
    campaign: CampaignArg,
    task: Annotated[str, typer.Argument(help=t("Mã việc.", "Task key."))],
    reason: Annotated[str, typer.Option("--reason", help=t("Lý do.", "Why."))],
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            help=t(
                "Hạn mới (YYYY-MM-DD); bỏ trống là ngày người phụ trách đề nghị.",
                "New due (YYYY-MM-DD); empty: the day the owner asked for.",
            ),
        ),
    ] = None,
    refuse: Annotated[
        bool, typer.Option("--refuse", help=t("Từ chối đề nghị.", "Refuse the request."))
    ] = False,
    actor: ActorOpt = "operator",
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    who, moment = parse_actor(actor), parse_now(now)
    day = parse_date(until, "--until") if until else None

    def action() -> dict[str, Any]:
        with session_scope() as session:
            row = decide_extension(
                session,
                campaign,
                task,
                grant=not refuse,
                until=day,
                reason=reason,
                now=moment,
                actor=who,
            )
            return {"task": row.key, "status": str(row.status), "due_on": row.due_on.isoformat()}

    emit(run_operator(action), as_json)
