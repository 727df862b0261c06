"""The council's e-ballot around the vote: the convocation (meeting, dossier pack, ballot link),
the reminder to members who have not voted, paper ballots of absent members, and the close.

The close is idempotent and all-or-nothing: it marks voting closed, re-stores the sheets under
fresh random keys (``_reseal``), tallies by the existing rules (``services.council``), writes the
minutes and emails every member the result, all in the caller's one transaction; a refused
tally raises and the caller's rollback leaves the ballot open and nothing saved.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import insert
from sqlmodel import Session, col, delete, select

from documents.ballot_pack import PackRow, write_ballot_pack
from documents.nomination_list import ErrorCode, RowError
from documents.nomination_list.errors import ErrorLog
from models import audit
from models.access import LINK_PLACEHOLDER
from models.audit import AuditEntity
from models.ballot import BallotChoice, BallotSheet, CouncilVoting, random_key
from models.campaign import Campaign
from models.clock import VN_TZ, to_vn
from models.council import CouncilMember
from models.document import DocumentKind
from models.nomination import ReviewFinding
from models.outbox import EmailKind
from models.rules.calendar import format_vn_date
from models.settings import get_settings
from notifications.addresses import mailbox
from notifications.attachments import MailAttachment
from notifications.outbox import OutboxItem, enqueue_many, key_for
from notifications.render import render_email
from services.ballot import (
    AlreadyVoted,
    ballot_nominations,
    is_open,
    record_automatic_recusals,
    recusals_of,
    store_sheet,
    voting_of,
)
from services.ballot_tally import voted_members
from services.campaigns import (
    award_names,
    calendar_for,
    campaign_pack,
    check_precondition,
    load_campaign,
    outputs_dir,
)
from services.council import (
    CouncilSummary,
    council_campaign,
    review_unfinished,
    tally_and_record,
)
from services.council_minutes import write_minutes
from services.csv_rows import read_csv_rows, report_empty
from services.documents import store_file
from services.errors import OperatorError

PACK_FILE = "ho-so-trinh-hoi-dong.xlsx"


def ballot_base_url() -> str:
    settings = get_settings()
    if settings.ballot_base_url:
        return settings.ballot_base_url.rstrip("/")
    return settings.door_url("phieu")


def convocation_due_on(session: Session, campaign: Campaign) -> date:
    """The working day the convocation goes: N working days before ``council_on``."""
    days = get_settings().council_convocation_working_days
    return calendar_for(session, campaign).add_working_days(campaign.council_on, -days)


def _members(session: Session, campaign_id: int) -> list[CouncilMember]:
    return list(
        session.exec(
            select(CouncilMember)
            .where(CouncilMember.campaign_id == campaign_id)
            .order_by(col(CouncilMember.id))
        ).all()
    )


def _base_context(campaign: Campaign, member: CouncilMember) -> dict[str, object]:
    settings = get_settings()
    return {
        "ministry_name": settings.ministry_name,
        "department_name": settings.department_name,
        "member_name": member.name,
        "campaign_name": campaign.name,
        "campaign_code": campaign.code,
    }


def _closes_text(voting: CouncilVoting) -> str:
    closes = to_vn(voting.closes_at)
    return f"{closes:%H:%M}, {format_vn_date(closes.date())}"


def _pack(session: Session, campaign: Campaign, now: datetime) -> tuple[Path, int]:
    """Write the dossier pack; returns its path and the number of dossiers."""
    assert campaign.id is not None
    pack = campaign_pack(campaign)
    on_ballot = ballot_nominations(session, campaign.id)
    ids = [n.id for n, _ in on_ballot]
    findings: dict[int, list[ReviewFinding]] = defaultdict(list)
    for finding in session.exec(
        select(ReviewFinding).where(col(ReviewFinding.nomination_id).in_(ids))
    ).all():
        findings[finding.nomination_id].append(finding)
    rows = [
        PackRow(
            unit_name=unit.name,
            full_name=n.full_name,
            awards=award_names(pack, "vi", n.proposed_title, n.proposed_form),
            achievements=n.achievement_summary,
            findings="\n".join(f.message for f in findings[n.id or 0]) or "Đủ điều kiện",
            citations="\n".join(sorted({f.citation for f in findings[n.id or 0] if f.citation})),
        )
        for n, unit in on_ballot
    ]
    path = write_ballot_pack(
        outputs_dir(campaign.code) / "hoi-dong" / PACK_FILE, campaign.name, rows
    )
    # Kept in the database too: the operator downloads it, a worker on another host attaches it.
    store_file(session, campaign, DocumentKind.COUNCIL_PACK, path, now)
    return path, len(rows)


class ConvocationResult(BaseModel):
    members: int
    queued: int
    recusals: int
    dossiers: int
    pack_path: str


def convene(
    session: Session,
    campaign_code: str,
    now: datetime,
    actor: str,
    *,
    early: bool = False,
    force_reason: str | None = None,
) -> ConvocationResult:
    """Open voting (until the end of ``council_on``), record the automatic recusals, write the
    dossier pack and queue each member's convocation with their ballot link. Idempotent: a
    second run queues nothing new. Refused before the due day unless ``early``, and while
    received dossiers await review unless forced with a reason (they would miss the ballot)."""
    campaign = council_campaign(session, campaign_code)
    assert campaign.id is not None
    check_precondition(
        session,
        campaign,
        review_unfinished(session, campaign),
        force_reason=force_reason,
        now=now,
        actor=actor,
    )
    due = convocation_due_on(session, campaign)
    if not early and to_vn(now).date() < due:
        raise OperatorError(
            "convocation_not_due",
            f"Chưa đến ngày gửi giấy mời ({format_vn_date(due)}).",
            f"The convocation is due on {due.isoformat()}.",
        )
    members = _members(session, campaign.id)
    if not members:
        raise OperatorError(
            "council_has_no_members",
            "Hội đồng chưa có thành viên: nhập danh sách bằng 'tonvinh council members import'.",
            "The council has no members: import them with 'tonvinh council members import'.",
        )
    voting = voting_of(session, campaign.id)
    if voting is None:
        closes = datetime.combine(campaign.council_on, time(23, 59, 59), tzinfo=VN_TZ)
        voting = CouncilVoting(campaign_id=campaign.id, opened_at=now, closes_at=closes)
        session.add(voting)
        session.flush()
    recusals = record_automatic_recusals(session, campaign, now)
    path, dossiers = _pack(session, campaign, now)
    relative = path.relative_to(get_settings().output_dir).as_posix()
    url = f"{ballot_base_url()}/{LINK_PLACEHOLDER}"
    items = [
        _member_item(
            campaign,
            member,
            EmailKind.COUNCIL_CONVOCATION,
            {
                **_base_context(campaign, member),
                "council_on_text": format_vn_date(campaign.council_on),
                "closes_text": _closes_text(voting),
                "ballot_url": url,
                "dossiers_count": dossiers,
                "pack_file_name": PACK_FILE,
            },
            attachments=(MailAttachment(relative, PACK_FILE),),
            with_link=True,
        )
        for member in members
        if member.email
    ]
    queued = enqueue_many(session, items, now)
    _audit(
        session,
        campaign,
        now,
        actor,
        "council_convened",
        {"members": len(members), "queued": len(queued), "dossiers": dossiers},
    )
    return ConvocationResult(
        members=len(members),
        queued=len(queued),
        recusals=recusals,
        dossiers=dossiers,
        pack_path=str(path),
    )


def _audit(
    session: Session,
    campaign: Campaign,
    now: datetime,
    actor: str,
    action: str,
    details: dict[str, object],
) -> None:
    """The campaign's audit event for a step of the ballot (counts only: never a choice)."""
    assert campaign.id is not None
    audit.record(
        session,
        at=now,
        actor=actor,
        entity=AuditEntity.CAMPAIGN,
        entity_id=campaign.id,
        campaign_id=campaign.id,
        action=action,
        details=details,
    )


