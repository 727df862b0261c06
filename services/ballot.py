"""The council's secret e-ballot: a member's link, their ballot, casting it once, paper ballots.

What is chosen (``BallotSheet``/``BallotChoice``) never carries who chose it: the member's row
goes to the participation roll (``CouncilParticipation``) in the same transaction, and the
sheet gets a random key and no time. The receipt code a member sees is an HMAC of a random value
their form carried (``receipt_seed``), so the same form sent twice shows the same receipt while
nothing stored ties the receipt to the member. See docs/ballot-secrecy.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.access import hash_token
from models.ballot import (
    BallotChoice,
    BallotSheet,
    BallotToken,
    CouncilParticipation,
    CouncilRecusal,
    CouncilVoting,
    RecusalReason,
)
from models.campaign import Campaign
from models.clock import to_vn
from models.council import CouncilMember
from models.nomination import Nomination, NominationStatus, NomineeKind
from models.secret_key import secret_key
from models.settings import get_settings
from models.unit import Unit
from services.campaigns import award_names, campaign_pack
from services.errors import OperatorError


@dataclass(frozen=True)
class BallotLink:
    """What a ballot token opens: one member's ballot in one campaign."""

    token_id: int
    member_id: int
    campaign_id: int


class BallotDossier(BaseModel):
    nomination_id: int
    unit_name: str
    full_name: str
    awards_vi: str
    awards_en: str
    achievement_summary: str
    recusal: RecusalReason | None = None


class QuotaNote(BaseModel):
    """An award with more candidates on the ballot than its quota: the tally keeps the most
    agreed, then the rule pack's tie-breaks; the page says so before the member votes."""

    award_vi: str
    award_en: str
    quota: int
    candidates: int


class BallotPage(BaseModel):
    member_name: str
    campaign_name: str
    campaign_code: str
    council_on: str
    closes_at: datetime
    is_open: bool
    voted_at: datetime | None
    dossiers: list[BallotDossier]
    quotas: list[QuotaNote] = []


def _name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def voting_of(session: Session, campaign_id: int) -> CouncilVoting | None:
    return session.exec(
        select(CouncilVoting).where(CouncilVoting.campaign_id == campaign_id)
    ).first()


def is_open(voting: CouncilVoting | None, now: datetime) -> bool:
    """Voting is open from the convocation until the secretary closes it or ``closes_at``."""
    return voting is not None and voting.closed_at is None and to_vn(now) <= to_vn(voting.closes_at)


def open_ballot_link(session: Session, token: str, now: datetime) -> BallotLink | None:
    """The member's ballot a token opens, or None (unknown, revoked or malformed token). Whether
    voting is still open is the page's to say: the member learns it is closed, a stranger a 404."""
    if not token or len(token) > 128:
        return None
    row = session.exec(
        select(BallotToken).where(BallotToken.token_hash == hash_token(token))
    ).first()
    if row is None or row.id is None or row.revoked_at is not None:
        return None
    member = session.get(CouncilMember, row.member_id)
    if member is None or member.id is None:
        return None
    return BallotLink(row.id, member.id, member.campaign_id)


def ballot_nominations(session: Session, campaign_id: int) -> list[tuple[Nomination, Unit]]:
    """The dossiers on the ballot: every eligible one, by unit and list order."""
    return [
        (n, u)
        for n, u in session.exec(
            select(Nomination, Unit)
            .join(Unit, col(Unit.id) == Nomination.unit_id)
            .where(
                Nomination.campaign_id == campaign_id,
                Nomination.status == NominationStatus.ELIGIBLE,
            )
            .order_by(col(Unit.code), col(Nomination.row_number), col(Nomination.id))
        ).all()
    ]


def recusals_of(session: Session, campaign_id: int) -> dict[tuple[int, int], RecusalReason]:
    """(member id, nomination id) → why the member does not vote on that dossier."""
    return {
        (r.member_id, r.nomination_id): RecusalReason(r.reason)
        for r in session.exec(
            select(CouncilRecusal).where(CouncilRecusal.campaign_id == campaign_id)
        ).all()
    }


