"""The long-running and whole-campaign commands: the demo campaign and the one scheduler."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from cli.common import JsonOpt, app, console, emit, err_console, run_operator
from cli.i18n import t


@app.command(
    help=t(
        "Chạy trọn một đợt mẫu (~40 đơn vị) trên đồng hồ nén, máy chủ thư nội bộ, SQLite.",
        "Run a whole sample campaign (~40 units) on a compressed clock, local SMTP server, SQLite.",
    )
)
def demo(
    as_json: JsonOpt = False,
    units: Annotated[int, typer.Option(help=t("Số đơn vị mô phỏng.", "Units."))] = 40,
) -> None:
    from cli.demo import run_demo

    summary = run_demo(units=units, show_progress=not as_json)
    emit(summary, as_json, _render_demo)


def _render_demo(summary: dict[str, Any]) -> None:
    labels = [
        ("units", t("Đơn vị tham gia", "Units")),
        ("nominations", t("Hồ sơ đề nghị", "Nominations")),
        ("emails_sent", t("Email đã gửi", "Emails sent")),
        ("reminders_sent", t("Thư nhắc hạn", "Reminders")),
        ("escalations", t("Thư báo cáo cấp trên", "Escalations")),
        ("receipts_sent", t("Thư xác nhận đã nhận danh sách", "List receipts")),
        ("refusals_sent", t("Thư báo danh sách, hồ sơ không được nhận", "Refusal letters")),
        ("returned", t("Hồ sơ bị trả lại", "Returned")),
        ("approved", t("Được phê duyệt", "Approved")),
        ("honourees", t("Được khen thưởng", "Honourees")),
        ("seconds", t("Thời gian chạy (giây)", "Seconds")),
    ]
    table = Table(title=t("Kết quả đợt thi đua mẫu", "Demo campaign"), show_header=False)
    for key, label in labels:
        table.add_row(label, str(summary[key]))
    console.print(table)
    console.print(t("Kết quả nằm ở:", "Outputs:"))
    for name, path in summary["outputs"].items():
        console.print(f"  {name}: {path}")


@app.command(
    help=t(
        "Chạy bộ lập lịch nhắc việc duy nhất (lưu lịch trong CSDL; chỉ một bộ được chạy).",
        "Run the one reminder scheduler (its plan is kept in the database; only one may run).",
    )
)
def scheduler(
    sync_every: Annotated[
        int | None,
        typer.Option(
            "--sync-every",
            min=1,
            help=t(
                "Đọc lại kế hoạch nhắc việc mỗi N phút (đơn vị nộp, gia hạn, tạm dừng); "
                "mặc định TONVINH_SCHEDULER_SYNC_EVERY_MINUTES hoặc 15.",
                "Re-plan the reminders every N minutes (submissions, extensions, pauses); "
                "default TONVINH_SCHEDULER_SYNC_EVERY_MINUTES or 15.",
            ),
        ),
    ] = None,
    deliver_every: Annotated[
        int | None,
        typer.Option(
            "--deliver-every",
            min=1,
            help=t(
                "Gửi lại thư đang chờ mỗi N phút (lỗi máy chủ thư tạm thời); "
                "mặc định TONVINH_SCHEDULER_DELIVER_EVERY_MINUTES hoặc 5.",
                "Deliver pending mail every N minutes (transient SMTP failures); "
                "default TONVINH_SCHEDULER_DELIVER_EVERY_MINUTES or 5.",
            ),
        ),
    ] = None,
) -> None:
    import logging

    from flows.scheduler import (
        SchedulerLocked,
        SchedulerLockLost,
        SchedulerRefused,
        SchedulerStatus,
        run_scheduler,
    )
    from models.settings import get_settings

    # Prefect configures logging on import (root at WARNING); basicConfig only covers its absence.
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("apscheduler", "flows.scheduler", "notifications.outbox"):
        logging.getLogger(name).setLevel(logging.INFO)

    def ready(status: SchedulerStatus) -> None:
        next_run = status.next_run.isoformat() if status.next_run else "—"
        console.print(
            t(
                f"Bộ lập lịch đã sẵn sàng: {status.reminder_jobs} lần nhắc đã lên lịch, "
                f"lần tới {next_run}; khóa {status.lock}.",
                f"Scheduler ready: {status.reminder_jobs} reminder runs planned, next at "
                f"{next_run}; lock {status.lock}.",
            )
        )
        sys.stdout.flush()

    try:
        run_operator(
            lambda: run_scheduler(
                get_settings(),
                sync_every_minutes=sync_every,
                deliver_every_minutes=deliver_every,
                on_ready=ready,
            ),
            passthrough=(SchedulerRefused, SchedulerLockLost),
        )
    except SchedulerLocked as locked:
        err_console.print(f"[red]{locked}[/red]")
        raise typer.Exit(3) from None
    except SchedulerRefused as refused:
        err_console.print(f"[red]{refused}[/red]")
        raise typer.Exit(2) from None
    except SchedulerLockLost as lost:
        err_console.print(f"[red]{lost}[/red]")
        raise typer.Exit(4) from None
    console.print(t("Bộ lập lịch đã dừng.", "Scheduler stopped."))
