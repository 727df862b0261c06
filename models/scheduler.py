"""The reminder scheduler's job store: APScheduler's own table, declared here so it has one schema
path (our migrations) like every other table.

APScheduler 3.x (``SQLAlchemyJobStore``) reads and writes this table itself and would create it
on first start if it were missing; creating it in a migration instead means the database user
needs no CREATE right at run time, and Alembic's autogenerate sees it as ours instead of proposing
to drop an unknown table. The columns must stay exactly APScheduler's (``id`` Unicode(191),
``next_run_time`` Float(25) indexed, ``job_state`` pickled bytes): never write to it from our
code; ``flows.scheduler`` is its only user.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, LargeBinary, Unicode
from sqlmodel import Field, SQLModel

SCHEDULER_JOBS_TABLE = "apscheduler_jobs"


class SchedulerJob(SQLModel, table=True):
    """One persisted APScheduler job (a planned reminder run); read-only for us."""

    __tablename__ = SCHEDULER_JOBS_TABLE

    id: str = Field(sa_column=Column(Unicode(191), primary_key=True))
    # UTC POSIX timestamp of the next run (APScheduler's representation); NULL when paused.
    next_run_time: float | None = Field(default=None, sa_column=Column(Float(25), index=True))
    job_state: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
