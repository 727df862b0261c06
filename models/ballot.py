"""The council's secret e-ballot (migration 0011): who voted is stored apart from what was chosen.

* ``councilvoting``: one row per campaign: voting open since ``opened_at``, closing at
  ``closes_at`` (the end of ``council_on``) or earlier when the secretary closes (``closed_at``).
* ``ballottoken``: a member's personal ballot link, by the SHA-256 of its token (minted at
  delivery like a unit's link, ``models.access``).
* ``councilparticipation``: the participation roll: which member voted, when, in person (by
  the link) or in writing (a paper ballot the secretary entered). Public within the council.
* ``ballotsheet`` / ``ballotchoice``: what was chosen, with NO member id and NO time; their
  primary keys are random UUIDs and on SQLite the tables are WITHOUT ROWID, so neither a key nor
  the physical order follows arrival. The receipt code lets a member find their own sheet among
  the published codes without anyone else learning which is theirs.
* ``councilrecusal``: a member does not vote on a dossier (own unit, own nomination, declared).

See docs/ballot-secrecy.md for what a database administrator can and cannot learn.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.db import AwareDateTime

# SQLite keeps a hidden ascending rowid per row unless told not to: it would be an arrival order.
_NO_ROWID = {"sqlite_with_rowid": False}


def random_key() -> str:
    """A primary key that says nothing about when its row arrived."""
    return uuid.uuid4().hex


class RecusalReason(StrEnum):
    SAME_UNIT = "same_unit"  # the dossier is from the member's own unit
    OWN_NOMINATION = "own_nomination"  # the member is the nominee
    DECLARED = "declared"  # the member declared a conflict of interest on the ballot page


RECUSAL_REASON_VI = {
    RecusalReason.SAME_UNIT: "không tham gia biểu quyết (cùng đơn vị)",
    RecusalReason.OWN_NOMINATION: "không tham gia biểu quyết (là người được đề nghị)",
    RecusalReason.DECLARED: "không tham gia biểu quyết (tự khai xung đột lợi ích)",
}
RECUSAL_REASON_EN = {
    RecusalReason.SAME_UNIT: "not voting (same unit)",
    RecusalReason.OWN_NOMINATION: "not voting (the nominee)",
    RecusalReason.DECLARED: "not voting (declared conflict of interest)",
}


class CouncilVoting(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", unique=True)
    opened_at: datetime = Field(sa_type=AwareDateTime)
    closes_at: datetime = Field(sa_type=AwareDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    closed_by: str | None = Field(default=None, max_length=255)


class BallotToken(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    member_id: int = Field(foreign_key="councilmember.id", index=True)
    created_at: datetime = Field(sa_type=AwareDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=AwareDateTime)


class CouncilParticipation(SQLModel, table=True):
    """Who voted, and when: one row per member at most (the unique key is what makes a double
    click or two requests at once store one ballot)."""

    __table_args__ = (UniqueConstraint("campaign_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    member_id: int = Field(foreign_key="councilmember.id")
    voted_at: datetime = Field(sa_type=AwareDateTime)
    in_writing: bool = False


class BallotSheet(SQLModel, table=True):
    """One member's ballot, without the member: no member id, no time, a random key."""

    __table_args__ = (UniqueConstraint("campaign_id", "receipt"), _NO_ROWID)

    id: str = Field(default_factory=random_key, primary_key=True, max_length=32)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    receipt: str = Field(max_length=16)
    in_writing: bool = False


class BallotChoice(SQLModel, table=True):
    """Agree or disagree on one dossier, on one sheet (no row for a dossier the member is
    recused on)."""

    __table_args__ = (UniqueConstraint("sheet_id", "nomination_id"), _NO_ROWID)

    id: str = Field(default_factory=random_key, primary_key=True, max_length=32)
    sheet_id: str = Field(foreign_key="ballotsheet.id", index=True, max_length=32)
    nomination_id: int = Field(foreign_key="nomination.id", index=True)
    in_favour: bool


class CouncilRecusal(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("member_id", "nomination_id"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    member_id: int = Field(foreign_key="councilmember.id")
    nomination_id: int = Field(foreign_key="nomination.id")
    # A RecusalReason value, as a plain string column (a PostgreSQL enum type would need a
    # migration for each new reason).
    reason: str = Field(max_length=16)
    recorded_at: datetime = Field(sa_type=AwareDateTime)
