"""The long-running and whole-campaign commands: the demo campaign, the one scheduler and the
unit portal."""

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
                "mặc định TONVINH_SCHEDULER_DELIVER_EVERY_MINUTES hoặc 1.",
                "Deliver pending mail every N minutes (transient SMTP failures); "
                "default TONVINH_SCHEDULER_DELIVER_EVERY_MINUTES or 1.",
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


@app.command(
    help=t(
        "Chạy cổng nộp hồ sơ của đơn vị (mỗi đơn vị qua đường dẫn riêng trong thư).",
        "Run the unit portal (each unit comes in through the personal link in its emails).",
    )
)
def portal(
    host: Annotated[
        str | None,
        typer.Option(help=t("Địa chỉ lắng nghe (mặc định TONVINH_PORTAL_HOST).", "Host.")),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help=t("Cổng (mặc định TONVINH_PORTAL_PORT hoặc 8030).", "Port.")),
    ] = None,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            help=t(
                "Địa chỉ reverse proxy được tin cậy cho X-Forwarded-* (mặc định 127.0.0.1).",
                "Reverse proxy addresses trusted for X-Forwarded-* (default 127.0.0.1).",
            ),
        ),
    ] = None,
    processes: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=32,
            help=t(
                "Số tiến trình phục vụ (mặc định TONVINH_PORTAL_PROCESSES hoặc 1; máy bận: bằng "
                "số lõi CPU; chỉ với PostgreSQL).",
                "Serving processes (default TONVINH_PORTAL_PROCESSES or 1; a busy host: its "
                "number of cores; PostgreSQL only).",
            ),
        ),
    ] = None,
) -> None:
    from models.migrate import upgrade
    from models.settings import get_settings
    from portal.server import serve

    settings = get_settings()
    address = host or settings.portal_host
    number = port or settings.portal_port
    workers = processes or settings.portal_processes
    if workers > 1 and settings.effective_database_url.startswith("sqlite"):
        # Two uploads of one unit are serialised inside one process; across processes only
        # PostgreSQL's row lock does it.
        err_console.print(
            t(
                f"[red]Với SQLite, cổng chỉ chạy một tiến trình (đang đặt {workers}): bỏ "
                "--processes / TONVINH_PORTAL_PROCESSES, hoặc dùng PostgreSQL.[/red]",
                f"[red]With SQLite the portal runs one process ({workers} asked): drop "
                "--processes / TONVINH_PORTAL_PROCESSES, or use PostgreSQL.[/red]",
            )
        )
        raise typer.Exit(2)
    run_operator(upgrade)
    console.print(
        t(
            f"Cổng nộp hồ sơ: http://{address}:{number}/ — đường dẫn trong thư: "
            f"{settings.submission_base_url}/…",
            f"Unit portal: http://{address}:{number}/ — links in emails: "
            f"{settings.submission_base_url}/…",
        ),
        soft_wrap=True,
    )
    sys.stdout.flush()
    serve(
        address,
        number,
        forwarded_allow_ips=forwarded_allow_ips,
        workers=workers,
    )