def _member_item(
    campaign: Campaign,
    member: CouncilMember,
    kind: EmailKind,
    context: dict[str, object],
    *,
    attachments: tuple[MailAttachment, ...] = (),
    with_link: bool = False,
) -> OutboxItem:
    assert member.id is not None and member.email is not None
    return OutboxItem(
        # No unit: the tier is the member, so each member's email is queued once.
        key=key_for(campaign.id, None, kind, member.id),
        kind=kind,
        tier=member.id,
        to=[mailbox(member.name, member.email)],
        cc=[],
        rendered=render_email(kind, context, lang="vi"),
        campaign_id=campaign.id,
        link_member_id=member.id if with_link else None,
        attachments=attachments,
    )


def remind_non_voters(session: Session, campaign_code: str, now: datetime) -> int:
    """A working day before the close, one reminder to each member not on the roll (it says
    only that their own ballot has not arrived). Returns how many were queued."""
    campaign = load_campaign(session, campaign_code)
    assert campaign.id is not None
    voting = voting_of(session, campaign.id)
    if not is_open(voting, now):
        return 0
    assert voting is not None
    calendar = calendar_for(session, campaign)
    day_before = calendar.add_working_days(to_vn(voting.closes_at).date(), -1)
    if to_vn(now).date() < day_before:
        return 0
    voted = voted_members(session, campaign.id)
    url = f"{ballot_base_url()}/{LINK_PLACEHOLDER}"
    items = [
        _member_item(
            campaign,
            member,
            EmailKind.COUNCIL_REMINDER,
            {
                **_base_context(campaign, member),
                "closes_text": _closes_text(voting),
                "ballot_url": url,
            },
            with_link=True,
        )
        for member in _members(session, campaign.id)
        if member.email and member.id not in voted
    ]
    return len(enqueue_many(session, items, now))


