"""An invitee's answer through their link (``/moi/<token>/``): attend, send a named deputy, or
decline; changeable until the cut-off, then read-only. Each answer that changes something is
confirmed by email (time, place, seat area, what to bring) and audited; a decline frees a seat,
which the waiting list's first takes at once (their invitation queued in the same transaction).

The attendee lists are not rewritten here: writing two workbooks costs some thirty times the
answer itself, and a hundred invitees answer within an evening. The scheduler rewrites them
(and the artifact) after answers, once a minute at most (``flows.ceremony.AnsweredInvitations``),
as it refreshes the units' artifacts; every ceremony flow rewrites them too."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel
from sqlmodel import Session, col, select

from documents.text import clean_text
from models.access import hash_token
from models.campaign import Campaign
from models.ceremony import Ceremony, Invitee, InviteToken
from models.clock import to_vn
from models.outbox import EmailKind
from models.rules.ceremony import (
    HOLDS_SEAT,
    Category,
    Seat,
    SeatState,
    rsvp_open,
    seat_for_return,
)
from services.ceremony import (
    CeremonyEmail,
    ceremony_of,
    enqueue_ceremony_emails,
    invitees_of,
    place_and_invite,
    record,
    rules_for,
)
from services.errors import OperatorError, required_text
from services.links import TOKEN_SHAPE, note_use

NAME_MAX = 255


class Answer(StrEnum):
    ATTEND = "attend"
    DEPUTY = "deputy"
    DECLINE = "decline"


class InviteLink(BaseModel):
    """What a valid invitation token opens: one invitee, and nothing else."""

    token_id: int
    invitee_id: int
    campaign_id: int


def open_invite_link(session: Session, token: str, now: datetime) -> InviteLink | None:
    """The invitee a token opens, or None (malformed, unknown or revoked: never said which)."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    row = session.exec(
        select(InviteToken, Invitee)
        .join(Invitee, col(Invitee.id) == InviteToken.invitee_id)
        .where(InviteToken.token_hash == hash_token(token), col(InviteToken.revoked_at).is_(None))
    ).first()
    if row is None:
        return None
    access, invitee = row
    assert access.id is not None and invitee.id is not None
    note_use(session, InviteToken, access, now)
    return InviteLink(token_id=access.id, invitee_id=invitee.id, campaign_id=invitee.campaign_id)


class RsvpPage(BaseModel):
    campaign_name: str
    decision_number: str
    decision_date: date | None
    invitee_name: str
    invitee_position: str
    organisation: str
    category: Category
    honours: list[str]
    state: SeatState
    attendee_name: str | None
    attendee_position: str | None
    conference_date: date
    starts_at: datetime
    venue: str
    seat_area: str
    seat_area_en: str
    bring: str
    bring_en: str
    cutoff_on: date
    open: bool


def _load(session: Session, link: InviteLink) -> tuple[Invitee, Campaign, Ceremony]:
    invitee = session.exec(select(Invitee).where(Invitee.id == link.invitee_id)).one()
    campaign = session.get(Campaign, invitee.campaign_id)
    assert campaign is not None
    ceremony = ceremony_of(session, campaign)
    assert ceremony is not None  # an invitation exists only for a ceremony set up
    return invitee, campaign, ceremony


def rsvp_page(session: Session, link: InviteLink, now: datetime) -> RsvpPage:
    invitee, campaign, ceremony = _load(session, link)
    rules = rules_for(campaign)
    return RsvpPage(
        campaign_name=campaign.name,
        decision_number=campaign.decision_number or "",
        decision_date=campaign.decision_date,
        invitee_name=invitee.full_name,
        invitee_position=invitee.position,
        organisation=invitee.organisation,
        category=invitee.category,
        honours=list(invitee.honours),
        state=invitee.state,
        attendee_name=invitee.attendee_name,
        attendee_position=invitee.attendee_position,
        conference_date=campaign.conference_date,
        starts_at=to_vn(ceremony.starts_at),
        venue=ceremony.venue,
        seat_area=rules.seat_areas[str(invitee.category)],
        seat_area_en=rules.seat_areas_en[str(invitee.category)],
        bring=rules.bring_vi,
        bring_en=rules.bring_en,
        cutoff_on=ceremony.rsvp_cutoff_on,
        open=rsvp_open(to_vn(now).date(), ceremony.rsvp_cutoff_on),
    )


