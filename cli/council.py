"""``tonvinh council …``: the council's secret e-ballot from the secretary's command line.

``council members import`` (the membership CSV), ``council convene`` (convocation: meeting,
dossier pack, ballot links), ``council remind`` (members who have not voted), ``council
paper-ballot`` (absent members' paper ballots), ``council close`` (close and tally; idempotent).
``council tally`` is the typed path (members and ballots from CSV files, no e-ballot), and
``tonvinh council CAMPAIGN --members … --ballots …`` still means it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlmodel import Session
from typer._click import Context  # typer 0.29 vendors click: its own Context type
from typer.core import TyperGroup

from cli.common import (
    ActorOpt,
    CampaignArg,
    ForceOpt,
    JsonOpt,
    NowOpt,
    app,
    emit,
    parse_actor,
    parse_now,
    run_operator,
)
from cli.i18n import t
from documents.nomination_list import read_upload_file
from models.db import session_scope
from models.settings import get_settings
from services.council_members import import_members
from services.council_vote import (
    enter_paper_ballots,
    remind_non_voters,
)
from services.mail import deliver_and_report

FileArg = Annotated[Path, typer.Argument(help=t("Tệp CSV (UTF-8).", "CSV file (UTF-8)."))]


class TallyByDefault(TyperGroup):
    """``council CAMPAIGN …`` (no subcommand) is ``council tally CAMPAIGN …``, as before."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["tally", *args]
        return super().parse_args(ctx, args)


# A service taking (session, campaign, file bytes, file name, now, actor), returning a count.
FileService = Callable[[Session, str, bytes, str, datetime, str], int]


def _with_file(
    campaign: str,
    path: Path,
    actor: str,
    now: str | None,
    as_json: bool,
    label: str,
    service: FileService,
) -> None:
    """Read the operator's file and hand it to ``service`` in one transaction."""
    who, moment = parse_actor(actor), parse_now(now)

    def action() -> dict[str, Any]:
        data = read_upload_file(path, get_settings().list_max_bytes)
        with session_scope() as session:
            return {label: service(session, campaign, data, path.name, moment, who)}

    emit(run_operator(action), as_json)


council_app = typer.Typer(
    cls=TallyByDefault,
    help=t(
        "Hội đồng Thi đua - Khen thưởng: thành viên, giấy mời và phiếu kín, kiểm phiếu.",
        "The council: members, convocation and secret ballot, the tally.",
    ),
)
members_app = typer.Typer(help=t("Thành viên Hội đồng.", "Council members."))
council_app.add_typer(members_app, name="members")
app.add_typer(council_app, name="council")


@members_app.command(
    "import",
    help=t(
        "Nhập thành viên từ CSV (name,position,unit_code,email,role); lỗi ở bất kỳ dòng nào "
        "thì không lưu gì.",
        "Import members from CSV (name,position,unit_code,email,role); any error saves nothing.",
    ),
)
def members_import(
    campaign: CampaignArg,
    path: FileArg,
    actor: ActorOpt = "operator",
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    _with_file(campaign, path, actor, now, as_json, "added", import_members)


@council_app.command(
    "convene",
    help=t(
        "Gửi giấy mời họp, hồ sơ trình Hội đồng và đường dẫn phiếu kín cho từng thành viên.",
        "Send each member the convocation, the dossier pack and their secret ballot link.",
    ),
)
def council_convene(
    campaign: CampaignArg,
    early: Annotated[
        bool, typer.Option(help=t("Gửi trước ngày dự kiến.", "Send before the due day."))
    ] = False,
    force: ForceOpt = None,
    actor: ActorOpt = "operator",
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    from flows.council_ballot import ConvocationRun, convene_council

    who, moment = parse_actor(actor), parse_now(now)

    def action() -> ConvocationRun:
        return convene_council(campaign, now=moment, actor=who, early=early, force_reason=force)

    emit(run_operator(action), as_json)


@council_app.command(
    "remind",
    help=t(
        "Nhắc thành viên chưa bỏ phiếu (từ một ngày làm việc trước khi kết thúc).",
        "Remind members who have not voted (from one working day before the close).",
    ),
)
def council_remind(campaign: CampaignArg, now: NowOpt = None, as_json: JsonOpt = False) -> None:
    moment = parse_now(now)

    def action() -> dict[str, Any]:
        with session_scope() as session:
            queued = remind_non_voters(session, campaign, moment)
        deliver_and_report(moment)
        return {"reminded": queued}

    emit(run_operator(action), as_json)


@council_app.command(
    "paper-ballot",
    help=t(
        "Nhập phiếu bằng văn bản của thành viên vắng mặt: CSV member,nomination_id,choice.",
        "Enter absent members' paper ballots: CSV member,nomination_id,choice.",
    ),
)
def council_paper_ballot(
    campaign: CampaignArg,
    path: FileArg,
    actor: ActorOpt = "operator",
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    _with_file(campaign, path, actor, now, as_json, "ballots", enter_paper_ballots)


@council_app.command(
    "close",
    help=t(
        "Kết thúc bỏ phiếu, kiểm phiếu, lập biên bản và gửi kết quả cho thành viên.",
        "Close the ballot, tally, write the minutes and email the members the result.",
    ),
)
def council_close(
    campaign: CampaignArg,
    actor: ActorOpt = "operator",
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    from flows.council_ballot import CloseRun, close_council_ballot

    who, moment = parse_actor(actor), parse_now(now)

    def action() -> CloseRun:
        return close_council_ballot(campaign, now=moment, actor=who)

    emit(run_operator(action), as_json)
