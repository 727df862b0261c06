"""The approving leader's link: one invitation per paused approval run, its tokens by hash.

When the approval flow pauses, it invites the approving leader (``services.leadership``): one
``LeaderInvite`` bound to the campaign and to that flow run. The email carries
``models.access.LINK_PLACEHOLDER``; delivery mints a token for the invite (``mint_leader_token``)
into the outgoing copy only, exactly like a unit's link, so the database holds only
``sha256(token)``. The invite is single-use: ``used_at`` is set, by a guarded row update, in the
same transaction that resumes the run; it also closes when the run stops being paused (the
pause's own timeout, or an answer through the Prefect UI), which the portal asks Prefect.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection
from sqlmodel import Field, SQLModel

from models.access import mint_token
from models.db import AwareDateTime


class LeaderInvite(SQLModel, table=True):
    """The approving leader asked to decide one paused approval run of one campaign."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    # The paused Prefect run the answer resumes (a UUID); one invite per run, so a run started
    # again from the top after a suspension finds its invite instead of inviting twice.
    flow_run_id: str = Field(max_length=64, unique=True)
    approver_name: str = Field(max_length=255)
    approver_title: str = Field(default="", max_length=255)
    approver_email: str = Field(max_length=254)
    # The moment the flow asked (the campaign clock): the draft decision is dated from it.
    created_at: datetime = Field(sa_type=AwareDateTime)
    # Set once, by the submission that resumed the run: the link is single-use.
    used_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    used_decision: str | None = Field(default=None, max_length=8)


class LeaderToken(SQLModel, table=True):
    """One link token of an invite, by its SHA-256 (a new one per email sent)."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    invite_id: int = Field(foreign_key="leaderinvite.id", index=True)
    created_at: datetime = Field(sa_type=AwareDateTime)


def mint_leader_token(connection: Connection, invite_id: int, now: datetime) -> str:
    """A fresh token for the leader's link (``models.access.mint_token``)."""
    return mint_token(connection, LeaderToken, now, invite_id=invite_id)
