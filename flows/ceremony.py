"""The commendation conference as flows: import a guest list, invite (after the decision is
signed), remind those who have not answered; each writes the attendee and seating lists (and,
on inviting, the certificates), delivers through the outbox and publishes the conference's
artifact (``<campaign>-ceremony``: accepted / declined / no answer per delegation, seats left).

The guest list is named by its path on the server, not pasted as a parameter: it holds names and
emails, and flow parameters are stored and shown in the UI. The artifact names delegations
(units, organisations) and counts, never a person."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from pydantic import Field

from flows.common import (
    RefreshAfterAnswers,
    StageRun,
    artifact_key,
    checkout_path,
    deliver_outbox,
    stage_task,
)
from models.clock import resolve
from models.db import session_scope
from services.campaigns import load_campaign
from services.ceremony import (
    GuestsImported,
    Invited,
    Reminded,
    import_guests,
    invite,
    remind_invitees,
    setup_ceremony,
)
from services.ceremony_outputs import (
    CeremonyStatus,
    ceremonies_answered_since,
    ceremony_status,
    write_attendee_documents,
    write_certificates,
)

Required = Annotated[str, Field(min_length=1)]


def status_markdown(status: CeremonyStatus) -> str:
    """The conference as the organisers read it: seats, answers, one line per delegation."""
    state = "đang nhận trả lời" if status.rsvp_open else "đã chốt danh sách"
    lines = [
        f"# Hội nghị biểu dương — {status.campaign}",
        "",
        f"{status.starts_at:%H:%M}, {status.conference_date:%d/%m/%Y} · {status.venue}",
        "",
        f"Sức chứa **{status.capacity}** · còn trống **{status.seats_left}** chỗ · hạn trả lời "
        f"{status.rsvp_cutoff_on:%d/%m/%Y} ({state})",
        "",
        f"Đã mời **{status.invited}** · tham dự **{status.attending}** (trong đó "
        f"{status.deputies} người dự thay) · không tham dự **{status.declined}** · chưa trả lời "
        f"**{status.no_answer}** · danh sách chờ **{status.waitlisted}**",
        "",
        "| Đoàn | Được mời | Tham dự | Dự thay | Không dự | Chưa trả lời | Chờ |",
        "|---|---|---|---|---|---|---|",
    ]
    for d in status.delegations:
        name = d.delegation.replace("|", "/")
        lines.append(
            f"| {name} | {d.invited} | {d.attending} | {d.deputies} | {d.declined} | "
            f"{d.no_answer} | {d.waitlisted} |"
        )
    if status.attendees_url:
        lines += ["", f"[Danh sách đại biểu (XLSX)]({status.attendees_url}) · "
                  f"[Xếp chỗ, thẻ đại biểu]({status.seating_url})"]  # fmt: skip
    return "\n".join(lines) + "\n"


@stage_task(name="write-attendee-lists")
def write_attendee_lists(campaign_code: str, now: datetime) -> None:
    """The attendee list and the seating list as the answers, invitations and promotions stand
    (an answer through the portal writes no document: ``AnsweredInvitations`` runs this)."""
    with session_scope() as session:
        write_attendee_documents(session, load_campaign(session, campaign_code), now)


@stage_task(name="publish-ceremony")
def publish_ceremony(campaign_code: str, now: datetime) -> CeremonyStatus:
    with session_scope() as session:
        status = ceremony_status(session, campaign_code, now)
    create_markdown_artifact(
        key=artifact_key(campaign_code, "ceremony"),
        markdown=status_markdown(status),
        description="Hội nghị biểu dương: trả lời theo đoàn, số chỗ còn trống",
    )
    return status


class CeremonyRun(StageRun):
    invited: int = 0
    attending: int = 0
    declined: int = 0
    no_answer: int = 0
    waitlisted: int = 0
    seats_left: int = 0


def _run(campaign_code: str, moment: datetime) -> CeremonyRun:
    write_attendee_lists(campaign_code, moment)
    delivery = deliver_outbox(moment)
    status = publish_ceremony(campaign_code, moment)
    return CeremonyRun(
        campaign=campaign_code,
        invited=status.invited,
        attending=status.attending,
        declined=status.declined,
        no_answer=status.no_answer,
        waitlisted=status.waitlisted,
        seats_left=status.seats_left,
        **delivery.model_dump(),
    )


@flow(name="refresh-ceremony", log_prints=True)
def refresh_ceremony(campaign_codes: list[str], now: datetime | None = None) -> list[str]:
    """Rewrite the attendee and seating lists and the artifact of campaigns whose invitees
    answered (the scheduler's, after answers through the portal, which starts no flow run).

    Args:
        campaign_codes: Mã các đợt thi đua (campaign codes)
        now: Thời điểm coi là bây giờ; để trống là đồng hồ hệ thống (moment taken as now)
    """
    moment = resolve(now)
    for code in campaign_codes:
        write_attendee_lists(code, moment)
        publish_ceremony(code, moment)
    return campaign_codes


class AnsweredInvitations(RefreshAfterAnswers):
    """The attendee lists and the ceremony's artifact follow the invitees' answers within a
    minute, without a document write per answer."""

    def __init__(self) -> None:
        super().__init__(
            ceremonies_answered_since, lambda codes, now: refresh_ceremony(codes, now=now)
        )


@stage_task(name="import-guests")
def import_guests_task(
    campaign_code: str, guests_path: str, actor: str, now: datetime
) -> GuestsImported:
    """Read the guest list where the worker runs (a relative path from the checkout)."""
    path = checkout_path(guests_path)
    with session_scope() as session:
        return import_guests(
            session, campaign_code, path.read_text("utf-8-sig"), path.name, now=now, actor=actor
        )


@flow(name="import-ceremony-guests", log_prints=True)
def import_ceremony_guests(
    campaign_code: Required,
    guests_path: Required,
    actor: Required = "operator",
    now: datetime | None = None,
) -> GuestsImported:
    """Import a guest list (CSV: category, full_name, position, organisation, email, unit) for
    the campaign's conference; all or nothing. Nobody is emailed: inviting does that.

    Args:
        campaign_code: Mã đợt thi đua (campaign code)
        guests_path: Đường dẫn tệp CSV khách mời trên máy chủ, tương đối với thư mục mã nguồn
            (the guest list's path on the server, relative to the checkout)
        actor: Người thực hiện, ghi vào nhật ký (who, for the audit log)
        now: Thời điểm coi là bây giờ; để trống là đồng hồ hệ thống (moment taken as now)
    """
    return import_guests_task(campaign_code, guests_path, actor, resolve(now))


@stage_task(name="invite-guests")
def invite_task(
    campaign_code: str,
    actor: str,
    now: datetime,
    capacity: int | None,
    venue: str | None,
    starts: time | None,
) -> Invited:
    """Set the hall if asked, then place the list and queue the invitations."""
    with session_scope() as session:
        if capacity is not None or venue or starts is not None:
            setup_ceremony(
                session, campaign_code, now=now, actor=actor, venue=venue, starts=starts,
                capacity=capacity,
            )  # fmt: skip
        return invite(session, campaign_code, now=now, actor=actor)


@stage_task(name="write-certificates")
def certificates_task(campaign_code: str, now: datetime) -> int:
    """One certificate per honouree, from the department's Word template."""
    with session_scope() as session:
        return len(write_certificates(session, campaign_code, now).files)


class InviteRun(CeremonyRun):
    queued: int = 0
    certificates: int = 0


@flow(name="invite-ceremony-guests", log_prints=True)
def invite_ceremony_guests(
    campaign_code: Required,
    actor: Required = "operator",
    capacity: Annotated[int, Field(ge=1)] | None = None,
    venue: str | None = None,
    starts: time | None = None,
    now: datetime | None = None,
) -> InviteRun:
    """Invite the signed decision's honourees and the guest lists, each person once, up to the
    hall's capacity by priority (the rest wait for a seat); write the certificates; deliver.

    Args:
        campaign_code: Mã đợt thi đua (campaign code)
        actor: Người thực hiện, ghi vào nhật ký (who, for the audit log)
        capacity: Sức chứa hội trường; để trống là giá trị đã đặt hoặc mặc định (the hall's
            seats; empty: as set, or the rule data's default)
        venue: Địa điểm; để trống là giá trị đã đặt (the hall; empty: as set)
        starts: Giờ khai mạc (opening time; empty: as set)
        now: Thời điểm coi là bây giờ; để trống là đồng hồ hệ thống (moment taken as now)
    """
    moment = resolve(now)
    invited = invite_task(campaign_code, actor, moment, capacity, venue, starts)
    certificates = certificates_task(campaign_code, moment)
    run = _run(campaign_code, moment)
    return InviteRun(**run.model_dump(), queued=invited.invited, certificates=certificates)


@stage_task(name="remind-invitees")
def remind_task(campaign_code: str, now: datetime) -> Reminded:
    with session_scope() as session:
        return remind_invitees(session, campaign_code, now=now)


class RemindRun(CeremonyRun):
    reminders: int = 0
    escalations: int = 0


@flow(name="remind-ceremony-invitees", log_prints=True)
def remind_ceremony_invitees(campaign_code: Required, now: datetime | None = None) -> RemindRun:
    """Remind the invitees who have not answered; on the cut-off day tell their unit's focal
    person too.

    Args:
        campaign_code: Mã đợt thi đua (campaign code)
        now: Thời điểm coi là bây giờ; để trống là đồng hồ hệ thống (moment taken as now)
    """
    moment = resolve(now)
    reminded = remind_task(campaign_code, moment)
    return RemindRun(
        **_run(campaign_code, moment).model_dump(),
        reminders=reminded.reminders,
        escalations=reminded.escalations,
    )
