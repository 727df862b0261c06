"""What every command shares: the Typer apps, options, parsing of outside input, and printing
(one JSON object with --json; otherwise text in the operator's language)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape

from cli.i18n import t
from documents.nomination_list import SubmissionRejected
from models.clock import resolve, to_vn
from models.migrate import upgrade
from models.settings import get_settings
from services.errors import OperatorError

app = typer.Typer(
    help=t(
        "tonvinh — điều hành đợt thi đua, khen thưởng: lập kế hoạch, gửi công văn, nhắc hạn, "
        "tiếp nhận, thẩm định, Hội đồng, phê duyệt, tôn vinh.",
        "tonvinh — run the emulation and commendation campaign: plan, call, remind, intake, "
        "review, council, approval, honour.",
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
)
calendar_app = typer.Typer(help=t("Lịch ngày làm việc Việt Nam.", "Vietnamese working days."))
units_app = typer.Typer(help=t("Danh sách đơn vị của Bộ.", "The ministry's units."))
db_app = typer.Typer(help=t("Cơ sở dữ liệu.", "Database."))
unit_app = typer.Typer(help=t("Hạn nộp và nhắc việc của một đơn vị.", "One unit's deadline."))
mail_app = typer.Typer(
    help=t(
        "Email gửi lỗi: xem và gửi lại sau khi sửa địa chỉ hoặc máy chủ thư.",
        "Emails that failed: list them, and send them again after fixing an address or server.",
    )
)
app.add_typer(calendar_app, name="calendar")
app.add_typer(units_app, name="units")
app.add_typer(db_app, name="db")
app.add_typer(unit_app, name="unit")
app.add_typer(mail_app, name="mail")


# Set by --debug: the full traceback of a failure and Prefect's run logs on the console.
_debug = False


# Long-running services whose own log lines (on the console) are their record.
_SERVICES = {"scheduler", "portal"}


@app.callback()
def _before_every_command(
    context: typer.Context,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help=t(
                "In đầy đủ nhật ký Prefect và traceback khi có lỗi.",
                "Show Prefect's run logs and the full traceback of a failure.",
            ),
        ),
    ] = False,
) -> None:
    global _debug
    _debug = debug
    if not debug and context.invoked_subcommand not in _SERVICES and "prefect" not in sys.modules:
        # A refusal is one line of ours, not Prefect's traceback of the task that raised it;
        # the run's logs still reach the Prefect server.
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    # Every file a command creates under var/ (database, outputs, logs) is the owner's only, and
    # what an older version left readable to all is tightened.
    from models.private_files import private_umask, secure_var

    private_umask()
    try:
        settings = get_settings()
    except ValidationError:
        return  # the command itself reports bad settings
    secure_var(settings.var_dir, [settings.effective_database_url])


console = Console()
err_console = Console(stderr=True)


def print_mail_blocked(payload: dict[str, Any]) -> None:
    """The red "Email không gửi được: …" line while no email can leave at all."""
    if payload.get("mail_blocked"):
        line = payload["mail_blocked"]["line"]
        console.print(line, style="bold red", soft_wrap=True, markup=False)


T = TypeVar("T")

ForceOpt = Annotated[
    str | None,
    typer.Option(
        "--force",
        help=t(
            "Vẫn làm dù điều kiện trước chưa đủ (ví dụ thẩm định trước hạn khi còn đơn vị chưa "
            "nộp); cần ghi lý do, lý do được ghi vào nhật ký.",
            "Go ahead although a precondition does not hold (e.g. review before the deadline "
            "with units missing); give the reason, which goes into the audit log.",
        ),
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help=t("In kết quả dạng JSON.", "Print JSON."))]
CampaignArg = Annotated[str, typer.Argument(help=t("Mã đợt thi đua.", "Campaign code."))]
NowOpt = Annotated[
    str | None,
    typer.Option(
        "--now",
        help=t(
            "Thời điểm coi là 'bây giờ' (YYYY-MM-DDTHH:MM, giờ Việt Nam).",
            "Moment taken as 'now' (YYYY-MM-DDTHH:MM, Vietnam time).",
        ),
    ),
]
ActorOpt = Annotated[
    str,
    typer.Option(
        "--actor",
        help=t("Người thực hiện, ghi vào nhật ký kiểm tra.", "Who does it, for the audit log."),
    ),
]


def parse_actor(value: str) -> str:
    """The audit log's "who": never blank, since a blank actor says nothing afterwards."""
    actor = value.strip()
    if not actor:
        raise typer.BadParameter(
            t("Cần ghi tên người thực hiện.", "Say who does it."), param_hint="--actor"
        )
    return actor


