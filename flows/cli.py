"""`tonvinh`: the operator's command line. It only triggers flows and reads state."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from documents.nomination_list import SubmissionRejected
from flows.common import OperatorError, calendar_for, load_campaign
from flows.i18n import t
from models import audit
from models.clock import resolve, to_vn
from models.council import ApprovalDecision, CouncilMemberCreate, CouncilRole
from models.db import session_scope
from models.migrate import upgrade
from models.outbox import OutboxStatus
from models.rules.calendar import WorkCalendar, format_en_date, format_vn_date, vietnam_calendar

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


@app.callback()
def _private_var() -> None:
    # Issue 16: every file this command creates under var/ (database, outputs, logs) is the
    # owner's only, and what an older version left readable to all is tightened.
    from models.private_files import private_umask, secure_var
    from models.settings import get_settings

    private_umask()
    try:
        settings = get_settings()
    except ValidationError:
        return  # the command itself reports bad settings
    secure_var(settings.var_dir, [settings.effective_database_url])


console = Console()
err_console = Console(stderr=True)
T = TypeVar("T")

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


def run_operator(action: Callable[[], T]) -> T:
    """Run a command; an error the operator can fix is printed plainly, never as a traceback."""
    try:
        upgrade()
        return action()
    except SubmissionRejected as rejected:
        err_console.print(f"[red]{t('Tệp bị từ chối, không lưu gì:', 'File rejected:')}[/red]")
        for error in rejected.errors:
            err_console.print(f"  • {error}")
        raise typer.Exit(2) from None
    except (OperatorError, ValidationError) as problem:
        err_console.print(f"[red]{problem}[/red]")
        raise typer.Exit(2) from None


@db_app.command(
    "upgrade", help=t("Tạo hoặc nâng cấp cơ sở dữ liệu.", "Create or migrate the database.")
)
def db_upgrade() -> None:
    upgrade()
    console.print(t("Cơ sở dữ liệu đã ở phiên bản mới nhất.", "Database is up to date."))


def _overrides() -> list[tuple[date, bool, str]]:
    """The operator's announced changes to the holiday calendar, from the database."""
    from sqlmodel import select

    from models.campaign import HolidayOverride

    upgrade()
    with session_scope() as session:
        return [
            (o.day, o.is_working_day, o.name) for o in session.exec(select(HolidayOverride)).all()
        ]


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
    result = vietnam_calendar(span, _overrides()).add_working_days(day, days)
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
    from models.campaign import HolidayOverride

    when = parse_date(day, "DATE")
    who = parse_actor(actor)
    moment = parse_now(now)

    def action() -> dict[str, Any]:
        with session_scope() as session:
            override = session.get(HolidayOverride, when) or HolidayOverride(
                day=when, is_working_day=working_day, name=name
            )
            override.sqlmodel_update(
                {"is_working_day": working_day, "name": name, "source": source}
            )
            session.add(override)
            audit.record(
                session,
                at=moment,
                actor=who,
                entity="holiday_override",
                entity_id=when.toordinal(),
                action="set",
                to_state="working_day" if working_day else "day_off",
                reason=f"{name} {source}".strip(),
            )
        return {"day": when.isoformat(), "is_working_day": working_day, "name": name}

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
    as_json: JsonOpt = False,
) -> None:
    from flows.units import parse_units_csv, upsert_units

    def action() -> dict[str, int]:
        units = parse_units_csv(path)
        with session_scope() as session:
            created, updated = upsert_units(session, units)
        return {"units": len(units), "created": created, "updated": updated}

    emit(run_operator(action), as_json)


