"""The council (Hội đồng Thi đua – Khen thưởng): members, ballots (absentees vote in writing), and
the statutory tally, all in the caller's one transaction."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import cast

from pydantic import BaseModel
from sqlalchemy import Table, insert, inspect, tuple_
from sqlmodel import Session, col, delete, func, select

from models import audit
from models.audit import AuditEntity
from models.campaign import Campaign, CampaignStage
from models.council import (
    Approval,
    ApprovalDecision,
    Ballot,
    CouncilMember,
    CouncilMemberCreate,
    CouncilResult,
    CouncilRole,
)
from models.nomination import Nomination, NominationStatus
from models.outbox import EmailKind
from models.rules.eligibility import RulePack
from models.rules.tally import (
    CouncilNominee,
    CouncilSeat,
    TallyOutcome,
    Vote,
    tally_nominations,
)
from services.ballot_tally import recused_pairs, secret_votes, voted_members
from services.campaigns import campaign_pack, check_precondition, load_campaign, set_stage
from services.errors import OperatorError
from services.letters import enqueue_per_unit
from services.nominations import Transition, move_nominations

_BALLOTS = cast(Table, inspect(Ballot).local_table)


class BallotInput(BaseModel):
    """One member's vote on one nomination, as the council secretary records it."""

    nomination_id: int
    member_name: str
    in_favour: bool
    in_writing: bool = False
    # Where the secretary sees it (the CSV line), for refusals; None: its place in the list.
    line: int | None = None


def council_round(session: Session, campaign_id: int) -> int:
    """How many times leadership returned the list to the council (0 for the first tally).

    The results of each round are new news for the units: the round is the tier of the council
    and approval result emails, so the outbox key of a second round's email differs from the
    first's and is sent, not skipped as already queued.
    """
    statement = (
        select(func.count())
        .select_from(Approval)
        .where(Approval.campaign_id == campaign_id, Approval.decision == ApprovalDecision.RETURN)
    )
    return int(session.exec(statement).one())


def _members(session: Session, campaign_id: int) -> dict[str, CouncilMember]:
    return {
        m.name: m
        for m in session.exec(
            select(CouncilMember).where(CouncilMember.campaign_id == campaign_id)
        ).all()
    }


def register_council(
    session: Session,
    campaign: Campaign,
    members: list[CouncilMemberCreate],
    now: datetime,
    actor: str,
) -> int:
    """Record the council's membership (idempotent by name); exactly one chair."""
    if members and sum(1 for m in members if m.role is CouncilRole.CHAIR) != 1:
        raise OperatorError(
            "one_chair_required",
            "Hội đồng phải có đúng một Chủ tịch.",
            "The council needs exactly one chair.",
        )
    assert campaign.id is not None
    known = _members(session, campaign.id)
    added = 0
    for member in members:
        if member.name in known:
            continue
        row = CouncilMember.model_validate(member, update={"campaign_id": campaign.id})
        session.add(row)
        session.flush()
        assert row.id is not None
        audit.record(
            session,
            at=now,
            actor=actor,
            entity=AuditEntity.COUNCIL_MEMBER,
            entity_id=row.id,
            campaign_id=campaign.id,
            action="appointed",
            to_state=member.role,
        )
        added += 1
    return added


def record_ballots(
    session: Session, campaign: Campaign, ballots: list[BallotInput], now: datetime
) -> int:
    """Store votes; a member's later vote on the same dossier replaces the earlier one."""
    assert campaign.id is not None
    members = _members(session, campaign.id)
    eligible = set(
        session.exec(
            select(Nomination.id).where(
                Nomination.campaign_id == campaign.id,
                Nomination.status == NominationStatus.ELIGIBLE,
            )
        ).all()
    )
    on_roll = voted_members(session, campaign.id)
    problems: list[tuple[str, str]] = []
    for index, ballot in enumerate(ballots, start=1):
        where_vi = f"Dòng {ballot.line}" if ballot.line else f"Phiếu {index}"
        where_en = f"Line {ballot.line}" if ballot.line else f"Ballot {index}"
        if ballot.member_name not in members:
            problems.append(
                (
                    f"{where_vi}: '{ballot.member_name}' không phải thành viên Hội đồng.",
                    f"{where_en}: '{ballot.member_name}' is not a council member.",
                )
            )
        elif members[ballot.member_name].id in on_roll:
            problems.append(
                (
                    f"{where_vi}: '{ballot.member_name}' đã bỏ phiếu kín; không ghi thêm phiếu.",
                    f"{where_en}: '{ballot.member_name}' already cast a secret ballot.",
                )
            )
        if ballot.nomination_id not in eligible:
            problems.append(
                (
                    f"{where_vi}: hồ sơ số {ballot.nomination_id} không ở trạng thái đủ điều kiện.",
                    f"{where_en}: nomination {ballot.nomination_id} is not eligible for "
                    "the council.",
                )
            )
    if problems:
        raise OperatorError(
            "ballots_refused",
            "\n".join(vi for vi, _ in problems),
            "\n".join(en for _, en in problems),
            count=len(problems),
        )
    # The last vote of a member on a dossier wins, within this batch and over earlier ones.
    # Set-based: one DELETE per 500 (dossier, member) pairs and one multi-row INSERT, not a
    # statement per vote (a national council casts ~750,000; see BENCHMARKS.md).
    latest: dict[tuple[int, int], BallotInput] = {}
    for ballot in ballots:
        member_id = members[ballot.member_name].id
        assert member_id is not None
        latest[(ballot.nomination_id, member_id)] = ballot
    pairs = list(latest)
    connection = session.connection()
    for first in range(0, len(pairs), 500):
        connection.execute(
            delete(_BALLOTS).where(
                tuple_(_BALLOTS.c.nomination_id, _BALLOTS.c.member_id).in_(
                    pairs[first : first + 500]
                )
            )
        )
    rows = [
        {
            "campaign_id": campaign.id,
            "nomination_id": nomination_id,
            "member_id": member_id,
            "in_favour": ballot.in_favour,
            "in_writing": ballot.in_writing,
            "recorded_at": now,
        }
        for (nomination_id, member_id), ballot in latest.items()
    ]
    for first in range(0, len(rows), 5000):
        connection.execute(insert(_BALLOTS), rows[first : first + 5000])
    return len(ballots)


