"""Administration commands: the database, the working-day calendar, the unit register, one
unit's deadline and reminders, and failed mail. Each calls one service in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel
from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError

from cli.common import (
    ActorOpt,
    CampaignArg,
    JsonOpt,
    NowOpt,
    calendar_app,
    console,
    db_app,
    emit,
    err_console,
    mail_app,
    parse_actor,
    parse_date,
    parse_now,
    print_mail_blocked,
    run_operator,
    unit_app,
    units_app,
)
from cli.i18n import t
from documents.nomination_list import read_upload_file
from models.db import session_scope
from models.migrate import upgrade
from models.outbox import OutboxStatus
from models.rules.calendar import vietnam_calendar
from models.settings import get_settings
from notifications.outbox import MailBlocked, mail_blocked
from services.backup import RestoreReport, backup_database, database_unreachable, restore_database
from services.campaigns import holiday_overrides, load_campaign
from services.errors import OperatorError
from services.links import LinkRotated, rotate_link
from services.mail import (
    MailProblems,
    MessageOutcome,
    deliver_and_report,
    mail_problems,
    message_outcomes,
    requeue_check,
)
from services.units import (
    CalendarOverride,
    UnitPart,
    UnitsImported,
    extend_deadline,
    import_units,
    override_calendar_day,
    pause_reminders,
)


@db_app.command(
    "upgrade", help=t("Tạo hoặc nâng cấp cơ sở dữ liệu.", "Create or migrate the database.")
)
def db_upgrade() -> None:
    upgrade()
    console.print(t("Cơ sở dữ liệu đã ở phiên bản mới nhất.", "Database is up to date."))


T = TypeVar("T")
BackupPathArg = Annotated[
    Path, typer.Argument(metavar="PATH", help=t("Tệp sao lưu.", "The backup file."))
]


def _as_it_is(action: Callable[[], T]) -> T:
    """``run_operator`` without its migration first: a backup saves the database as it is (one
    taken before an upgrade must not be upgraded by it), and a restore must work on a database
    that cannot be migrated (damaged, or at a newer revision after a release was rolled back).
    A refusal is the same one line with its code, and exit status 2."""
    try:
        return action()
    except OperatorError as refused:
        err_console.print(
            f"[red]{escape(refused.text(get_settings().lang))}[/red] [dim]({refused.code})[/dim]",
            soft_wrap=True,
        )
        raise typer.Exit(2) from None


def _backup_lines(payload: dict[str, Any], *lines: str) -> None:
    """The report as text: the given lines, where the database is, and what it holds."""
    c = payload["counts"]
    where = (
        "SQLite " + payload["database"] if payload["backend"] == "sqlite" else payload["database"]
    )
    if payload["schema_name"]:
        where += f" (schema {payload['schema_name']})"
    for line in (
        *lines,
        t("Cơ sở dữ liệu", "Database") + f": {where}",
        t("Phiên bản lược đồ", "Schema revision") + f": {payload['revision']}",
        t(
            f"Gồm: {c['campaigns']} đợt thi đua, {c['units']} đơn vị, {c['nominations']} hồ sơ, "
            f"{c['outbox_messages']} thư trong hộp thư đi, {c['audit_events']} sự kiện nhật ký",
            f"Holds: {c['campaigns']} campaigns, {c['units']} units, {c['nominations']} "
            f"nominations, {c['outbox_messages']} outbox messages, {c['audit_events']} audit "
            "events",
        ),
    ):
        console.print(line, soft_wrap=True, markup=False)


@db_app.command(
    "backup",
    help=t(
        "Sao lưu cơ sở dữ liệu vào tệp PATH, nhất quán cả khi hệ thống đang chạy (SQLite: API "
        "sao lưu trực tuyến; PostgreSQL: pg_dump --format=custom). Tệp chỉ chủ sở hữu đọc được "
        "(0600); không ghi đè tệp đã có nếu không có --force.",
        "Back the database up to the file PATH, consistent while the system runs (SQLite: the "
        "online backup API; PostgreSQL: pg_dump --format=custom). The file is owner-only "
        "(0600); an existing file is never replaced without --force.",
    ),
)
def db_backup(
    path: BackupPathArg,
    force: Annotated[
        bool, typer.Option("--force", help=t("Thay tệp đã có.", "Replace an existing file."))
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    def render(payload: dict[str, Any]) -> None:
        size, mode = f"{payload['size_bytes']:,}", payload["mode"]
        _backup_lines(
            payload,
            t(
                f"Đã sao lưu vào {payload['path']} ({size} byte, quyền {mode}).",
                f"Backed up to {payload['path']} ({size} bytes, mode {mode}).",
            ),
        )

    emit(_as_it_is(lambda: backup_database(path, force=force)), as_json, render)


@db_app.command(
    "restore",
    help=t(
        "Khôi phục tệp sao lưu PATH vào cơ sở dữ liệu đang cấu hình, rồi nâng cấp lên phiên bản "
        "lược đồ mới nhất. Từ chối tệp không phải bản sao lưu tonvinh đúng loại, và cơ sở dữ liệu "
        "đang có dữ liệu nếu không có --force. Dừng bộ lập lịch và các worker trước.",
        "Restore the backup file PATH into the configured database, then migrate it to the "
        "newest schema. Refuses a file that is not a tonvinh backup of the right kind, and a "
        "database that holds data without --force. Stop the scheduler and the workers first.",
    ),
)
def db_restore(
    path: BackupPathArg,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help=t("Thay cả dữ liệu đang có.", "Replace the data the database holds."),
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    def action() -> RestoreReport:
        # The scheduler's own lock (it lives with the scheduler, in flows).
        from flows.scheduler import SchedulerLocked, acquire_scheduler_lock

        with ExitStack() as stack:
            try:
                # Held while restoring: no scheduler sends from the outbox meanwhile, and none
                # can start half-way.
                stack.enter_context(acquire_scheduler_lock(get_settings()))
            except SchedulerLocked as held:
                raise OperatorError(
                    "scheduler_running",
                    "Bộ lập lịch đang chạy trên cơ sở dữ liệu này; hãy dừng nó trước khi khôi "
                    "phục (systemctl stop tonvinh-scheduler, hoặc make down).",
                    "The scheduler is running on this database; stop it before restoring "
                    "(systemctl stop tonvinh-scheduler, or make down).",
                    lock=str(held),
                ) from None
            except SQLAlchemyError as exc:
                raise database_unreachable(exc) from None
            return restore_database(path, force=force)

    def render(payload: dict[str, Any]) -> None:
        before, after = payload["backup_revision"], payload["revision"]
        _backup_lines(
            payload,
            t(
                f"Đã khôi phục {payload['path']} (phiên bản lược đồ {before} → {after}"
                + ("; đã thay dữ liệu cũ)." if payload["replaced_data"] else ")."),
                f"Restored {payload['path']} (schema revision {before} → {after}"
                + ("; the data there was replaced)." if payload["replaced_data"] else ")."),
            ),
        )

    emit(_as_it_is(action), as_json, render)


@calendar_app.command(
    "add-working-days",
    help=t(
        "In ngày sau DATE đúng N ngày làm việc (bỏ qua cuối tuần, ngày lễ, Tết).",
        "Print the date N working days after DATE (skips weekends, holidays, Tết).",
    ),
)
def add_working_days(
    start: Annotated[str, typer.Argument(help="YYYY-MM-DD")],
    days: Annotated[int, typer.Argument(help=t("Số ngày làm việc (âm = lùi).", "Working days."))],
    as_json: JsonOpt = False,
) -> None:
    day = parse_date(start, "DATE")
    span = range(day.year - 1 - abs(days) // 200, day.year + 2 + abs(days) // 200)

    def action() -> date:
        with session_scope() as session:
            overrides = holiday_overrides(session)
        return vietnam_calendar(span, overrides).add_working_days(day, days)

    result = run_operator(action)
    if as_json:
        emit({"date": start, "working_days": days, "result": result.isoformat()}, True)
    else:
        print(result.isoformat())


@calendar_app.command(
    "override",
    help=t(
        "Ghi một ngày nghỉ hoặc ngày làm bù mới công bố (thắng lịch của gói holidays).",
        "Record a newly announced day off or make-up working day (wins over the holidays package).",
    ),
)
def calendar_override(
    day: Annotated[str, typer.Argument(help="YYYY-MM-DD")],
    name: Annotated[str, typer.Option(help=t("Tên ngày nghỉ/làm bù.", "Name of the day."))],
    working_day: Annotated[
        bool,
        typer.Option(
            "--working-day/--day-off",
            help=t("Ngày làm bù / ngày nghỉ.", "Make-up working day / day off."),
        ),
    ] = False,
    source: Annotated[str, typer.Option(help=t("Văn bản công bố.", "Announcement."))] = "",
    actor: ActorOpt = "operator",
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    when = parse_date(day, "DATE")
    who, moment = parse_actor(actor), parse_now(now)

    def action() -> CalendarOverride:
        with session_scope() as session:
            return override_calendar_day(
                session,
                when,
                working_day=working_day,
                name=name,
                source=source,
                now=moment,
                actor=who,
            )

    emit(run_operator(action), as_json)


@units_app.command(
    "import",
    help=t(
        "Nhập danh sách đơn vị từ CSV; lỗi ở bất kỳ dòng nào thì không lưu gì.",
        "Import the unit register from CSV; an error in any row saves nothing.",
    ),
)
def units_import(
    path: Annotated[Path, typer.Argument(help=t("Tệp CSV (UTF-8).", "CSV file (UTF-8)."))],
    actor: ActorOpt = "operator",
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    who, moment = parse_actor(actor), parse_now(now)

    def action() -> UnitsImported:
        data = read_upload_file(path, get_settings().list_max_bytes)
        with session_scope() as session:
            return import_units(session, data, path.name, now=moment, actor=who)

    emit(run_operator(action), as_json)


@units_app.command(
    "rotate-link",
    help=t(
        "Thu hồi mọi đường dẫn riêng của một đơn vị (khi lộ đường dẫn) và gửi ngay đường dẫn "
        "mới cho đầu mối qua email; ghi nhật ký kiểm tra.",
        "Revoke every personal link of a unit (when one leaked) and email a fresh one to its "
        "focal contact at once; audited.",
    ),
)
def units_rotate_link(
    campaign: CampaignArg,
    unit: Annotated[str, typer.Argument(help=t("Mã đơn vị.", "Unit code."))],
    reason: Annotated[str, typer.Option(help=t("Lý do.", "Reason."))] = "",
    actor: ActorOpt = "operator",
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    who, moment = parse_actor(actor), parse_now(now)

    def action() -> LinkRotated:
        with session_scope() as session:
            rotated = rotate_link(session, campaign, unit, reason=reason, now=moment, actor=who)
        # Now, not at the scheduler's next delivery: the unit has no working link meanwhile.
        deliver_and_report(moment)
        return rotated

    emit(run_operator(action), as_json)


@unit_app.command(
    "extend",
    help=t(
        "Gia hạn nộp cho một đơn vị; bậc thang nhắc việc tính lại theo hạn mới.",
        "Extend one unit's deadline; the reminder ladder follows the new date.",
    ),
)
def unit_extend(
    campaign: CampaignArg,
    unit: Annotated[str, typer.Argument(help=t("Mã đơn vị.", "Unit code."))],
    deadline: Annotated[
        str,
        typer.Argument(
            help=t(
                "Hạn mới YYYY-MM-DD: một ngày làm việc, không trước hôm nay.",
                "New deadline YYYY-MM-DD: a working day, not before today.",
            )
        ),
    ],
    reason: Annotated[
        str,
        typer.Option(help=t("Lý do gia hạn (bắt buộc).", "Why the extension (required).")),
    ],
    actor: ActorOpt = "operator",
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    new_deadline = parse_date(deadline, "DEADLINE")
    if not reason.strip():
        raise typer.BadParameter(
            t("Cần ghi lý do gia hạn.", "Say why the deadline is extended."),
            param_hint="--reason",
        )
    who, moment = parse_actor(actor), parse_now(now)

    def action() -> UnitPart:
        with session_scope() as session:
            return extend_deadline(
                session, campaign, unit, new_deadline, reason=reason, now=moment, actor=who
            )

    emit(run_operator(action), as_json)


@unit_app.command(
    "pause",
    help=t(
        "Tạm dừng (hoặc --resume: tiếp tục) nhắc việc cho một đơn vị.",
        "Pause (or --resume) one unit's reminders.",
    ),
)
def unit_pause(
    campaign: CampaignArg,
    unit: Annotated[str, typer.Argument(help=t("Mã đơn vị.", "Unit code."))],
    reason: Annotated[str, typer.Option(help=t("Lý do.", "Reason."))] = "",
    resume: Annotated[
        bool, typer.Option("--resume", help=t("Nhắc lại như cũ.", "Resume reminders."))
    ] = False,
    actor: ActorOpt = "operator",
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    who, moment = parse_actor(actor), parse_now(now)

    def action() -> UnitPart:
        with session_scope() as session:
            return pause_reminders(
                session, campaign, unit, paused=not resume, reason=reason, now=moment, actor=who
            )

    emit(run_operator(action), as_json)


def _addresses(values: list[str]) -> str:
    return ", ".join(values) or "—"


def _render_mail_problems(payload: dict[str, Any]) -> None:
    # Whole lines (soft_wrap): an address or a server's answer cut in two cannot be copied.
    print_mail_blocked(payload)
    failed, refused = payload["failed"], payload["partially_refused"]
    console.print(
        t(f"Email gửi lỗi hẳn: {len(failed)}", f"Emails that failed for good: {len(failed)}"),
        style="bold red" if failed else "bold",
    )
    for m in failed:
        console.print(
            f"  #{m['id']} {m['kind']} — {m['unit_code'] or '—'} — "
            + t(f"đã thử {m['attempts']} lần", f"{m['attempts']} attempt(s)"),
            soft_wrap=True,
            markup=False,
        )
        console.print(
            f"      {t('Gửi tới', 'To')}: {_addresses(m['to'])}", soft_wrap=True, markup=False
        )
        if m["cc"]:
            console.print(f"      Cc: {_addresses(m['cc'])}", soft_wrap=True, markup=False)
        console.print(f"      {t('Lỗi', 'Error')}: {m['error']}", soft_wrap=True, markup=False)
    console.print(
        t(
            f"Email có người nhận bị từ chối: {len(refused)}",
            f"Emails some recipient refused: {len(refused)}",
        ),
        style="bold red" if refused else "bold",
    )
    for m in refused:
        console.print(
            f"  #{m['id']} {m['kind']} — {m['unit_code'] or '—'} — "
            + t("đã gửi tới người nhận khác", "sent to the other recipients"),
            soft_wrap=True,
            markup=False,
        )
        for address, answer in m["refused"].items():
            console.print(
                f"      {t('Bị từ chối', 'Refused')}: {address} — {answer}",
                soft_wrap=True,
                markup=False,
            )
    if failed:
        ids = " ".join(str(m["id"]) for m in failed)
        console.print(
            t(
                f"Sửa địa chỉ hoặc máy chủ thư rồi gửi lại: "
                f"tonvinh mail requeue {payload['campaign']} {ids}",
                f"Fix the address or the server, then: "
                f"tonvinh mail requeue {payload['campaign']} {ids}",
            ),
            soft_wrap=True,
            markup=False,
        )


@mail_app.command(
    "failed",
    help=t(
        "Liệt kê email gửi lỗi hẳn (số, loại, đơn vị, người nhận, lỗi, số lần thử) và email "
        "có người nhận bị máy chủ từ chối (ai, vì sao).",
        "List the emails that failed for good (id, kind, unit, recipients, error, attempts) "
        "and those where the server refused some recipient (whom, and why).",
    ),
)
def mail_failed(campaign: CampaignArg, as_json: JsonOpt = False) -> None:
    def action() -> MailProblems:
        with session_scope() as session:
            return mail_problems(session, campaign)

    emit(run_operator(action), as_json, _render_mail_problems)


class RequeueReport(BaseModel):
    campaign: str
    requeued: list[int]
    delivery: dict[str, Any]
    messages: list[MessageOutcome]
    mail_blocked: MailBlocked | None = None  # still held back by a configuration fault


@mail_app.command(
    "requeue",
    help=t(
        "Gửi lại các email gửi lỗi (số lấy từ 'tonvinh mail failed') ngay, qua cùng đường gửi "
        "của các bước; ghi nhật ký kiểm tra. Số không có hoặc không lỗi: không đổi gì. Không "
        "ghi số: thử gửi ngay thư đang chờ sau khi đã sửa cấu hình máy chủ thư.",
        "Send failed emails again (ids from 'tonvinh mail failed') right away, through the "
        "stages' own delivery; audited. An unknown or not-failed id changes nothing. No id: "
        "after fixing the SMTP settings, try the waiting mail now.",
    ),
)
def mail_requeue(
    campaign: CampaignArg,
    ids: Annotated[
        list[int] | None,  # none: try the waiting mail after fixing a configuration fault
        typer.Argument(help=t("Số của thư gửi lỗi.", "Ids of the failed emails.")),
    ] = None,
    actor: ActorOpt = "operator",
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    wanted = sorted(set(ids or []))
    who, moment = parse_actor(actor), parse_now(now)

    def action() -> RequeueReport:
        from flows.monitor import requeue_failed_emails  # a flow run: Prefect loads only here

        with session_scope() as session:
            # Refuses the whole command, changing nothing, if an id is not a failed email of
            # the campaign (the flow checks again: one may have moved meanwhile).
            requeue_check(session, campaign, wanted)
        delivery = requeue_failed_emails(campaign, wanted, who, moment)
        with session_scope() as session:
            messages = message_outcomes(session, wanted)
            # Is mail still held back by a configuration fault? (Only that, not every problem.)
            held = load_campaign(session, campaign)
            blocked = mail_blocked(session, held.id, held.code)
        return RequeueReport(
            campaign=campaign,
            requeued=wanted,
            delivery=delivery.model_dump(),
            messages=messages,
            mail_blocked=blocked,
        )

    def render(payload: dict[str, Any]) -> None:
        outcome = {
            OutboxStatus.SENT: t("đã gửi", "sent"),
            OutboxStatus.FAILED: t("lại gửi lỗi", "failed again"),
            OutboxStatus.PENDING: t(
                "đang chờ, bộ lập lịch sẽ gửi lại", "pending, the scheduler will retry"
            ),
        }
        for m in payload["messages"]:
            line = f"#{m['id']} {m['kind']}: {outcome[OutboxStatus(m['status'])]}"
            if m["error"]:
                line += f" — {m['error']}"
            console.print(line, soft_wrap=True, markup=False)
        print_mail_blocked(payload)

    result = run_operator(action)
    emit(result, as_json, render)
    # An email failed again, or the settings are still wrong: the exit code says so too.
    if result.mail_blocked or any(m.status == OutboxStatus.FAILED for m in result.messages):
        raise typer.Exit(1)
