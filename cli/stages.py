"""The stage commands, in the campaign's order: plan, dispatch, remind, intake, review, council,
approve, honour, and the campaign's status. Each triggers its flow (or, for status, reads the
service) and prints the flow's typed result."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from cli.common import (
    CampaignArg,
    ForceOpt,
    JsonOpt,
    NowOpt,
    app,
    console,
    emit,
    parse_date,
    parse_now,
    print_mail_blocked,
    run_operator,
)
from cli.council import council_app
from cli.i18n import t
from documents.nomination_list import read_upload_file
from models.council import ApprovalDecision, CouncilMemberCreate, CouncilRole
from models.db import session_scope
from models.rules.calendar import format_vn_date
from models.settings import SignerRole, get_settings
from services.council import BallotInput
from services.errors import OperatorError
from services.intake import IntakeOutcome, IntakeResult, ListError
from services.review import ReviewAction, ReviewDecision
from services.status import CampaignStatus, campaign_status, standing_text

T = TypeVar("T")


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
    update: Annotated[
        bool,
        typer.Option(
            "--update",
            help=t(
                "Lập lại kế hoạch của đợt đã có (tính lại các mốc; ghi nhật ký).",
                "Re-plan an existing campaign (deadlines recomputed; audited).",
            ),
        ),
    ] = False,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    from flows.plan import plan_campaign  # each command loads Prefect only when it runs a flow

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
                update=update,
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
    results: list[IntakeResult] = run_operator(
        lambda: intake_submissions(campaign, [str(f) for f in files], now=moment)
    )

    def render(payload: list[dict[str, Any]]) -> None:
        for result in payload:
            colour = {"accepted": "green", "rejected": "red"}.get(result["outcome"], "yellow")
            console.print(
                f"[{colour}]{escape(result['file'])}[/{colour}]: {result['outcome']} "
                f"({result['nominations']} {t('hồ sơ', 'nominations')})"
            )
            for error in result["errors"]:
                console.print(f"  • {escape(str(ListError(**error)))}", soft_wrap=True)
            if result["more_errors"]:
                more = result["more_errors"]
                console.print(t(f"  … và {more} lỗi khác", f"  … and {more} more errors"))

    emit(results, as_json, render)
    if any(r.outcome == IntakeOutcome.REJECTED for r in results):
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
    force: ForceOpt = None,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    from flows.review import review_nominations

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
            lambda: review_nominations(
                campaign, decisions, now=moment, reviewer=reviewer, force_reason=force
            )
        ),
        as_json,
    )


def _yes(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "có", "yes", "x")


def _member(row: dict[str, str]) -> CouncilMemberCreate:
    return CouncilMemberCreate(
        name=row["name"],
        role=CouncilRole(row.get("role") or "member"),
        email=row.get("email") or None,
    )


def _ballot(line: int, row: dict[str, str]) -> BallotInput:
    return BallotInput(
        nomination_id=int(row["nomination_id"]),
        member_name=row["member_name"],
        in_favour=_yes(row["in_favour"]),
        in_writing=_yes(row.get("in_writing") or ""),
        line=line,
    )


def _csv_row(build: Callable[[dict[str, str]], T], file_name: str, line: int, row: Any) -> T:
    """One CSV row made into what it stands for, or a refusal naming the file and line."""
    try:
        return build(row)
    except (ValueError, KeyError, ValidationError) as exc:
        raise OperatorError(
            "csv_row_invalid",
            f"{file_name}, dòng {line}: giá trị không hợp lệ ({exc}).",
            f"{file_name}, line {line}: invalid value ({exc}).",
            file=file_name,
            line=line,
        ) from None


def _read_csv(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """The rows of a CSV with the line each starts on, as the secretary sees it in an editor
    (the header is line 1), or a refusal naming what is missing."""
    data = read_upload_file(path, get_settings().list_max_bytes)
    try:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
        rows = [(reader.line_num, row) for row in reader]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise OperatorError(
            "csv_unreadable",
            f"{path.name}: không đọc được tệp CSV (cần UTF-8): {exc}.",
            f"{path.name}: not a readable UTF-8 CSV: {exc}.",
            file=path.name,
        ) from None
    missing = [c for c in required if rows and c not in rows[0][1]]
    if missing or not rows:
        raise OperatorError(
            "csv_columns_missing",
            f"{path.name}: thiếu cột {', '.join(missing) or '(tệp rỗng)'}.",
            f"{path.name}: missing columns {', '.join(missing) or '(empty file)'}.",
            file=path.name,
            columns=missing,
        )
    return rows


@council_app.command(
    "tally",
    help=t(
        "Hội đồng: ghi thành viên và phiếu bầu, kiểm phiếu theo ngưỡng luật định.",
        "Council: record members and ballots, tally by the statutory thresholds.",
    ),
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
    force: ForceOpt = None,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    from flows.council import CouncilRun, council_tally

    moment = parse_now(now)

    def action() -> CouncilRun:
        member_rows = (
            [
                _csv_row(_member, members.name, line, row)
                for line, row in _read_csv(members, ("name", "role"))
            ]
            if members
            else []
        )
        ballot_rows = (
            [
                _csv_row(partial(_ballot, line), ballots.name, line, row)
                for line, row in _read_csv(ballots, ("nomination_id", "member_name", "in_favour"))
            ]
            if ballots
            else []
        )
        return council_tally(campaign, member_rows, ballot_rows, now=moment, force_reason=force)

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


class _HonourGroup(TyperGroup):
    """``tonvinh honour CAMPAIGN`` drafts (as it always did); ``tonvinh honour sign CAMPAIGN``
    records the signed decision: a first word that is not a subcommand means ``draft``."""

    # Typer vendors its own Click: its types are private, hence Any.
    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["draft", *args]
        return super().resolve_command(ctx, args)


honour_app = typer.Typer(
    cls=_HonourGroup,
    help=t(
        "Tôn vinh: dự thảo quyết định và danh sách khen thưởng; sau khi ký, ghi số và ngày.",
        "Honour: draft the decision and the honourees list; once signed, record its number.",
    ),
)
app.add_typer(honour_app, name="honour")


@honour_app.command(
    "draft",
    help=t(
        "Dự thảo quyết định (DOCX, 'DỰ THẢO', chưa có số) và danh sách khen thưởng (XLSX). "
        "Giấy mời gửi sau khi ký (tonvinh honour sign).",
        "Draft the decision (DOCX, marked draft, no number) and the honourees list (XLSX). "
        "Invitations go once it is signed (tonvinh honour sign).",
    ),
)
def honour(
    campaign: CampaignArg,
    signer: Annotated[
        str | None,
        typer.Option(
            help=t(
                "Người ký dự kiến (mặc định TONVINH_DEFAULT_SIGNER).",
                "Intended signer (default TONVINH_DEFAULT_SIGNER).",
            )
        ),
    ] = None,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    from flows.honour import honour_campaign

    moment = parse_now(now)
    emit(run_operator(lambda: honour_campaign(campaign, signer_name=signer, now=moment)), as_json)


@honour_app.command(
    "sign",
    help=t(
        "Ghi số và ngày của quyết định đã ký; rồi gửi giấy mời (trích số quyết định) và kết "
        "thúc đợt. Ngày nghỉ bị từ chối trừ khi có --force-reason.",
        "Record the signed decision's number and date; then send the invitations (quoting "
        "it) and close the campaign. A day off is refused unless --force-reason is given.",
    ),
)
def honour_sign(
    campaign: CampaignArg,
    number: Annotated[
        str, typer.Option("--number", help=t("Số quyết định, ví dụ 125/QĐ-BTTTT.", "Number."))
    ],
    signed_on: Annotated[
        str, typer.Option("--date", help=t("Ngày ký (YYYY-MM-DD).", "Signing date."))
    ],
    signer: Annotated[
        str | None,
        typer.Option(help=t("Người ký (mặc định TONVINH_DEFAULT_SIGNER).", "Signer's name.")),
    ] = None,
    role: Annotated[
        SignerRole | None,
        typer.Option(
            help=t(
                "minister: Bộ trưởng ký; deputy: Thứ trưởng ký thay (KT.). Mặc định "
                "TONVINH_SIGNER_ROLE.",
                "minister signs, or a deputy signs for the minister (KT.); default "
                "TONVINH_SIGNER_ROLE.",
            )
        ),
    ] = None,
    force_reason: Annotated[
        str | None,
        typer.Option(
            "--force-reason",
            "--force",
            help=t("Lý do ký vào ngày nghỉ (ghi nhật ký).", "Why a day off (audited)."),
        ),
    ] = None,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    from flows.honour import sign_decision_flow

    day = parse_date(signed_on, "--date")
    moment = parse_now(now)
    emit(
        run_operator(
            lambda: sign_decision_flow(
                campaign,
                number,
                day,
                signer_name=signer,
                signer_role=role,
                force_reason=force_reason,
                now=moment,
            )
        ),
        as_json,
    )


@app.command(
    help=t(
        "Tiến độ từng đơn vị: đã nộp, quá hạn, bị trả lại, số lần đã nhắc.",
        "Per-unit progress: submitted, overdue, returned, reminders sent.",
    )
)
def status(campaign: CampaignArg, now: NowOpt = None, as_json: JsonOpt = False) -> None:
    moment = parse_now(now)

    def action() -> CampaignStatus:
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
                standing_text(row["status"], row["standing"]),
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
        print_mail_blocked(payload)

    emit(run_operator(action), as_json, render)
