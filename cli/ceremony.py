"""`tonvinh ceremony`: the commendation conference's guests and answers.

``tonvinh ceremony status CAMPAIGN`` prints accepted / declined / no answer per delegation and
the seats left (``--json``), as the flows' artifact shows them; ``guests import`` takes a guest
list (CSV), ``setup`` the hall, ``invite``, ``remind`` and ``outputs`` run the flows."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from cli.common import (
    ActorOpt,
    CampaignArg,
    JsonOpt,
    NowOpt,
    app,
    console,
    emit,
    parse_actor,
    parse_now,
    run_operator,
)
from cli.i18n import t
from models.db import session_scope
from services.ceremony import setup_ceremony
from services.ceremony_outputs import CeremonyStatus, ceremony_status

ceremony_app = typer.Typer(
    no_args_is_help=True,
    help=t(
        "Hội nghị biểu dương: khách mời, giấy mời, trả lời, danh sách đại biểu, giấy khen.",
        "The commendation conference: guests, invitations, answers, attendee lists, certificates.",
    ),
)
guests_app = typer.Typer(no_args_is_help=True, help=t("Danh sách khách mời.", "Guest lists."))
ceremony_app.add_typer(guests_app, name="guests")
app.add_typer(ceremony_app, name="ceremony")


def _render_status(payload: dict[str, Any]) -> None:
    console.print(
        t(
            f"[bold]{payload['campaign']}[/bold]: hội nghị {payload['conference_date']} — sức "
            f"chứa {payload['capacity']}, còn trống {payload['seats_left']}; hạn trả lời "
            f"{payload['rsvp_cutoff_on']}",
            f"[bold]{payload['campaign']}[/bold]: conference {payload['conference_date']} — "
            f"{payload['capacity']} seats, {payload['seats_left']} left; answers by "
            f"{payload['rsvp_cutoff_on']}",
        )
    )
    console.print(
        t(
            f"Đã mời {payload['invited']} · tham dự {payload['attending']} (dự thay "
            f"{payload['deputies']}) · không dự {payload['declined']} · chưa trả lời "
            f"{payload['no_answer']} · chờ {payload['waitlisted']}",
            f"Invited {payload['invited']} · attending {payload['attending']} (deputies "
            f"{payload['deputies']}) · declined {payload['declined']} · no answer "
            f"{payload['no_answer']} · waiting {payload['waitlisted']}",
        )
    )
    for d in payload["delegations"]:
        console.print(
            f"  {escape(d['delegation'])}: {d['attending']}/{d['invited']} "
            f"{t('dự', 'attend')}, {d['declined']} {t('không dự', 'declined')}, "
            f"{d['no_answer']} {t('chưa trả lời', 'no answer')}, "
            f"{d['waitlisted']} {t('chờ', 'waiting')}",
            soft_wrap=True,
        )
    if payload.get("attendees_url"):
        console.print(f"{t('Danh sách đại biểu', 'Attendee list')}: {payload['attendees_url']}")


@ceremony_app.command(
    "status",
    help=t(
        "Trả lời theo đoàn (tham dự, không dự, chưa trả lời, chờ) và số chỗ còn trống.",
        "Answers per delegation (attending, declined, no answer, waiting) and seats left.",
    ),
)
def ceremony_status_command(
    campaign: CampaignArg, now: NowOpt = None, as_json: JsonOpt = False
) -> None:
    moment = parse_now(now)

    def action() -> CeremonyStatus:
        with session_scope() as session:
            return ceremony_status(session, campaign, moment)

    emit(run_operator(action), as_json, _render_status)


@guests_app.command(
    "import",
    help=t(
        "Nhập danh sách khách mời (CSV: category, full_name, position, organisation, email, "
        "unit; category: lanh_dao, thu_truong, bao_chi, khach); lỗi ở bất kỳ dòng nào thì "
        "không lưu gì. Chưa gửi thư: lệnh invite gửi giấy mời.",
        "Import a guest list (CSV: category, full_name, position, organisation, email, unit; "
        "category: leadership, unit_head, press, guest); any error saves nothing. Nobody is "
        "emailed: invite does that.",
    ),
)
def guests_import(
    campaign: CampaignArg,
    file: Annotated[Path, typer.Argument(help=t("Tệp CSV.", "The CSV file."))],
    actor: ActorOpt = "operator",
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    from flows.ceremony import import_ceremony_guests

    who, moment = parse_actor(actor), parse_now(now)
    path = str(file.resolve())
    emit(
        run_operator(lambda: import_ceremony_guests(campaign, path, actor=who, now=moment)),
        as_json,
    )


@ceremony_app.command(
    "setup",
    help=t(
        "Đặt địa điểm, giờ khai mạc, sức chứa hội trường (mặc định theo quy định hội nghị).",
        "Set the hall, the opening time and the capacity (defaults from the ceremony rules).",
    ),
)
def ceremony_setup(
    campaign: CampaignArg,
    capacity: Annotated[
        int | None, typer.Option("--capacity", min=1, help=t("Số chỗ.", "Seats."))
    ] = None,
    venue: Annotated[str | None, typer.Option("--venue", help=t("Địa điểm.", "Hall."))] = None,
    starts: Annotated[
        str | None, typer.Option("--starts", help=t("Giờ khai mạc HH:MM.", "Opening HH:MM."))
    ] = None,
    actor: ActorOpt = "operator",
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    from datetime import time

    who, moment = parse_actor(actor), parse_now(now)
    try:
        opening = time.fromisoformat(starts) if starts else None
    except ValueError:
        raise typer.BadParameter(
            t("giờ dạng HH:MM", "a time as HH:MM"), param_hint="--starts"
        ) from None

    def action() -> Any:
        with session_scope() as session:
            return setup_ceremony(
                session, campaign, now=moment, actor=who, venue=venue, starts=opening,
                capacity=capacity,
            )  # fmt: skip

    emit(run_operator(action), as_json)


@ceremony_app.command(
    "invite",
    help=t(
        "Sau khi quyết định đã ký: mời người được khen thưởng và khách mời (mỗi người một lần), "
        "theo thứ tự ưu tiên đến hết sức chứa, còn lại vào danh sách chờ; in giấy khen.",
        "Once the decision is signed: invite the honourees and the guests (each person once), "
        "by priority up to the capacity, the rest on the waiting list; write the certificates.",
    ),
)
def ceremony_invite(
    campaign: CampaignArg,
    actor: ActorOpt = "operator",
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    from flows.ceremony import invite_ceremony_guests

    who, moment = parse_actor(actor), parse_now(now)
    emit(run_operator(lambda: invite_ceremony_guests(campaign, actor=who, now=moment)), as_json)


@ceremony_app.command(
    "remind",
    help=t(
        "Nhắc người được mời chưa trả lời; ngày chốt danh sách thì báo cả đầu mối của đơn vị.",
        "Remind the invitees who have not answered; on the cut-off day, their unit's focal "
        "person too.",
    ),
)
def ceremony_remind(campaign: CampaignArg, now: NowOpt = None, as_json: JsonOpt = False) -> None:
    from flows.ceremony import remind_ceremony_invitees

    moment = parse_now(now)
    emit(run_operator(lambda: remind_ceremony_invitees(campaign, now=moment)), as_json)
