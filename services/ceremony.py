"""The commendation conference's guests: the hall and time, the guest lists, the invitation list
built from the signed decision (each person once), seats by priority with a waiting list, the
invitation emails with each invitee's link, and the reminders to those who have not answered.

The rules are pure (``models.rules.ceremony``); this module stores and mails. The invitees'
answers are ``services.rsvp``; the documents and the standing ``services.ceremony_outputs``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from models import audit
from models.access import LINK_PLACEHOLDER
from models.audit import AuditEntity
from models.campaign import Campaign
from models.ceremony import Ceremony, Invitee
from models.clock import VN_TZ, to_vn
from models.nomination import NominationStatus, NomineeKind
from models.outbox import EmailKind
from models.rules.calendar import WorkCalendar, format_en_date, format_vn_date
from models.rules.ceremony import (
    Candidate,
    Category,
    CeremonyRules,
    Seat,
    SeatState,
    allocate,
    ceremony_rules,
    merge_candidates,
    parse_guests,
    person_key,
    rsvp_cutoff,
    rsvp_open,
)
from models.rules.ladder import UnitProgress, due_reminders
from models.settings import Settings, get_settings
from models.unit import Unit
from notifications.addresses import mailbox
from notifications.outbox import OutboxItem, enqueue_many
from notifications.render import render_email
from services.campaigns import calendar_for, load_campaign
from services.errors import OperatorError
from services.honour import honourees_of


def rules_for(campaign: Campaign) -> CeremonyRules:
    return ceremony_rules(campaign.conference_date)


def record(
    session: Session,
    invitee: Invitee,
    *,
    now: datetime,
    actor: str,
    action: str,
    from_state: str | None = None,
    reason: str = "",
) -> None:
    assert invitee.id is not None
    audit.record(
        session,
        at=now,
        actor=actor,
        entity=AuditEntity.INVITEE,
        entity_id=invitee.id,
        campaign_id=invitee.campaign_id,
        action=action,
        from_state=from_state,
        to_state=str(invitee.state),
        reason=reason,
        # The category, not the name: the audit log is read more widely than the guest list.
        details={"invitee_id": invitee.id, "category": str(invitee.category)},
    )


# ---------------------------------------------------------------------------------------------
# The hall and time


class CeremonySetup(BaseModel):
    campaign: str
    venue: str
    starts_at: datetime
    capacity: int
    rsvp_cutoff_on: date
    unconfirmed: list[str]


def ceremony_of(session: Session, campaign: Campaign, *, lock: bool = False) -> Ceremony | None:
    statement = select(Ceremony).where(Ceremony.campaign_id == campaign.id)
    if lock:
        statement = statement.with_for_update()
    return session.exec(statement).first()


def setup_ceremony(
    session: Session,
    campaign_code: str,
    *,
    now: datetime,
    actor: str,
    venue: str | None = None,
    starts: time | None = None,
    capacity: int | None = None,
) -> CeremonySetup:
    """Set the hall, the opening time and the capacity (each left out keeps what is set, or
    the rule data's default); the cut-off follows the conference date. A smaller capacity does
    not take back invitations sent: it only stops new ones until answers free seats."""
    campaign = load_campaign(session, campaign_code)
    rules = rules_for(campaign)
    if capacity is not None and capacity < 1:
        raise OperatorError(
            "capacity_invalid",
            f"Sức chứa phải từ 1 chỗ (nhận {capacity}).",
            f"The capacity must be at least 1 (got {capacity}).",
            field="capacity",
        )
    ceremony = ceremony_of(session, campaign, lock=True)
    if ceremony is None:
        ceremony = Ceremony(
            campaign_id=campaign.id or 0,
            venue=rules.place,
            starts_at=datetime.combine(campaign.conference_date, rules.starts, tzinfo=VN_TZ),
            capacity=rules.capacity,
            rsvp_cutoff_on=campaign.conference_date,
            created_at=now,
            updated_at=now,
        )
    if venue is not None and venue.strip():
        ceremony.venue = " ".join(venue.split())[:255]
    if starts is not None:
        ceremony.starts_at = datetime.combine(campaign.conference_date, starts, tzinfo=VN_TZ)
    if capacity is not None:
        ceremony.capacity = capacity
    calendar = calendar_for(session, campaign)
    ceremony.rsvp_cutoff_on = rsvp_cutoff(
        campaign.conference_date, calendar, rules.rsvp_cutoff_working_days
    )
    ceremony.updated_at = now
    session.add(ceremony)
    session.flush()
    audit.record(
        session,
        at=now,
        actor=actor,
        entity=AuditEntity.CAMPAIGN,
        entity_id=campaign.id or 0,
        campaign_id=campaign.id,
        action="ceremony_setup",
        details={
            "venue": ceremony.venue,
            "starts_at": ceremony.starts_at.isoformat(),
            "capacity": ceremony.capacity,
        },
    )
    return CeremonySetup(
        campaign=campaign.code,
        venue=ceremony.venue,
        starts_at=to_vn(ceremony.starts_at),
        capacity=ceremony.capacity,
        rsvp_cutoff_on=ceremony.rsvp_cutoff_on,
        unconfirmed=list(rules.unconfirmed),
    )


def require_ceremony(session: Session, campaign: Campaign, now: datetime) -> Ceremony:
    """The campaign's ceremony, set up with the rule data's defaults if nobody set it."""
    found = ceremony_of(session, campaign, lock=True)
    if found is not None:
        return found
    setup_ceremony(session, campaign.code, now=now, actor="system")
    found = ceremony_of(session, campaign, lock=True)
    assert found is not None
    return found


# ---------------------------------------------------------------------------------------------
# Who is invited


def invitees_of(session: Session, campaign_id: int) -> list[Invitee]:
    statement = select(Invitee).where(Invitee.campaign_id == campaign_id)
    return list(session.exec(statement.order_by(col(Invitee.id))).all())


def _as_candidate(invitee: Invitee, units: dict[int, Unit]) -> Candidate:
    unit = units.get(invitee.unit_id or 0)
    return Candidate(
        key=invitee.person_key,
        category=invitee.category,
        full_name=invitee.full_name,
        position=invitee.position,
        organisation=invitee.organisation,
        email=invitee.email,
        unit_code=unit.code if unit else "",
        honours=tuple(invitee.honours),
        row=invitee.row,
    )


def _store(
    session: Session,
    campaign: Campaign,
    candidates: Iterable[Candidate],
    units: dict[str, Unit],
    *,
    now: datetime,
    actor: str,
    source: str,
) -> tuple[list[str], list[str]]:
    """Insert or update invitees by their person key (merging with those already listed, each
    person once); returns the full names (created, updated)."""
    assert campaign.id is not None
    existing = {i.person_key: i for i in invitees_of(session, campaign.id)}
    by_id = {u.id: u for u in units.values() if u.id is not None}
    rules = rules_for(campaign)
    stored = [_as_candidate(i, by_id) for i in existing.values()]
    merged = merge_candidates([*stored, *candidates], rules.priority)
    created: list[str] = []
    updated: list[str] = []
    for candidate in merged:
        unit = units.get(candidate.unit_code)
        values: dict[str, Any] = {
            "category": candidate.category,
            "row": candidate.row,
            "full_name": candidate.full_name,
            "position": candidate.position,
            "organisation": candidate.organisation or (unit.name if unit else ""),
            "email": candidate.email,
            "unit_id": unit.id if unit else None,
            "honours": list(candidate.honours),
        }
        row = existing.get(candidate.key)
        if row is None:
            row = Invitee(
                campaign_id=campaign.id, person_key=candidate.key, created_at=now, **values
            )
            row.updated_at = now
            session.add(row)
            session.flush()
            record(session, row, now=now, actor=actor, action="invitee_listed", reason=source)
            created.append(row.full_name)
            continue
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        if changed:
            for name, value in changed.items():
                setattr(row, name, value)
            row.updated_at = now
            session.add(row)
            record(session, row, now=now, actor=actor, action="invitee_updated", reason=source)
            updated.append(row.full_name)
    return created, updated


class GuestsImported(BaseModel):
    campaign: str
    created: int
    updated: int
    unchanged: int


def guests_error(errors: list[Any]) -> OperatorError:
    listed = "\n".join(str(e) for e in errors)
    return OperatorError(
        "guests_invalid",
        "Danh sách khách mời không hợp lệ, chưa lưu gì:\n" + listed,
        "The guest list is invalid, nothing was stored:\n" + listed,
        errors=[f"{e.row}|{e.field}: {e.vi}" for e in errors],
    )


def import_guests(
    session: Session, campaign_code: str, text: str, file_name: str, *, now: datetime, actor: str
) -> GuestsImported:
    """Store a guest list (leadership, units' heads, press, guests) for the campaign's
    conference, in the caller's transaction: all of it, or nothing if any line is wrong
    (``guests_invalid`` names every line, column and reason). A person already listed (by
    email) is listed once; importing the same file again changes nothing. Nobody is emailed
    here: ``invite`` places the list in the hall and sends the invitations."""
    campaign = load_campaign(session, campaign_code)
    units = {u.code: u for u in session.exec(select(Unit)).all()}
    parsed = parse_guests(text, units)
    if parsed.errors:
        raise guests_error(parsed.errors)
    created, updated = _store(
        session, campaign, parsed.guests, units, now=now, actor=actor, source=file_name
    )
    return GuestsImported(
        campaign=campaign.code,
        created=len(created),
        updated=len(updated),
        unchanged=len(parsed.guests) - len(created) - len(updated),
    )


def decision_candidates(session: Session, campaign: Campaign) -> list[Candidate]:
    """The signed decision's honourees as invitees: each person honoured (once, however many
    awards), and for each honoured collective its unit's head as its representative."""
    assert campaign.decision_date is not None
    honourees = honourees_of(
        session,
        campaign,
        (NominationStatus.APPROVED, NominationStatus.HONOURED),
        campaign.decision_date,
    )
    units = {u.code: u for u in session.exec(select(Unit)).all()}
    candidates: list[Candidate] = []
    for row, honouree in enumerate(honourees, start=1):
        unit = units[honouree.unit_code]
        if honouree.kind == NomineeKind.INDIVIDUAL:
            candidates.append(
                Candidate(
                    key=person_key(nominee_key=honouree.nominee_key, unit_code=unit.code),
                    category=Category.HONOUREE,
                    full_name=honouree.full_name,
                    position=honouree.position or "",
                    organisation=unit.name,
                    # Individuals are not in the register: their unit's focal person forwards.
                    email=str(unit.focal_email),
                    unit_code=unit.code,
                    honours=(honouree.award_name,),
                    row=row,
                )
            )
        else:
            candidates.append(
                Candidate(
                    key=person_key(email=str(unit.head_email)),
                    category=Category.REPRESENTATIVE,
                    full_name=unit.head_name,
                    position=f"Thủ trưởng {unit.name}",
                    organisation=unit.name,
                    email=str(unit.head_email),
                    unit_code=unit.code,
                    honours=(f"{honouree.award_name} – {honouree.full_name}",),
                    row=row,
                )
            )
    return candidates


# ---------------------------------------------------------------------------------------------
# Seats and invitations


class Invited(BaseModel):
    campaign: str
    capacity: int
    listed: int  # invitees on the list
    honourees_added: int
    invited: int  # invitations queued by this run (first invitations and promotions)
    waitlisted: int  # waiting for a seat after this run


def require_signed(campaign: Campaign) -> None:
    if campaign.decision_number is None or campaign.decision_date is None:
        raise OperatorError(
            "decision_not_signed",
            f"Quyết định khen thưởng của đợt {campaign.code} chưa được ký và vào số; chưa mời.",
            f"The decision of campaign {campaign.code} is not signed yet; nobody is invited.",
        )


def require_open(ceremony: Ceremony, now: datetime) -> None:
    if not rsvp_open(to_vn(now).date(), ceremony.rsvp_cutoff_on):
        raise OperatorError(
            "rsvp_closed",
            f"Đã qua hạn chốt danh sách đại biểu ({ceremony.rsvp_cutoff_on:%d/%m/%Y}).",
            f"The attendee list closed on {ceremony.rsvp_cutoff_on.isoformat()}.",
        )


def place_and_invite(
    session: Session, campaign: Campaign, ceremony: Ceremony, *, now: datetime, actor: str
) -> list[Invitee]:
    """The capacity rule over everyone pending or waiting: those it seats are emailed their
    invitation (with their own link, minted when it is sent), the others wait. Returns the
    invitees invited by this call."""
    assert campaign.id is not None
    rules = rules_for(campaign)
    invitees = {i.id: i for i in invitees_of(session, campaign.id) if i.id is not None}
    seats = [Seat(i, row.state, rules.rank(row.category), row.row) for i, row in invitees.items()]
    invited: list[Invitee] = []
    for invitee_id, state in allocate(seats, ceremony.capacity).items():
        invitee = invitees[invitee_id]
        before = str(invitee.state)
        invitee.state, invitee.updated_at = state, now
        if state == SeatState.INVITED:
            invitee.invited_at = now
            invited.append(invitee)
        session.add(invitee)
        action = "invitee_invited" if state == SeatState.INVITED else "invitee_waitlisted"
        record(session, invitee, now=now, actor=actor, action=action, from_state=before)
    kind = EmailKind.CEREMONY_INVITATION
    # The answers so far in the key: one invited again after a decline is emailed again.
    emails = [
        CeremonyEmail(i, kind, f"{campaign.id}:-:{kind}:i{i.id}:{i.answers}") for i in invited
    ]
    enqueue_ceremony_emails(session, campaign, ceremony, emails, now)
    return invited


def invite(session: Session, campaign_code: str, *, now: datetime, actor: str) -> Invited:
    """After the decision is signed: add its honourees to the list (each person once, merged
    with the guest lists), seat the list by priority up to the hall's capacity, email the
    invitations, and wait-list the rest. Running it again invites only who is new, as seats
    allow; refused after the cut-off (nobody could answer)."""
    campaign = load_campaign(session, campaign_code)
    require_signed(campaign)
    ceremony = require_ceremony(session, campaign, now)
    require_open(ceremony, now)
    units = {u.code: u for u in session.exec(select(Unit)).all()}
    created, _updated = _store(
        session,
        campaign,
        decision_candidates(session, campaign),
        units,
        now=now,
        actor=actor,
        source=f"decision {campaign.decision_number}",
    )
    invited = place_and_invite(session, campaign, ceremony, now=now, actor=actor)
    assert campaign.id is not None
    listed = invitees_of(session, campaign.id)
    return Invited(
        campaign=campaign.code,
        capacity=ceremony.capacity,
        listed=len(listed),
        honourees_added=len(created),
        invited=len(invited),
        waitlisted=sum(1 for i in listed if i.state == SeatState.WAITLISTED),
    )


# ---------------------------------------------------------------------------------------------
# Emails


@dataclass(frozen=True)
class CeremonyEmail:
    invitee: Invitee
    kind: EmailKind
    key: str
    tier: int = 0
    to_focal: bool = False  # the cut-off day's escalation: the unit's focal person, invitee cc


def ceremony_context(
    campaign: Campaign,
    ceremony: Ceremony,
    invitee: Invitee,
    unit: Unit | None,
    calendar: WorkCalendar,
    now: datetime,
    settings: Settings,
) -> dict[str, Any]:
    """Everything a ceremony email may name; the link is the placeholder (minted at delivery)."""
    rules = rules_for(campaign)
    via = unit.focal_name if invitee.category == Category.HONOUREE and unit else ""
    return {
        "ministry_name": settings.ministry_name,
        "department_name": settings.department_name,
        "campaign_name": campaign.name,
        "campaign_code": campaign.code,
        "invitee_name": invitee.full_name,
        "invitee_position": invitee.position,
        "organisation": invitee.organisation,
        "via_name": via,
        "honours": list(invitee.honours),
        "decision_number": campaign.decision_number or "",
        "decision_date_text": f"{campaign.decision_date:%d/%m/%Y}"
        if campaign.decision_date
        else "",
        "conference_text": format_vn_date(campaign.conference_date),
        "conference_text_en": format_en_date(campaign.conference_date),
        "starts_text": f"{to_vn(ceremony.starts_at):%H:%M}",
        "venue": ceremony.venue,
        "seat_area": rules.seat_areas[str(invitee.category)],
        "seat_area_en": rules.seat_areas_en[str(invitee.category)],
        "bring": rules.bring_vi,
        "bring_en": rules.bring_en,
        "cutoff_text": format_vn_date(ceremony.rsvp_cutoff_on),
        "cutoff_text_en": format_en_date(ceremony.rsvp_cutoff_on),
        "working_days_left": calendar.working_days_between(
            to_vn(now).date(), ceremony.rsvp_cutoff_on
        ),
        "state": str(invitee.state),
        "attendee_name": invitee.attendee_name or "",
        "attendee_position": invitee.attendee_position or "",
        "rsvp_url": f"{settings.door_url('moi')}/{LINK_PLACEHOLDER}",
    }


def _recipients(email: CeremonyEmail, unit: Unit | None) -> tuple[list[str], list[str]]:
    """The invitee; at the escalation step, the unit's focal person with the invitee in copy
    (the unit's head when the invitee's address is the focal person's own)."""
    invitee = mailbox(email.invitee.full_name, email.invitee.email)
    if email.invitee.category == Category.HONOUREE and unit is not None:
        invitee = mailbox(f"{email.invitee.full_name} (qua {unit.focal_name})", email.invitee.email)
    if not email.to_focal or unit is None:
        return [invitee], []
    if str(unit.focal_email).casefold() != email.invitee.email.casefold():
        return [mailbox(unit.focal_name, str(unit.focal_email))], [invitee]
    return [mailbox(unit.head_name, str(unit.head_email))], [invitee]


def enqueue_ceremony_emails(
    session: Session,
    campaign: Campaign,
    ceremony: Ceremony,
    emails: list[CeremonyEmail],
    now: datetime,
) -> set[str]:
    """Queue the emails (one render each, in the unit's language), each keyed once."""
    if not emails:
        return set()
    settings = get_settings()
    calendar = calendar_for(session, campaign)
    ids = {e.invitee.unit_id for e in emails if e.invitee.unit_id}
    units = {u.id: u for u in session.exec(select(Unit).where(col(Unit.id).in_(ids))).all()}
    items = []
    for email in emails:
        unit = units.get(email.invitee.unit_id)
        to, cc = _recipients(email, unit)
        context = ceremony_context(campaign, ceremony, email.invitee, unit, calendar, now, settings)
        lang = unit.lang if unit is not None else "vi"
        items.append(
            OutboxItem(
                key=email.key,
                kind=email.kind,
                tier=email.tier,
                to=to,
                cc=cc,
                rendered=render_email(email.kind, context, lang=lang),
                campaign_id=campaign.id,
                link_invitee_id=email.invitee.id,
            )
        )
    return enqueue_many(session, items, now)


# ---------------------------------------------------------------------------------------------
# Reminders


class Reminded(BaseModel):
    campaign: str
    reminders: int = 0
    escalations: int = 0


def remind_invitees(session: Session, campaign_code: str, *, now: datetime) -> Reminded:
    """For each invitee with no answer, the one step of the ladder due now (the pack's
    ``reminders``: the invitee, then on the cut-off day the unit's focal person too), queued
    once; never a step that fell before their invitation went out."""
    campaign = load_campaign(session, campaign_code)
    result = Reminded(campaign=campaign.code)
    ceremony = ceremony_of(session, campaign)
    if ceremony is None or campaign.id is None:
        return result
    rules = rules_for(campaign)
    waiting = {
        i.id: i
        for i in invitees_of(session, campaign.id)
        if i.state == SeatState.INVITED and i.invited_at is not None and i.id is not None
    }
    progress = [
        UnitProgress(
            unit_id=invitee_id,
            deadline=ceremony.rsvp_cutoff_on,
            submitted=False,
            paused=False,
            sent_tiers=frozenset(range(1, i.last_nudge_tier + 1)),
        )
        for invitee_id, i in waiting.items()
    ]
    calendar = calendar_for(session, campaign)
    emails: list[CeremonyEmail] = []
    for due in due_reminders(now, progress, calendar, rules.ladder()):
        invitee = waiting[due.unit_id]
        assert invitee.invited_at is not None
        if due.step.at <= invitee.invited_at:
            continue
        escalate = rules.is_escalation(due.step.tier) and invitee.unit_id is not None
        kind = EmailKind.CEREMONY_ESCALATION if escalate else EmailKind.CEREMONY_REMINDER
        key = f"{campaign.id}:-:{kind}:i{invitee.id}:{due.step.tier}"
        emails.append(CeremonyEmail(invitee, kind, key, due.step.tier, escalate))
    inserted = enqueue_ceremony_emails(session, campaign, ceremony, emails, now)
    for email in emails:
        email.invitee.last_nudge_tier = email.tier
        session.add(email.invitee)
        if email.key not in inserted:
            continue
        if email.to_focal:
            result.escalations += 1
        else:
            result.reminders += 1
        record(
            session,
            email.invitee,
            now=now,
            actor="scheduler",
            action=f"invitee_reminded:{email.kind}",
            reason=f"tier {email.tier}",
        )
    return result


def campaigns_to_remind(session: Session, now: datetime) -> list[str]:
    """Campaigns with invitees who have not answered and whose cut-off has not passed, on
    their working days: the scheduler's daily reminder run (the ladder decides who is due)."""
    today = to_vn(now).date()
    rows = session.exec(
        select(Campaign, Ceremony)
        .join(Ceremony, col(Ceremony.campaign_id) == Campaign.id)
        .where(
            col(Campaign.id).in_(
                select(Invitee.campaign_id).where(Invitee.state == SeatState.INVITED)
            ),
            col(Ceremony.rsvp_cutoff_on) >= today,
        )
        .order_by(Campaign.code)
    ).all()
    return [c.code for c, _ in rows if calendar_for(session, c).is_working_day(today)]