def closed_error(ceremony: Ceremony) -> OperatorError:
    return OperatorError(
        "rsvp_closed",
        f"Đã hết hạn trả lời (ngày {ceremony.rsvp_cutoff_on:%d/%m/%Y}); câu trả lời không thay "
        "đổi được nữa. Cần thay đổi, xin liên hệ Ban tổ chức.",
        f"Answers closed on {ceremony.rsvp_cutoff_on.isoformat()}; the answer can no longer "
        "change. Please contact the organising committee.",
    )


class Answered(BaseModel):
    changed: bool  # False: the same answer again (a double submit), nothing stored
    state: SeatState
    promoted: int = 0  # invited from the waiting list into the seat this answer freed


def answer_invitation(
    session: Session,
    link: InviteLink,
    answer: Answer,
    *,
    now: datetime,
    deputy_name: str = "",
    deputy_position: str = "",
    position: str = "",
) -> Answered:
    """Record the invitee's answer, in the caller's one transaction: refused after the cut-off
    (``rsvp_closed``) or without a deputy's name and position; the same answer again stores
    nothing. One who declined and answers again takes a seat only if one is free, else waits."""
    if answer == Answer.DEPUTY:
        deputy = required_text(
            deputy_name, "deputy_name", "họ tên người dự thay", "the deputy's name", NAME_MAX
        )
        role = required_text(
            deputy_position, "deputy_position", "chức vụ người dự thay", "their position", NAME_MAX
        )
    campaign = session.get(Campaign, link.campaign_id)
    assert campaign is not None and campaign.id is not None
    # The ceremony's row first: answers of one campaign one at a time, so the seat count always
    # sees every earlier answer; then the invitee's own row.
    ceremony = ceremony_of(session, campaign, lock=True)
    assert ceremony is not None  # an invitation exists only for a ceremony set up
    invitee = session.exec(
        select(Invitee).where(Invitee.id == link.invitee_id).with_for_update()
    ).one()
    if not rsvp_open(to_vn(now).date(), ceremony.rsvp_cutoff_on):
        raise closed_error(ceremony)
    wanted: tuple[SeatState, str | None, str | None]
    if answer == Answer.ATTEND:
        chosen = clean_text(position or "")[:NAME_MAX]
        wanted = (SeatState.ATTENDING, invitee.full_name, chosen or invitee.position)
    elif answer == Answer.DEPUTY:
        wanted = (SeatState.DEPUTY, deputy, role)
    else:
        wanted = (SeatState.DECLINED, None, None)
    state, attendee, attendee_position = wanted
    if state != SeatState.DECLINED and invitee.state not in HOLDS_SEAT:
        rules = rules_for(campaign)
        others = [
            Seat(i.id or 0, i.state, rules.rank(i.category), i.row)
            for i in invitees_of(session, campaign.id)
            if i.id != invitee.id
        ]
        if not seat_for_return(others, ceremony.capacity):
            state = SeatState.WAITLISTED
    if (invitee.state, invitee.attendee_name, invitee.attendee_position) == (
        state,
        attendee,
        attendee_position,
    ):
        return Answered(changed=False, state=invitee.state)
    before = str(invitee.state)
    freed = before in HOLDS_SEAT and state not in HOLDS_SEAT
    invitee.state = state
    invitee.attendee_name, invitee.attendee_position = attendee, attendee_position
    invitee.answers += 1
    invitee.answered_at = invitee.updated_at = now
    session.add(invitee)
    actor = f"invitee:{invitee.id}"
    record(session, invitee, now=now, actor=actor, action=f"rsvp_{answer}", from_state=before)
    kind = EmailKind.CEREMONY_CONFIRMATION
    key = f"{campaign.id}:-:{kind}:i{invitee.id}:{invitee.answers}"
    enqueue_ceremony_emails(session, campaign, ceremony, [CeremonyEmail(invitee, kind, key)], now)
    promoted = place_and_invite(session, campaign, ceremony, now=now, actor=actor) if freed else []
    return Answered(changed=True, state=invitee.state, promoted=len(promoted))