def record_automatic_recusals(session: Session, campaign: Campaign, now: datetime) -> int:
    """Recuse each member on their own nomination and on their unit's dossiers (idempotent)."""
    assert campaign.id is not None
    known = recusals_of(session, campaign.id)
    members = session.exec(
        select(CouncilMember).where(CouncilMember.campaign_id == campaign.id)
    ).all()
    added = 0
    for nomination, unit in ballot_nominations(session, campaign.id):
        for member in members:
            assert member.id is not None and nomination.id is not None
            reason: RecusalReason | None = None
            if nomination.kind is NomineeKind.INDIVIDUAL and _name_key(
                nomination.full_name
            ) == _name_key(member.name):
                reason = RecusalReason.OWN_NOMINATION
            elif member.unit_code and member.unit_code == unit.code:
                reason = RecusalReason.SAME_UNIT
            if reason is None or (member.id, nomination.id) in known:
                continue
            session.add(
                CouncilRecusal(
                    campaign_id=campaign.id,
                    member_id=member.id,
                    nomination_id=nomination.id,
                    reason=reason,
                    recorded_at=now,
                )
            )
            added += 1
    session.flush()
    return added


def ballot_page(session: Session, link: BallotLink, now: datetime) -> BallotPage:
    campaign = session.get(Campaign, link.campaign_id)
    member = session.get(CouncilMember, link.member_id)
    assert campaign is not None and member is not None
    voting = voting_of(session, link.campaign_id)
    participation = session.exec(
        select(CouncilParticipation).where(
            CouncilParticipation.campaign_id == link.campaign_id,
            CouncilParticipation.member_id == link.member_id,
        )
    ).first()
    recused = recusals_of(session, link.campaign_id)
    pack = campaign_pack(campaign)
    on_ballot = ballot_nominations(session, link.campaign_id)
    dossiers = [
        BallotDossier(
            nomination_id=n.id or 0,
            unit_name=u.name,
            full_name=n.full_name,
            awards_vi=award_names(pack, "vi", n.proposed_title, n.proposed_form),
            awards_en=award_names(pack, "en", n.proposed_title, n.proposed_form),
            achievement_summary=n.achievement_summary,
            recusal=recused.get((link.member_id, n.id or 0)),
        )
        for n, u in ballot_nominations(session, link.campaign_id)
    ]
    return BallotPage(
        quotas=_quota_notes(campaign, [n for n, _ in on_ballot]),
        member_name=member.name,
        campaign_name=campaign.name,
        campaign_code=campaign.code,
        council_on=campaign.council_on.strftime("%d/%m/%Y"),
        closes_at=voting.closes_at if voting else now,
        is_open=is_open(voting, now),
        voted_at=participation.voted_at if participation else None,
        dossiers=dossiers,
    )


def _quota_notes(campaign: Campaign, nominations: list[Nomination]) -> list[QuotaNote]:
    pack = campaign_pack(campaign)
    proposed: dict[str, int] = {}
    for nomination in nominations:
        for text in {nomination.proposed_title, nomination.proposed_form} - {None, ""}:
            assert text is not None
            award = pack.awards.get(text) or pack.award_by_name(text)
            if award is not None:
                proposed[award.code] = proposed.get(award.code, 0) + 1
    return [
        QuotaNote(
            award_vi=pack.awards[code].name_vi,
            award_en=pack.awards[code].name_en,
            quota=quota,
            candidates=proposed[code],
        )
        for code, quota in sorted(campaign.quotas.items())
        if code in pack.awards and proposed.get(code, 0) > quota
    ]


def receipt_code(seed: str) -> str:
    """The receipt a form's random seed gives: 12 characters a member can read back, in groups."""
    digest = hmac.new(
        secret_key(get_settings()), f"ballot-receipt|{seed}".encode(), hashlib.sha256
    ).digest()
    code = base64.b32encode(digest[:10]).decode().rstrip("=")[:12]
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


class AlreadyVoted(Exception):
    """The member is on the participation roll already: nothing more is stored."""


class VotingClosed(Exception):
    """The ballot is not (or no longer) open."""