@app.command(
    help=t(
        "Lập kế hoạch: tạo đợt, tính các mốc lùi từ ngày hội nghị theo ngày làm việc.",
        "Plan: create the campaign; deadlines counted back from the conference in working days.",
    )
)
def plan(
    code: Annotated[str, typer.Argument(help=t("Mã đợt, ví dụ tdkt-2018.", "Campaign code."))],
    year: Annotated[int, typer.Option(help=t("Năm thi đua.", "Emulation year."))],
    name: Annotated[str, typer.Option(help=t("Tên đợt.", "Campaign name."))],
    conference_date: Annotated[
        str, typer.Option(help=t("Ngày hội nghị (YYYY-MM-DD).", "Conference date."))
    ],
    rule_pack: Annotated[
        str | None, typer.Option(help=t("Bộ quy định (mặc định theo ngày).", "Rule pack."))
    ] = None,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    from flows.plan import plan_campaign

    day = parse_date(conference_date, "--conference-date")
    moment = parse_now(now)
    emit(
        run_operator(
            lambda: plan_campaign(
                code=code,
                year=year,
                name=name,
                conference_date=day,
                rule_pack=rule_pack,
                now=moment,
            )
        ),
        as_json,
    )


@app.command(
    help=t(
        "Gửi công văn đề nghị kèm mẫu danh sách riêng của từng đơn vị.",
        "Send the call for nominations with each unit's own Excel list.",
    )
)
def dispatch(campaign: CampaignArg, now: NowOpt = None, as_json: JsonOpt = False) -> None:
    from flows.dispatch import dispatch_call

    moment = parse_now(now)
    emit(run_operator(lambda: dispatch_call(campaign, now=moment)), as_json)


@app.command(
    help=t(
        "Nhắc các đơn vị chậm nộp theo bậc thang nhắc việc (chạy tự động theo lịch).",
        "Nudge units that are behind, one ladder step at a time (normally run by the scheduler).",
    )
)
def remind(campaign: CampaignArg, now: NowOpt = None, as_json: JsonOpt = False) -> None:
    from flows.remind import send_reminders

    moment = parse_now(now)
    emit(run_operator(lambda: send_reminders(campaign, now=moment)), as_json)


@app.command(
    help=t(
        "Tiếp nhận danh sách Excel của đơn vị; tệp có lỗi bị từ chối toàn bộ, kèm danh sách lỗi.",
        "Receive units' Excel lists; a file with errors is rejected whole, every error listed.",
    )
)
def intake(
    campaign: CampaignArg,
    files: Annotated[list[Path], typer.Argument(help=t("Tệp Excel của đơn vị.", "Excel lists."))],
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    from flows.intake import intake_submissions

    moment = parse_now(now)
    results = run_operator(
        lambda: intake_submissions(campaign, [str(f) for f in files], now=moment)
    )

    def render(payload: list[dict[str, Any]]) -> None:
        for result in payload:
            colour = {"accepted": "green", "rejected": "red"}.get(result["outcome"], "yellow")
            console.print(
                f"[{colour}]{result['file']}[/{colour}]: {result['outcome']} "
                f"({result['nominations']} {t('hồ sơ', 'nominations')})"
            )
            for error in result["errors"]:
                console.print(f"  • {error}")

    emit(results, as_json, render)
    if any(r.outcome == "rejected" for r in results):
        raise typer.Exit(1)


def _pairs(values: list[str], option: str) -> list[tuple[int, str]]:
    pairs = []
    for value in values:
        number, _, reason = value.partition(":")
        if not number.strip().isdigit():
            raise typer.BadParameter(
                t(f"'{value}': cần dạng SỐ_HỒ_SƠ:LÝ_DO.", f"'{value}': expected ID:REASON."),
                param_hint=option,
            )
        pairs.append((int(number), reason.strip()))
    return pairs


@app.command(
    help=t(
        "Thẩm định: kiểm tra tự động theo bộ quy định và ý kiến của chuyên viên.",
        "Review: automatic checks against the rule pack plus the officer's decisions.",
    )
)
def review(
    campaign: CampaignArg,
    accept: Annotated[
        list[int] | None, typer.Option("--accept", help=t("Số hồ sơ chấp nhận.", "Accept id."))
    ] = None,
    return_: Annotated[
        list[str] | None,
        typer.Option("--return", help=t("Trả lại: SỐ:LÝ_DO.", "Return: ID:REASON.")),
    ] = None,
    reject: Annotated[
        list[str] | None,
        typer.Option("--reject", help=t("Không đủ điều kiện: SỐ:LÝ_DO.", "Reject: ID:REASON.")),
    ] = None,
    reviewer: Annotated[str, typer.Option(help=t("Chuyên viên.", "Officer."))] = "operator",
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    from flows.review import ReviewAction, ReviewDecision, review_nominations

    decisions = [ReviewDecision(nomination_id=i, action=ReviewAction.ACCEPT) for i in accept or []]
    for action, values, option in (
        (ReviewAction.RETURN, return_ or [], "--return"),
        (ReviewAction.REJECT, reject or [], "--reject"),
    ):
        decisions += [
            ReviewDecision(nomination_id=i, action=action, reason=reason)
            for i, reason in _pairs(values, option)
        ]
    moment = parse_now(now)
    emit(
        run_operator(
            lambda: review_nominations(campaign, decisions, now=moment, reviewer=reviewer)
        ),
        as_json,
    )


def _read_csv(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    missing = [c for c in required if rows and c not in rows[0]]
    if missing or not rows:
        raise OperatorError(
            t(
                f"{path.name}: thiếu cột {', '.join(missing) or '(tệp rỗng)'}.",
                f"{path.name}: missing columns {', '.join(missing) or '(empty file)'}.",
            )
        )
    return rows


@app.command(
    help=t(
        "Hội đồng: ghi thành viên và phiếu bầu, kiểm phiếu theo ngưỡng luật định.",
        "Council: record members and ballots, tally by the statutory thresholds.",
    )
)
def council(
    campaign: CampaignArg,
    members: Annotated[
        Path | None,
        typer.Option(help=t("CSV thành viên: name,role,email.", "Members CSV: name,role,email.")),
    ] = None,
    ballots: Annotated[
        Path | None,
        typer.Option(
            help=t(
                "CSV phiếu: nomination_id,member_name,in_favour,in_writing.",
                "Ballots CSV: nomination_id,member_name,in_favour,in_writing.",
            )
        ),
    ] = None,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    from flows.council import BallotInput, council_tally

    def action() -> dict[str, Any]:
        member_rows = [
            CouncilMemberCreate(
                name=r["name"], role=CouncilRole(r.get("role") or "member"), email=r.get("email")
            )
            for r in (_read_csv(members, ("name", "role")) if members else [])
        ]
        ballot_rows = [
            BallotInput(
                nomination_id=int(r["nomination_id"]),
                member_name=r["member_name"],
                in_favour=r["in_favour"].strip().lower() in ("1", "true", "có", "yes", "x"),
                in_writing=(r.get("in_writing") or "").strip().lower()
                in ("1", "true", "có", "yes", "x"),
            )
            for r in (
                _read_csv(ballots, ("nomination_id", "member_name", "in_favour")) if ballots else []
            )
        ]
        return council_tally(campaign, member_rows, ballot_rows, now=parse_now(now))

    emit(run_operator(action), as_json)


@app.command(
    help=t(
        "Phê duyệt danh sách (cùng biểu mẫu tạm dừng như trên giao diện Prefect).",
        "Approve the list (the same paused form as in the Prefect UI).",
    )
)
def approve(
    campaign: CampaignArg,
    approver: Annotated[str, typer.Option(help=t("Người phê duyệt.", "Approver's name."))],
    decision: Annotated[
        ApprovalDecision, typer.Option(help=t("Quyết định.", "Decision."))
    ] = ApprovalDecision.APPROVE,
    exclude: Annotated[
        list[int] | None, typer.Option(help=t("Số hồ sơ loại ra.", "Exclude id."))
    ] = None,
    comment: Annotated[str, typer.Option(help=t("Ý kiến.", "Comment."))] = "",
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    from flows.approve import ApprovalForm, approve_with

    form = ApprovalForm(
        decision=decision, approver=approver, exclude_nomination_ids=exclude or [], comment=comment
    )
    moment = parse_now(now)
    emit(run_operator(lambda: approve_with(campaign, form, now=moment)), as_json)


@app.command(
    help=t(
        "Tôn vinh: dự thảo quyết định (DOCX), danh sách khen thưởng (XLSX), giấy mời.",
        "Honour: draft the decision (DOCX), the honourees list (XLSX), invitations.",
    )
)
def honour(
    campaign: CampaignArg,
    signer: Annotated[str, typer.Option(help=t("Người ký quyết định.", "Signer."))] = "Phan Tâm",
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    from flows.honour import honour_campaign

    moment = parse_now(now)
    emit(run_operator(lambda: honour_campaign(campaign, signer_name=signer, now=moment)), as_json)


@app.command(
    help=t(
        "Tiến độ từng đơn vị: đã nộp, quá hạn, bị trả lại, số lần đã nhắc.",
        "Per-unit progress: submitted, overdue, returned, reminders sent.",
    )
)
def status(campaign: CampaignArg, now: NowOpt = None, as_json: JsonOpt = False) -> None:
    from flows.monitor import STANDING_VI
    from flows.status import campaign_status

    moment = parse_now(now)

    def action() -> Any:
        with session_scope() as session:
            return campaign_status(session, campaign, moment)

    def render(payload: dict[str, Any]) -> None:
        table = Table(title=f"{payload['name']} — {payload['stage']}")
        for column in ("Mã", "Đơn vị", "Tình trạng", "Hạn nộp", "Còn (ngày LV)", "Hồ sơ", "Nhắc"):
            table.add_column(column)
        for row in payload["rows"]:
            table.add_row(
                row["unit_code"],
                row["unit_name"],
                STANDING_VI[row["standing"]],
                format_vn_date(date.fromisoformat(row["deadline"])),
                str(row["working_days_left"]),
                str(row["nominations"]),
                str(row["reminders_sent"]),
            )
        console.print(table)
        console.print(
            t(
                f"Đã nộp {payload['submitted']}/{payload['units']}, quá hạn {payload['overdue']}, "
                f"{payload['nominations']} hồ sơ.",
                f"Submitted {payload['submitted']}/{payload['units']}, overdue "
                f"{payload['overdue']}, {payload['nominations']} nominations.",
            )
        )
        failed, refused = payload["emails_failed"], payload["emails_partially_refused"]
        console.print(
            t(
                f"Email đã gửi {payload['emails_sent']}, gửi lỗi {failed}, "
                f"có người nhận bị từ chối {refused}.",
                f"Emails sent {payload['emails_sent']}, failed {failed}, partly refused {refused}.",
            ),
            style="red" if failed or refused else None,
        )
        if failed or refused:
            console.print(
                t(
                    f"Xem chi tiết: tonvinh mail failed {payload['campaign']}",
                    f"Details: tonvinh mail failed {payload['campaign']}",
                ),
                soft_wrap=True,
            )
        _print_mail_blocked(payload)

    emit(run_operator(action), as_json, render)


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
    emit(
        run_operator(
            lambda: _update_part(campaign, unit, reason.strip(), who, moment, deadline=new_deadline)
        ),
        as_json,
    )


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
    emit(
        run_operator(lambda: _update_part(campaign, unit, reason, who, moment, paused=not resume)),
        as_json,
    )


def deadline_refusal(day: date, today: date, calendar: WorkCalendar) -> str | None:
    """Why ``day`` cannot be a unit's new deadline (Vietnamese, then English), or None.

    A deadline in the past would make the unit overdue at once and fire the ladder's late
    steps; one on a day off could not be met, and the letters would name a holiday.
    """
    if day < today:
        return (
            f"Hạn mới {format_vn_date(day)} đã qua (hôm nay là {format_vn_date(today)}); "
            "không thay đổi gì. / "
            f"The new deadline {format_en_date(day)} is before today ({format_en_date(today)}); "
            "nothing changed."
        )
    if calendar.is_working_day(day):
        return None
    holiday = calendar.holiday_name(day)
    suggestion = calendar.next_working_day(day)
    why_vi = f"ngày nghỉ {holiday}" if holiday else "ngày nghỉ cuối tuần"
    why_en = f"a day off ({holiday})" if holiday else "a weekend day"
    return (
        f"Hạn mới {format_vn_date(day)} là {why_vi}, không phải ngày làm việc; ngày làm việc "
        f"tiếp theo là {format_vn_date(suggestion)} ({suggestion.isoformat()}). "
        "Không thay đổi gì. / "
        f"The new deadline {format_en_date(day)} is {why_en}, not a working day; the next "
        f"working day is {format_en_date(suggestion)} ({suggestion.isoformat()}). "
        "Nothing changed."
    )


def _update_part(
    campaign_code: str,
    unit_code: str,
    reason: str,
    actor: str,
    moment: datetime,
    deadline: date | None = None,
    paused: bool | None = None,
) -> dict[str, Any]:
    from sqlmodel import select

    from models.campaign import CampaignUnit
    from models.unit import Unit

    with session_scope() as session:
        campaign = load_campaign(session, campaign_code)
        row = session.exec(
            select(CampaignUnit, Unit)
            .join(Unit, Unit.id == CampaignUnit.unit_id)  # type: ignore[arg-type]
            .where(CampaignUnit.campaign_id == campaign.id, Unit.code == unit_code)
        ).first()
        if row is None:
            raise OperatorError(
                t(
                    f"Đơn vị '{unit_code}' không có trong đợt {campaign_code}.",
                    f"Unit '{unit_code}' is not in campaign {campaign_code}.",
                )
            )
        part, _unit = row
        assert part.id is not None
        if deadline is not None:
            refusal = deadline_refusal(deadline, moment.date(), calendar_for(session, campaign))
            if refusal is not None:
                raise OperatorError(refusal)
            audit.record(
                session,
                at=moment,
                actor=actor,
                entity="campaign_unit",
                entity_id=part.id,
                campaign_id=campaign.id,
                action="deadline_extended",
                from_state=part.deadline.isoformat(),
                to_state=deadline.isoformat(),
                reason=reason,
            )
            part.deadline = deadline
        if paused is not None:
            audit.record(
                session,
                at=moment,
                actor=actor,
                entity="campaign_unit",
                entity_id=part.id,
                campaign_id=campaign.id,
                action="reminders_paused" if paused else "reminders_resumed",
                reason=reason,
            )
            part.reminders_paused = paused
        session.add(part)
        return {
            "unit": unit_code,
            "deadline": part.deadline.isoformat(),
            "reminders_paused": part.reminders_paused,
        }


def _addresses(values: list[str]) -> str:
    return ", ".join(values) or "—"


def _print_mail_blocked(payload: dict[str, Any]) -> None:
    """Issue 16: the red "Email không gửi được: …" line while no email can leave at all."""
    if payload.get("mail_blocked"):
        line = payload["mail_blocked"]["line"]
        console.print(line, style="bold red", soft_wrap=True, markup=False)


def _render_mail_problems(payload: dict[str, Any]) -> None:
    # Whole lines (soft_wrap): an address or a server's answer cut in two cannot be copied.
    _print_mail_blocked(payload)
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
    from flows.status import mail_problems

    def action() -> Any:
        with session_scope() as session:
            return mail_problems(session, campaign)

    emit(run_operator(action), as_json, _render_mail_problems)


def requeue_refusals(wanted: list[int], found: dict[int, str]) -> list[str]:
    """Why some of ``wanted`` cannot be requeued, one line per id (Vietnamese / English).

    ``found`` maps the campaign's messages among ``wanted`` to their status."""
    problems = []
    for message_id in wanted:
        status = found.get(message_id)
        if status is None:
            problems.append(
                f"Thư số {message_id} không có trong đợt này. / "
                f"Message {message_id} is not in this campaign."
            )
        elif status != OutboxStatus.FAILED:
            problems.append(
                f"Thư số {message_id} không ở trạng thái gửi lỗi (đang: {status}). / "
                f"Message {message_id} has not failed (it is {status})."
            )
    return problems


def _check_requeue(campaign_code: str, wanted: list[int]) -> None:
    """Refuse the whole command, before anything changes, if an id is not a failed message of
    the campaign."""
    from sqlmodel import col, select

    from models.outbox import OutboxMessage

    with session_scope() as session:
        campaign = load_campaign(session, campaign_code)
        statuses = session.exec(
            select(OutboxMessage.id, OutboxMessage.status).where(
                col(OutboxMessage.id).in_(wanted), OutboxMessage.campaign_id == campaign.id
            )
        ).all()
    problems = requeue_refusals(wanted, {int(i): str(st) for i, st in statuses if i is not None})
    if problems:
        raise OperatorError(
            "\n".join([*problems, "Không gửi lại thư nào. / Nothing was requeued."])
        )


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
        list[int] | None,  # none: retry after a configuration fault (issue 16)
        typer.Argument(help=t("Số của thư gửi lỗi.", "Ids of the failed emails.")),
    ] = None,
    actor: ActorOpt = "operator",
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    from flows.common import requeue_failed_emails

    wanted = sorted(set(ids or []))
    who, moment = parse_actor(actor), parse_now(now)

    def action() -> dict[str, Any]:
        from sqlmodel import col, select

        from models.outbox import OutboxMessage
        from notifications.outbox import mail_blocked

        _check_requeue(campaign, wanted)
        delivery = requeue_failed_emails(campaign, wanted, who, moment)
        with session_scope() as session:
            rows = session.exec(
                select(OutboxMessage)
                .where(col(OutboxMessage.id).in_(wanted))
                .order_by(col(OutboxMessage.id))
            ).all()
            messages = [
                {"id": r.id, "kind": r.kind, "status": str(r.status), "error": r.last_error}
                for r in rows
            ]
            # Issue 16: is mail still held back by a configuration fault?
            blocked = mail_blocked(session, load_campaign(session, campaign).id, campaign)
        return {
            "campaign": campaign,
            "requeued": wanted,
            "delivery": delivery,
            "messages": messages,
            "mail_blocked": blocked.model_dump(mode="json") if blocked else None,
        }

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
        _print_mail_blocked(payload)

    result = run_operator(action)
    emit(result, as_json, render)
    if any(m["status"] == OutboxStatus.FAILED for m in result["messages"]):
        raise typer.Exit(1)
    if result["mail_blocked"]:  # the settings are still wrong: say so in the exit code too
        raise typer.Exit(1)


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
    from flows.demo import run_demo

    summary = run_demo(units=units, show_progress=not as_json)
    emit(summary, as_json, _render_demo)


def _render_demo(summary: dict[str, Any]) -> None:
    labels = [
        ("units", t("Đơn vị tham gia", "Units")),
        ("nominations", t("Hồ sơ đề nghị", "Nominations")),
        ("emails_sent", t("Email đã gửi", "Emails sent")),
        ("reminders_sent", t("Thư nhắc hạn", "Reminders")),
        ("escalations", t("Thư báo cáo cấp trên", "Escalations")),
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

    from models.settings import get_settings
    from notifications.scheduler import (
        SchedulerLocked,
        SchedulerLockLost,
        SchedulerRefused,
        SchedulerStatus,
        run_scheduler,
    )

    # Prefect configures logging on import (root at WARNING); basicConfig only covers its absence.
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("apscheduler", "notifications.scheduler", "notifications.outbox"):
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
            )
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