def parse_date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            t(
                f"'{value}' không phải ngày hợp lệ; dùng dạng YYYY-MM-DD (ví dụ 2027-02-03).",
                f"'{value}' is not a valid date; use YYYY-MM-DD (e.g. 2027-02-03).",
            ),
            param_hint=field,
        ) from None


def parse_now(value: str | None) -> datetime:
    if value is None:
        return resolve(None)
    try:
        return to_vn(datetime.fromisoformat(value))
    except ValueError:
        raise typer.BadParameter(
            t(
                f"'{value}' không phải thời điểm hợp lệ; dùng YYYY-MM-DDTHH:MM.",
                f"'{value}' is not a valid moment; use YYYY-MM-DDTHH:MM.",
            ),
            param_hint="--now",
        ) from None


def emit(payload: Any, as_json: bool, render: Callable[[Any], None] | None = None) -> None:
    """One JSON object on stdout with --json; otherwise a human rendering."""
    if isinstance(payload, BaseModel):
        payload = payload.model_dump(mode="json")
    elif isinstance(payload, list):
        payload = [p.model_dump(mode="json") if isinstance(p, BaseModel) else p for p in payload]
    if as_json:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")
    elif render is not None:
        render(payload)
    else:
        for key, value in payload.items():
            _print_field(str(key), value)


def _print_field(key: str, value: Any, depth: int = 0) -> None:
    """``key: value``; a mapping as indented fields, a list as bullets (never a Python repr).

    Values are printed as text, not rich markup: a subject such as "[tdkt-2027] …" stays whole.
    """
    pad = "  " * depth
    label = f"{pad}[bold]{escape(key)}[/bold]:"
    if isinstance(value, dict):
        console.print(label if value else f"{label} —")
        for inner_key, inner in value.items():
            _print_field(str(inner_key), inner, depth + 1)
    elif isinstance(value, list):
        console.print(label if value else f"{label} —")
        for item in value:
            if isinstance(item, dict):
                item = ", ".join(f"{k}: {v}" for k, v in item.items())
            console.print(f"{pad}  • {escape(str(item))}")
    else:
        console.print(f"{label} {escape(str(value))}")


def _validation_text(problem: ValidationError) -> str:
    """A wrong TONVINH_ variable named as the operator set it (pydantic names the field), never
    with its value (a database URL holds a password); another model's error as pydantic says it."""
    if problem.title != "Settings":
        return str(problem)
    lines = [t("Cấu hình sai (biến môi trường):", "Wrong setting (environment variable):")]
    for error in problem.errors():
        name = "TONVINH_" + "_".join(str(part) for part in error["loc"]).upper()
        lines.append(f"  • {name}: {error['msg']}")
    return "\n".join(lines)


def run_operator(action: Callable[[], T], passthrough: tuple[type[BaseException], ...] = ()) -> T:
    """Run a command; an error the operator can fix is printed plainly, never as a traceback:
    the reason in the operator's language with its code, and exit status 2. ``passthrough``:
    exceptions the command reports itself."""
    reported_elsewhere: tuple[type[BaseException], ...] = (typer.Exit, typer.Abort, *passthrough)
    try:
        upgrade()
        return action()
    except reported_elsewhere:
        raise
    except SubmissionRejected as rejected:
        err_console.print(f"[red]{t('Tệp bị từ chối, không lưu gì:', 'File rejected:')}[/red]")
        for line in rejected.lines():  # the first problems, then how many more
            err_console.print(f"  • {escape(line)}", soft_wrap=True)
        raise typer.Exit(2) from None
    except OperatorError as refused:
        err_console.print(
            f"[red]{escape(refused.text(get_settings().lang))}[/red] [dim]({refused.code})[/dim]",
            soft_wrap=True,
        )
        raise typer.Exit(2) from None
    except ValidationError as problem:
        err_console.print(f"[red]{escape(_validation_text(problem))}[/red]", soft_wrap=True)
        raise typer.Exit(2) from None
    except Exception as failure:
        if _debug:
            raise
        err_console.print(
            t(
                f"[red]Lỗi không mong đợi: {escape(type(failure).__name__)}: "
                f"{escape(str(failure))}[/red] — chạy lại với --debug để xem chi tiết.",
                f"[red]Unexpected failure: {escape(type(failure).__name__)}: "
                f"{escape(str(failure))}[/red] — run again with --debug for the details.",
            ),
            soft_wrap=True,
        )
        raise typer.Exit(1) from None