_member_locks: dict[int, threading.Lock] = {}
_member_locks_guard = threading.Lock()


@contextmanager
def one_ballot_at_a_time(member_id: int) -> Iterator[None]:
    """Within this process, one cast per member at a time (a double click waits for the first
    click, then finds the member on the roll); the unique roll key does it across processes."""
    with _member_locks_guard:
        lock = _member_locks.setdefault(member_id, threading.Lock())
    with lock:
        yield


def store_sheet(
    session: Session,
    campaign_id: int,
    member_id: int,
    choices: Mapping[int, bool],
    *,
    receipt: str,
    in_writing: bool,
    now: datetime,
) -> None:
    """The roll row and the anonymous sheet, in the caller's transaction. The roll row goes
    first and is flushed: a second ballot of the same member fails on the unique key."""
    session.add(
        CouncilParticipation(
            campaign_id=campaign_id, member_id=member_id, voted_at=now, in_writing=in_writing
        )
    )
    try:
        session.flush()
    except IntegrityError:
        raise AlreadyVoted() from None
    sheet = BallotSheet(campaign_id=campaign_id, receipt=receipt, in_writing=in_writing)
    session.add(sheet)
    session.flush()
    session.add_all(
        BallotChoice(sheet_id=sheet.id, nomination_id=nomination_id, in_favour=in_favour)
        for nomination_id, in_favour in choices.items()
    )
    session.flush()


def cast_ballot(
    session: Session,
    link: BallotLink,
    choices: Mapping[int, bool | None],
    declared: set[int],
    receipt_seed: str,
    now: datetime,
) -> str:
    """Store the member's ballot once; returns its receipt code. ``choices`` maps each dossier
    to agree/disagree (None: not answered); ``declared`` the dossiers the member declares a
    conflict of interest on. Refuses an incomplete ballot (OperatorError naming the dossiers),
    a closed one (VotingClosed) and a second one (AlreadyVoted)."""
    if not is_open(voting_of(session, link.campaign_id), now):
        raise VotingClosed()
    already = session.exec(
        select(CouncilParticipation.id).where(
            CouncilParticipation.campaign_id == link.campaign_id,
            CouncilParticipation.member_id == link.member_id,
        )
    ).first()
    if already is not None:
        raise AlreadyVoted()
    recused = {n for (m, n) in recusals_of(session, link.campaign_id) if m == link.member_id}
    on_ballot = ballot_nominations(session, link.campaign_id)
    missing: list[str] = []
    final: dict[int, bool] = {}
    for nomination, _unit in on_ballot:
        assert nomination.id is not None
        if nomination.id in recused or nomination.id in declared:
            continue
        answer = choices.get(nomination.id)
        if answer is None:
            missing.append(nomination.full_name)
        else:
            final[nomination.id] = answer
    if missing:
        raise OperatorError(
            "ballot_incomplete",
            "Chưa chọn Đồng ý hoặc Không đồng ý cho: " + "; ".join(missing) + ".",
            "Choose agree or disagree for: " + "; ".join(missing) + ".",
            missing=len(missing),
        )
    for nomination_id in sorted(declared - recused):
        if any(n.id == nomination_id for n, _ in on_ballot):
            session.add(
                CouncilRecusal(
                    campaign_id=link.campaign_id,
                    member_id=link.member_id,
                    nomination_id=nomination_id,
                    reason=RecusalReason.DECLARED,
                    recorded_at=now,
                )
            )
    receipt = receipt_code(receipt_seed)
    store_sheet(
        session,
        link.campaign_id,
        link.member_id,
        final,
        receipt=receipt,
        in_writing=False,
        now=now,
    )
    return receipt


def receipt_recorded(session: Session, campaign_id: int, receipt: str) -> bool:
    """Whether a receipt code is among the stored sheets (says nothing about whose it is)."""
    cleaned = receipt.strip().upper()
    return (
        session.exec(
            select(BallotSheet.id).where(
                BallotSheet.campaign_id == campaign_id, BallotSheet.receipt == cleaned
            )
        ).first()
        is not None
    )
