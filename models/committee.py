"""The organising committee's tasks for the ceremony, and the owners' link tokens.

A task is one row of the department's plan (``models.rules.committee_plan``) imported for a
campaign: what, which unit owns it, who answers for it, its due day, the tasks it waits for, and
what the owner said through the link (done, a problem, a request for more time).

The owner's link works like a unit's (``models.access``): 256 random bits, only its SHA-256
stored, minted when the email is sent (``outboxmessage.link_task_id``). A separate table, not a
new purpose in ``accesstoken``: that table's ``campaign_unit_id`` is required and every unit
query would have to learn to skip task rows; here a unit's token cannot open a task, nor a
task's token a unit, by construction (they are looked up in different tables).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Connection, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.access import mint_token
from models.db import AwareDateTime


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    PROBLEM = "problem"  # the owner reported a problem (free text); still not done
    EXTENSION_REQUESTED = "extension_requested"  # asked for a later due day; still not done


TASK_STATUS_VI = {
    TaskStatus.OPEN: "Đang thực hiện",
    TaskStatus.DONE: "Đã hoàn thành",
    TaskStatus.PROBLEM: "Có vướng mắc",
    TaskStatus.EXTENSION_REQUESTED: "Xin gia hạn",
}
TASK_STATUS_EN = {
    TaskStatus.OPEN: "In progress",
    TaskStatus.DONE: "Done",
    TaskStatus.PROBLEM: "Problem reported",
    TaskStatus.EXTENSION_REQUESTED: "Extension requested",
}


class CommitteeTask(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("campaign_id", "key", name="uq_committeetask_key"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    key: str = Field(max_length=40)
    title: str = Field(max_length=255)
    owner_unit_id: int = Field(foreign_key="unit.id")
    contact_name: str = Field(max_length=255)
    contact_email: str = Field(max_length=254)
    # As the plan wrote it (N working days before the conference, or a date), and resolved.
    due_working_days_before: int | None = None
    planned_due_on: date | None = None
    due_on: date  # the day it is due now: resolved from the plan, or moved by an extension
    depends_on: list[str] = Field(default_factory=list, sa_type=JSON)
    position: int = 0  # order in the plan file
    status: TaskStatus = Field(default=TaskStatus.OPEN, max_length=24)
    done_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    problem: str | None = None
    extension_until: date | None = None
    extension_reason: str | None = None
    last_nudge_tier: int = 0
    assigned_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    updated_at: datetime = Field(sa_type=AwareDateTime)


class TaskToken(SQLModel, table=True):
    """One task link token, by its hash."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    committee_task_id: int = Field(foreign_key="committeetask.id", index=True)
    created_at: datetime = Field(sa_type=AwareDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=AwareDateTime)


def mint_task_token(connection: Connection, committee_task_id: int, now: datetime) -> str:
    """A fresh token for a task's link (``models.access.mint_token``)."""
    return mint_token(connection, TaskToken, now, committee_task_id=committee_task_id)