# --------------------------------------------------------------------------- paper ballots

PAPER_REQUIRED = ("member", "nomination_id", "choice")
AGREE = {"đồng ý", "agree", "1", "x", "có", "yes"}
DISAGREE = {"không đồng ý", "disagree", "0", "không", "no"}


@dataclass(frozen=True)
class PaperBallot:
    member_id: int
    choices: dict[int, bool]


def parse_paper_ballots(
    session: Session, campaign: Campaign, data: bytes, file_name: str
) -> list[PaperBallot]:
    """The secretary's CSV (member name or email, nomination id, choice), validated whole."""
    assert campaign.id is not None
    rows = read_csv_rows(
        data, file_name, required=PAPER_REQUIRED, max_rows=100_000, rows_vi="dòng", rows_en="rows"
    )
    members = _members(session, campaign.id)
    by_key = {m.name.casefold(): m for m in members} | {
        (m.email or "").casefold(): m for m in members if m.email
    }
    on_ballot = {n.id for n, _ in ballot_nominations(session, campaign.id)}
    recused = recusals_of(session, campaign.id)
    voted = voted_members(session, campaign.id)
    errors = ErrorLog()
    choices: dict[int, dict[int, bool]] = defaultdict(dict)

    def problem(row: int, column: str, vi: str, en: str) -> None:
        errors.add(RowError(file_name, row, column, ErrorCode.INVALID, vi, en))

    for number, row in rows:
        if report_empty(errors, file_name, number, row, PAPER_REQUIRED):
            continue
        member = by_key.get(row["member"].casefold())
        if member is None or member.id is None:
            problem(number, "member", "Không phải thành viên Hội đồng", "not a council member")
            continue
        if member.id in voted:
            problem(number, "member", "Thành viên đã bỏ phiếu", "this member already voted")
            continue
        nomination_id = int(row["nomination_id"]) if row["nomination_id"].isdigit() else None
        if nomination_id not in on_ballot or nomination_id is None:
            problem(number, "nomination_id", "Hồ sơ không có trên phiếu", "not on the ballot")
            continue
        if (member.id, nomination_id) in recused:
            problem(
                number,
                "nomination_id",
                "Thành viên không tham gia biểu quyết hồ sơ này",
                "the member is recused on this dossier",
            )
            continue
        word = row["choice"].casefold()
        if word not in AGREE | DISAGREE:
            problem(number, "choice", "Ghi 'đồng ý' hoặc 'không đồng ý'", "agree or disagree")
            continue
        if nomination_id in choices[member.id]:
            problem(number, "nomination_id", "Hồ sơ ghi hai lần", "dossier given twice")
            continue
        choices[member.id][nomination_id] = word in AGREE
    for member_id, given in choices.items():
        missing = on_ballot - set(given) - {n for (m, n) in recused if m == member_id}
        if missing:
            problem(
                0,
                "nomination_id",
                f"Phiếu của thành viên số {member_id} thiếu {len(missing)} hồ sơ",
                f"member {member_id}'s ballot lacks {len(missing)} dossier(s)",
            )
    if errors:
        raise errors.rejection()
    return [PaperBallot(member_id, given) for member_id, given in choices.items()]


def enter_paper_ballots(
    session: Session, campaign_code: str, data: bytes, file_name: str, now: datetime, actor: str
) -> int:
    """Store the paper ballots of absent members (in writing, counted as the rule pack says:
    like any other) while voting is open; returns how many ballots."""
    campaign = load_campaign(session, campaign_code)
    assert campaign.id is not None
    if not is_open(voting_of(session, campaign.id), now):
        raise OperatorError(
            "ballot_not_open",
            "Bỏ phiếu không mở (chưa triệu tập hoặc đã kết thúc).",
            "Voting is not open (not convened, or closed).",
        )
    ballots = parse_paper_ballots(session, campaign, data, file_name)
    for ballot in ballots:
        try:
            store_sheet(
                session,
                campaign.id,
                ballot.member_id,
                ballot.choices,
                receipt=_paper_receipt(),
                in_writing=True,
                now=now,
            )
        except AlreadyVoted:
            raise OperatorError(
                "already_voted",
                "Một thành viên trong tệp vừa bỏ phiếu; không lưu gì.",
                "A member in the file has just voted; nothing was saved.",
            ) from None
    _audit(session, campaign, now, actor, "paper_ballots_entered", {"ballots": len(ballots)})
    return len(ballots)


def _paper_receipt() -> str:
    code = secrets.token_hex(5).upper()
    return f"PB{code[:2]}-{code[2:6]}-{code[6:]}"


