"""What the tally reads of the secret e-ballot: the choices as votes, the recusals, the roll.

A secret sheet has no member. The tally (``models.rules.tally``) counts votes per member id for
its quorum and refuses a member voting twice, so each sheet is given the id of one member on the
participation roll, paired at random: the roll and the sheets have the same size (both are
written in one transaction), so the quorum counts exactly the members who voted, and the pairing
says nothing (it is drawn afresh at every tally and never stored).
"""

from __future__ import annotations

import secrets
from collections import defaultdict

from sqlmodel import Session, col, select

from models.ballot import BallotChoice, BallotSheet, CouncilParticipation, CouncilRecusal
from models.rules.tally import Vote


def voted_members(session: Session, campaign_id: int) -> set[int]:
    """Members on the participation roll (voted by their link, or in writing)."""
    return set(
        session.exec(
            select(CouncilParticipation.member_id).where(
                CouncilParticipation.campaign_id == campaign_id
            )
        ).all()
    )


def recused_pairs(session: Session, campaign_id: int) -> list[tuple[int, int]]:
    """(member id, nomination id) of every recusal."""
    return [
        (member_id, nomination_id)
        for member_id, nomination_id in session.exec(
            select(CouncilRecusal.member_id, CouncilRecusal.nomination_id).where(
                CouncilRecusal.campaign_id == campaign_id
            )
        ).all()
    ]


def secret_votes(session: Session, campaign_id: int) -> list[Vote]:
    """Every choice of every secret sheet as a tally vote (see the module's note on ids)."""
    choices: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    in_writing: dict[str, bool] = {}
    for sheet_id, written, nomination_id, in_favour in session.exec(
        select(
            BallotSheet.id,
            BallotSheet.in_writing,
            BallotChoice.nomination_id,
            BallotChoice.in_favour,
        )
        .join(BallotChoice, col(BallotChoice.sheet_id) == BallotSheet.id, isouter=True)
        .where(BallotSheet.campaign_id == campaign_id)
    ).all():
        in_writing[sheet_id] = written
        if nomination_id is not None and in_favour is not None:
            choices[sheet_id].append((nomination_id, in_favour))
    roll = sorted(voted_members(session, campaign_id))
    sheets = list(in_writing)
    if len(roll) != len(sheets):  # cannot happen: both are written in one transaction
        raise RuntimeError("participation roll and ballot sheets differ in number")
    pairing = roll[:]
    secrets.SystemRandom().shuffle(pairing)
    return [
        Vote(nomination_id, member_id, in_favour, in_writing[sheet_id])
        for sheet_id, member_id in zip(sheets, pairing, strict=True)
        for nomination_id, in_favour in choices[sheet_id]
    ]
