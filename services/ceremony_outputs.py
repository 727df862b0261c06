"""Where the conference stands and what the organisers print: accepted / declined / no answer
per delegation with the seats left (``ceremony_status``, for ``tonvinh ceremony status`` and the
artifact), the attendee list and the seating and badge list (XLSX, rewritten with every answer),
and one certificate per honouree (DOCX, from the department's Word template, quoting the signed
decision). Every document is kept through ``services.documents`` for the operator's area."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime

from pydantic import BaseModel
from sqlmodel import Session, col

from documents.attendees import (
    AttendeeBook,
    AttendeeRow,
    DelegationCount,
    write_attendee_xlsx,
    write_seating_xlsx,
)
from documents.certificate import Certificate, CertificateAward, write_certificate_docx
from models.audit import AuditEntity, AuditEvent
from models.campaign import Campaign
from models.ceremony import SEAT_STATE_VI, Ceremony, Invitee
from models.clock import to_vn
from models.document import DocumentKind
from models.nomination import NominationStatus, NomineeKind
from models.rules.ceremony import (
    CATEGORY_VI,
    Category,
    Seat,
    SeatState,
    rsvp_open,
    seating_order,
    seats_held,
)
from models.settings import get_settings
from services.activity import campaigns_with_events_since
from services.campaigns import campaign_pack, load_campaign, outputs_dir
from services.ceremony import ceremony_of, invitees_of, rules_for
from services.documents import document_url, store_file
from services.errors import OperatorError
from services.honour import honourees_of

BADGES = {
    Category.HONOUREE: "NHẬN KHEN THƯỞNG",
    Category.REPRESENTATIVE: "NHẬN KHEN THƯỞNG",
    Category.LEADERSHIP: "ĐẠI BIỂU",
    Category.UNIT_HEAD: "ĐẠI BIỂU",
    Category.PRESS: "BÁO CHÍ",
    Category.GUEST: "KHÁCH MỜI",
}
COMING = frozenset({SeatState.ATTENDING, SeatState.DEPUTY})


def attendees_file_name(campaign_code: str) -> str:
    return f"danh-sach-dai-bieu-{campaign_code}.xlsx"


def seating_file_name(campaign_code: str) -> str:
    return f"xep-cho-the-dai-bieu-{campaign_code}.xlsx"


class DelegationStatus(BaseModel):
    delegation: str
    invited: int
    attending: int
    deputies: int
    declined: int
    no_answer: int
    waitlisted: int


class CeremonyStatus(BaseModel):
    campaign: str
    conference_date: date
    venue: str
    starts_at: datetime
    capacity: int
    rsvp_cutoff_on: date
    rsvp_open: bool
    listed: int
    invited: int  # emailed an invitation (whatever they answered)
    attending: int  # in person or by deputy
    deputies: int
    declined: int
    no_answer: int
    waitlisted: int
    seats_left: int
    delegations: list[DelegationStatus]
    attendees_url: str | None = None
    seating_url: str | None = None


def _ordered(campaign: Campaign, invitees: list[Invitee]) -> list[Invitee]:
    rules = rules_for(campaign)
    entries = [(i.organisation, rules.rank(i.category), i.row) for i in invitees]
    return [invitees[n] for n in seating_order(entries)]


def _delegations(invitees: list[Invitee]) -> list[DelegationStatus]:
    rows: dict[str, DelegationStatus] = {}
    for i in invitees:
        row = rows.setdefault(i.organisation, DelegationStatus(
            delegation=i.organisation, invited=0, attending=0, deputies=0, declined=0,
            no_answer=0, waitlisted=0,
        ))  # fmt: skip
        row.invited += i.invited_at is not None
        row.attending += i.state in COMING
        row.deputies += i.state == SeatState.DEPUTY
        row.declined += i.state == SeatState.DECLINED
        row.no_answer += i.state == SeatState.INVITED
        row.waitlisted += i.state == SeatState.WAITLISTED
    return list(rows.values())


def _status(
    campaign: Campaign, ceremony: Ceremony, invitees: list[Invitee], now: datetime
) -> CeremonyStatus:
    ordered = _ordered(campaign, invitees)
    held = seats_held(Seat(i.id or 0, i.state, 0, 0) for i in invitees)
    delegations = _delegations(ordered)
    return CeremonyStatus(
        campaign=campaign.code,
        conference_date=campaign.conference_date,
        venue=ceremony.venue,
        starts_at=to_vn(ceremony.starts_at),
        capacity=ceremony.capacity,
        rsvp_cutoff_on=ceremony.rsvp_cutoff_on,
        rsvp_open=rsvp_open(to_vn(now).date(), ceremony.rsvp_cutoff_on),
        listed=len(invitees),
        invited=sum(d.invited for d in delegations),
        attending=sum(d.attending for d in delegations),
        deputies=sum(d.deputies for d in delegations),
        declined=sum(d.declined for d in delegations),
        no_answer=sum(d.no_answer for d in delegations),
        waitlisted=sum(d.waitlisted for d in delegations),
        seats_left=max(ceremony.capacity - held, 0),
        delegations=delegations,
    )


def _require(session: Session, campaign: Campaign) -> Ceremony:
    ceremony = ceremony_of(session, campaign)
    if ceremony is None:
        raise OperatorError(
            "no_ceremony",
            f"Đợt {campaign.code} chưa có Hội nghị biểu dương (chưa mời ai).",
            f"Campaign {campaign.code} has no ceremony yet (nobody invited).",
        )
    return ceremony


def ceremony_status(session: Session, campaign_code: str, now: datetime) -> CeremonyStatus:
    campaign = load_campaign(session, campaign_code)
    ceremony = _require(session, campaign)
    status = _status(campaign, ceremony, invitees_of(session, campaign.id or 0), now)
    return status.model_copy(
        update={
            "attendees_url": document_url(campaign.code, attendees_file_name(campaign.code)),
            "seating_url": document_url(campaign.code, seating_file_name(campaign.code)),
        }
    )


def _row(invitee: Invitee, campaign: Campaign) -> AttendeeRow:
    rules = rules_for(campaign)
    return AttendeeRow(
        delegation=invitee.organisation,
        category=CATEGORY_VI[invitee.category],
        invitee_name=invitee.full_name,
        invitee_position=invitee.position,
        answer=SEAT_STATE_VI[invitee.state],
        attending=invitee.state in COMING,
        attendee_name=invitee.attendee_name or "",
        attendee_position=invitee.attendee_position or "",
        deputy=invitee.state == SeatState.DEPUTY,
        honours=tuple(invitee.honours),
        seat_area=rules.seat_areas[str(invitee.category)],
        badge=BADGES[invitee.category],
    )


class AttendeeDocuments(BaseModel):
    attendees_xlsx: str
    seating_xlsx: str


def write_attendee_documents(
    session: Session, campaign: Campaign, now: datetime
) -> AttendeeDocuments:
    """The attendee list (with the programme) and the seating and badge list, as they stand
    now, written and kept (the same bytes again change nothing)."""
    ceremony = _require(session, campaign)
    invitees = invitees_of(session, campaign.id or 0)
    status = _status(campaign, ceremony, invitees, now)
    rules = rules_for(campaign)
    book = AttendeeBook(
        campaign_name=campaign.name,
        decision_number=campaign.decision_number or "",
        decision_date=campaign.decision_date,
        conference_date=campaign.conference_date,
        starts=f"{to_vn(ceremony.starts_at):%H:%M}",
        venue=ceremony.venue,
        capacity=ceremony.capacity,
        seats_left=status.seats_left,
        rows=[_row(i, campaign) for i in _ordered(campaign, invitees)],
        counts=[DelegationCount(**d.model_dump()) for d in status.delegations],
        programme=[(f"{item.at:%H:%M}", item.vi) for item in rules.programme],
    )
    folder = outputs_dir(campaign.code)
    attendees = write_attendee_xlsx(folder / attendees_file_name(campaign.code), book)
    seating = write_seating_xlsx(folder / seating_file_name(campaign.code), book)
    for path in (attendees, seating):
        store_file(session, campaign, DocumentKind.ATTENDEES, path, now)
    return AttendeeDocuments(attendees_xlsx=str(attendees), seating_xlsx=str(seating))


def ceremonies_answered_since(session: Session, after_event_id: int) -> tuple[list[str], int]:
    """Codes of the campaigns whose invitees answered after ``after_event_id`` (an audit event
    id), and the newest audit event id now (the next call's ``after_event_id``)."""
    return campaigns_with_events_since(
        session,
        after_event_id,
        col(AuditEvent.entity) == AuditEntity.INVITEE,
        col(AuditEvent.action).startswith("rsvp_"),
    )


def ascii_slug(text: str) -> str:
    """A name as file-name letters: "Nguyễn Thị Hương" → "nguyen-thi-huong"."""
    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    letters = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    return "-".join("".join(c if c.isalnum() else " " for c in letters).split())[:60]


class Certificates(BaseModel):
    campaign: str
    files: list[str]
    urls: list[str]


def write_certificates(session: Session, campaign_code: str, now: datetime) -> Certificates:
    """One certificate per honouree of the signed decision (a page per award: a person
    honoured twice gets one document), kept for the operator's area."""
    campaign = load_campaign(session, campaign_code)
    if campaign.decision_number is None or campaign.decision_date is None:
        raise OperatorError(
            "decision_not_signed",
            f"Quyết định của đợt {campaign.code} chưa ký; chưa in giấy khen.",
            f"The decision of {campaign.code} is not signed; no certificates yet.",
        )
    settings = get_settings()
    pack = campaign_pack(campaign)
    honourees = honourees_of(
        session,
        campaign,
        (NominationStatus.APPROVED, NominationStatus.HONOURED),
        campaign.decision_date,
    )
    people: dict[tuple[str, str], list[int]] = {}
    for index, honouree in enumerate(honourees):
        people.setdefault((honouree.unit_code, honouree.nominee_key), []).append(index)
    folder = outputs_dir(campaign.code) / "giay-khen"
    files: list[str] = []
    urls: list[str] = []
    for number, indices in enumerate(people.values(), start=1):
        first = honourees[indices[0]]
        place = first.workplace
        position = ", ".join(p for p in (first.position, place) if p)
        if first.kind == NomineeKind.COLLECTIVE:
            position = place if place.casefold() not in first.full_name.casefold() else ""
        certificate = Certificate(
            recipient=first.full_name,
            position_line=position,
            awards=[
                CertificateAward(
                    honourees[i].award_name,
                    pack.awards[honourees[i].award_code].category == "title",
                )
                for i in indices
            ],
            campaign_name=campaign.name,
            decision_number=campaign.decision_number,
            decision_date=campaign.decision_date,
            signer_line=f"BỘ TRƯỞNG {settings.ministry_name.upper()}",
            signer_block=campaign.decision_signer_title or settings.signature_block_for(),
            signer_name=campaign.decision_signer_name or settings.default_signer,
        )
        name = f"giay-khen-{campaign.code}-{number:03d}-{ascii_slug(first.full_name)}.docx"
        path = write_certificate_docx(folder / name, certificate)
        store_file(session, campaign, DocumentKind.CERTIFICATE, path, now)
        files.append(str(path))
        urls.append(document_url(campaign.code, path.name))
    return Certificates(campaign=campaign.code, files=files, urls=urls)