# ------------------------------------------------------------------------------- the close


class CloseResult(BaseModel):
    closed_now: bool
    summary: CouncilSummary | None = None
    ballots_cast: int = 0
    recusals: int = 0
    minutes_docx: str = ""
    council_minutes_docx: str = ""


def _reseal(session: Session, campaign_id: int) -> None:
    """Store every sheet and choice again under fresh random keys: on PostgreSQL a row's
    physical place and its inserting transaction id would otherwise follow arrival (and match
    the participation roll's), so after the close they are those of the close for all."""
    sheets = session.exec(select(BallotSheet).where(BallotSheet.campaign_id == campaign_id)).all()
    ids = [s.id for s in sheets]
    choices = session.exec(select(BallotChoice).where(col(BallotChoice.sheet_id).in_(ids))).all()
    picked_of: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    for choice in choices:
        picked_of[choice.sheet_id].append((choice.nomination_id, choice.in_favour))
    kept = [(s.receipt, s.in_writing, picked_of[s.id]) for s in sheets]
    secrets.SystemRandom().shuffle(kept)
    session.exec(delete(BallotChoice).where(col(BallotChoice.sheet_id).in_(ids)))
    session.exec(delete(BallotSheet).where(col(BallotSheet.campaign_id) == campaign_id))
    new_sheets: list[dict[str, object]] = []
    new_choices: list[dict[str, object]] = []
    for receipt, in_writing, picked in kept:
        sheet_id = random_key()
        new_sheets.append(
            {
                "id": sheet_id,
                "campaign_id": campaign_id,
                "receipt": receipt,
                "in_writing": in_writing,
            }
        )
        new_choices.extend(
            {"id": random_key(), "sheet_id": sheet_id, "nomination_id": n, "in_favour": f}
            for n, f in picked
        )
    connection = session.connection()
    if new_sheets:
        connection.execute(insert(BallotSheet), new_sheets)
    if new_choices:
        connection.execute(insert(BallotChoice), new_choices)


def close_voting(session: Session, campaign_code: str, now: datetime, actor: str) -> CloseResult:
    """Close voting and tally (the secretary's command, or the deadline). Idempotent: closing a
    closed ballot changes nothing and says so."""
    campaign = load_campaign(session, campaign_code)
    assert campaign.id is not None
    voting = voting_of(session, campaign.id)
    if voting is None:
        raise OperatorError(
            "ballot_not_open",
            "Hội đồng chưa được triệu tập: chưa có cuộc bỏ phiếu để kết thúc.",
            "The council was not convened: there is no ballot to close.",
        )
    if voting.closed_at is not None:
        return CloseResult(closed_now=False)
    voting.closed_at = now
    voting.closed_by = actor
    session.add(voting)
    _reseal(session, campaign.id)
    summary = tally_and_record(session, campaign, now, actor)
    paths = write_minutes(session, campaign, summary, now)
    ballots = len(voted_members(session, campaign.id))
    recusals = len(recusals_of(session, campaign.id))
    _result_emails(session, campaign, summary, paths[0], now)
    _audit(
        session,
        campaign,
        now,
        actor,
        "council_ballot_closed",
        {"ballots": ballots, "recusals": recusals, "quorum_met": summary.quorum_met},
    )
    return CloseResult(
        closed_now=True,
        summary=summary,
        ballots_cast=ballots,
        recusals=recusals,
        minutes_docx=str(paths[0]),
        council_minutes_docx=str(paths[1]),
    )


def open_votings(session: Session) -> list[tuple[str, datetime]]:
    """(campaign code, closes at) of every ballot not yet closed."""
    return [
        (code, closes_at)
        for code, closes_at in session.exec(
            select(Campaign.code, CouncilVoting.closes_at)
            .join(Campaign, col(Campaign.id) == CouncilVoting.campaign_id)
            .where(col(CouncilVoting.closed_at).is_(None))
        ).all()
    ]


def _result_emails(
    session: Session, campaign: Campaign, summary: CouncilSummary, minutes: Path, now: datetime
) -> None:
    assert campaign.id is not None
    relative = minutes.relative_to(get_settings().output_dir).as_posix()
    results = [
        {
            "full_name": r.full_name,
            "award_name": r.award_name,
            "votes": r.votes_in_favour,
            "denominator": r.members_total,
            "passed": r.selected,
        }
        for r in summary.rows
    ]
    items = [
        _member_item(
            campaign,
            member,
            EmailKind.COUNCIL_MEMBER_RESULT,
            {
                **_base_context(campaign, member),
                "members_total": summary.members_total,
                "members_voting": summary.members_voting,
                "tally": results,
            },
            attachments=(MailAttachment(relative, minutes.name),),
        )
        for member in _members(session, campaign.id)
        if member.email
    ]
    enqueue_many(session, items, now)