def _tally(
    session: Session, campaign: Campaign, pack: RulePack
) -> tuple[TallyOutcome, dict[int, Nomination]]:
    assert campaign.id is not None
    members = list(_members(session, campaign.id).values())
    candidates = {
        n.id: n
        for n in session.exec(
            select(Nomination).where(
                Nomination.campaign_id == campaign.id,
                Nomination.status == NominationStatus.ELIGIBLE,
            )
        ).all()
        if n.id is not None
    }
    # Plain columns: ~750,000 ballots at national scale, too many to build as ORM objects.
    votes = [
        Vote(nomination_id, member_id, in_favour, in_writing)
        for nomination_id, member_id, in_favour, in_writing in session.exec(
            select(
                Ballot.nomination_id, Ballot.member_id, Ballot.in_favour, Ballot.in_writing
            ).where(Ballot.campaign_id == campaign.id)
        ).all()
        if nomination_id in candidates
    ]
    secret = secret_votes(session, campaign.id)
    votes.extend(v for v in secret if v.nomination_id in candidates)
    recused: dict[int, int] = defaultdict(int)
    for _member_id, nomination_id in recused_pairs(session, campaign.id):
        recused[nomination_id] += 1
    try:
        outcome = tally_nominations(
            # A secret ballot hides the chair's vote, so the chair's casting vote in a tie is
            # not inferred from it: a tie at a quota's line waits for the chair's open decision.
            [CouncilSeat(m.id or 0, m.role is CouncilRole.CHAIR and not secret) for m in members],
            votes,
            [
                CouncilNominee(n_id, n.proposed_title, n.proposed_form, n.gender, n.women_share)
                for n_id, n in candidates.items()
            ],
            campaign.quotas,
            pack,
            recused=recused,
        )
    except ValueError as refused:  # the rule's "Vietnamese / English" reason
        vi, _, en = str(refused).partition(" / ")
        raise OperatorError("tally_refused", vi, en or vi) from None
    return outcome, candidates


class TallyRow(BaseModel):
    """One result of the tally as the council's table shows it."""

    nomination_id: int
    full_name: str
    award_code: str
    award_name: str
    votes_in_favour: int
    members_total: int
    threshold: float
    threshold_mark: str
    selected: bool
    note: str


class CouncilSummary(BaseModel):
    """What the tally found, and the unconfirmed rule values it relied on."""

    quorum_met: bool
    members_total: int
    members_voting: int
    passed: int = 0
    not_passed: int = 0
    unresolved_ties: list[int] = []
    unconfirmed: list[str] = []
    rows: list[TallyRow] = []


def tally_and_record(
    session: Session, campaign: Campaign, now: datetime, actor: str
) -> CouncilSummary:
    """Count the votes by the rule pack's thresholds and write each result with its figures."""
    assert campaign.id is not None
    set_stage(session, campaign, CampaignStage.COUNCIL, now, actor)
    pack = campaign_pack(campaign)
    outcome, candidates = _tally(session, campaign, pack)
    summary = CouncilSummary(
        quorum_met=outcome.quorum_met,
        members_total=outcome.members_total,
        members_voting=outcome.members_voting,
        unresolved_ties=list(outcome.unresolved_ties),
        # The tally relied on these values; an unconfirmed one is said with its override key.
        unconfirmed=pack.unconfirmed_notes(
            {r.award_code for r in outcome.results}, topics=["council", "threshold"]
        ),
    )
    if not outcome.quorum_met:
        return summary
    session.exec(delete(CouncilResult).where(col(CouncilResult.campaign_id) == campaign.id))
    session.add_all(
        CouncilResult(
            campaign_id=campaign.id,
            nomination_id=result.nomination_id,
            award_code=result.award_code,
            votes_in_favour=result.votes_in_favour,
            members_total=result.members_total,
            threshold=result.threshold,
            above_threshold=result.above_threshold,
            selected=result.selected,
            rank=result.rank,
            note=result.note,
        )
        for result in outcome.results
    )
    names = {code: award.name_vi for code, award in pack.awards.items()}
    transitions: list[Transition] = []
    for decided in outcome.by_nomination():
        if not decided.decided:
            continue  # stays eligible until the chair decides
        if decided.passed:
            summary.passed += 1
        else:
            summary.not_passed += 1
        transitions.append(
            Transition(
                candidates[decided.nomination_id],
                NominationStatus.PASSED if decided.passed else NominationStatus.NOT_PASSED,
                reason=decided.note(names),
                details={
                    "awarded": list(decided.awarded),
                    "votes": {
                        r.award_code: f"{r.votes_in_favour}/{r.members_total}"
                        for r in decided.results
                    },
                },
            )
        )
    move_nominations(
        session, transitions, now=now, actor=actor, action="council_tally", campaign_id=campaign.id
    )
    summary.rows = [
        TallyRow(
            nomination_id=r.nomination_id,
            full_name=candidates[r.nomination_id].full_name,
            award_code=r.award_code,
            award_name=names.get(r.award_code, r.award_code),
            votes_in_favour=r.votes_in_favour,
            members_total=r.members_total,
            threshold=r.threshold,
            threshold_mark=pack.threshold_mark(r.award_code),
            selected=r.selected,
            note=r.note,
        )
        for r in outcome.results
    ]
    if not outcome.unresolved_ties:
        round_ = council_round(session, campaign.id)
        enqueue_per_unit(
            session,
            kind=EmailKind.COUNCIL_RESULT,
            campaign=campaign,
            nominations=candidates.values(),
            now=now,
            tier_of=lambda _unit_id: round_,
            describe=lambda mine: {
                "results": [
                    {"full_name": n.full_name, "passed": n.status is NominationStatus.PASSED}
                    for n in mine
                ]
            },
        )
        set_stage(session, campaign, CampaignStage.APPROVAL, now, actor)
    return summary


def review_unfinished(session: Session, campaign: Campaign) -> OperatorError | None:
    waiting = session.exec(
        select(func.count()).where(
            Nomination.campaign_id == campaign.id,
            Nomination.status == NominationStatus.SUBMITTED,
        )
    ).one()
    if not waiting:
        return None
    return OperatorError(
        "review_unfinished",
        f"Còn {waiting} hồ sơ đã nhận nhưng chưa thẩm định.",
        f"{waiting} dossier(s) received but not yet reviewed.",
        waiting=int(waiting),
    )


def council_campaign(session: Session, campaign_code: str) -> Campaign:
    """The campaign, refused unless it is at review or council (where the council may sit)."""
    campaign = load_campaign(session, campaign_code)
    if campaign.stage not in (CampaignStage.REVIEW, CampaignStage.COUNCIL):
        raise OperatorError(
            "stage_not_council",
            f"Đợt {campaign.code} đang ở giai đoạn '{campaign.stage}', chưa họp Hội đồng được.",
            f"Campaign {campaign.code} is at stage '{campaign.stage}'; the council cannot sit.",
            stage=str(campaign.stage),
        )
    return campaign


def hold_council(
    session: Session,
    campaign_code: str,
    members: list[CouncilMemberCreate],
    ballots: list[BallotInput],
    now: datetime,
    actor: str,
    *,
    force_reason: str | None = None,
) -> CouncilSummary:
    """Members, ballots and the tally in the caller's one transaction: a refused ballot or tally
    (or one without quorum) leaves the members and ballots unsaved too. The council meets once
    review is done (no dossier received and not yet reviewed), unless forced with a reason."""
    campaign = council_campaign(session, campaign_code)
    check_precondition(
        session,
        campaign,
        review_unfinished(session, campaign),
        force_reason=force_reason,
        now=now,
        actor=actor,
    )
    # A savepoint: a tally without quorum (or refused) leaves neither members nor ballots saved.
    savepoint = session.begin_nested()
    register_council(session, campaign, members, now, actor)
    record_ballots(session, campaign, ballots, now)
    summary = tally_and_record(session, campaign, now, actor)
    if summary.quorum_met:
        savepoint.commit()
    else:
        savepoint.rollback()
    return summary
