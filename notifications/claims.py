"""Checked claims on outbox rows: whose rows these are, until when, and proof before each write.

A runner takes a batch of due rows by writing a random **claim token** (one per batch) and a
**lease** on them: ``claim_token``, ``claimed_at``, ``claim_expires_at``. Other runners skip a
row while its lease runs; an expired lease makes the row claimable again (its runner died).

* Every outcome is written ``WHERE id = … AND claim_token = …``: a runner that lost a row
  writes nothing over the outcome of the runner that took it over, and learns it lost it.
* Before each message the runner makes sure the lease still covers a reconnect and the whole
  message (both bounded by deadlines, ``notifications.deadline``), renewing the lease of the
  rows it still holds when it does not. A healthy batch therefore keeps its rows however long
  it runs, and a renewal that finds fewer rows than it holds means a row was lost: the runner
  stops sending the batch.
* A batch that stops early releases the rows it did not get to (token cleared, nothing else
  changed), so they are due again at once, never left claimed.

Leases are on the wall clock (UTC), not the campaign clock that ``now`` carries: they answer
"is the runner that holds this row still alive", a question about real seconds. (With the old
``now``-relative lease, a replay with ``--now`` in the past claimed rows that the live
scheduler saw as long expired.) Hosts sharing a database must keep their clocks in sync (NTP);
the lease (60 s by default) dwarfs any sane skew.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, inspect, or_, update
from sqlmodel import Session, col, select

from models.outbox import OutboxMessage, OutboxStatus

_TABLE = cast(Table, inspect(OutboxMessage).local_table)


def wall_now() -> datetime:
    return datetime.now(UTC)


def claimable(moment: datetime, wall: datetime) -> Any:
    """Due by the campaign clock and held by nobody (or by a lease that has run out)."""
    return and_(
        _TABLE.c.status == OutboxStatus.PENDING,
        _TABLE.c.next_attempt_at <= moment,
        or_(_TABLE.c.claim_token.is_(None), _TABLE.c.claim_expires_at <= wall),
    )


class Claim:
    """One runner batch's hold on its rows: take them, keep them, let go of them."""

    def __init__(self, lease_seconds: float) -> None:
        self.token = secrets.token_hex(16)
        self.lease = timedelta(seconds=lease_seconds)
        self.expires_monotonic = 0.0  # when our lease ends, by this process's clock
        self.held = 0  # rows we still hold (claimed, outcome not yet written)
        self.lost = False

    def take(self, session: Session, moment: datetime, size: int) -> list[OutboxMessage]:
        """Claim up to ``size`` due rows (oldest first) and return them detached; commits.

        The condition is repeated on the UPDATE itself, so of two runners picking the same rows
        only one gets each: PostgreSQL re-checks it after the row lock (and ``SKIP LOCKED``
        lets the second runner take the next rows instead of none), SQLite serialises writers.
        """
        started = time.monotonic()
        wall = wall_now()
        # A materialised CTE, not a plain IN (subquery): PostgreSQL may rescan a subquery, and
        # with SKIP LOCKED each rescan skips the rows just locked and returns new ones (seen:
        # a batch of 2 claimed 5 rows). SQLite (3.35+) takes the same syntax, minus the lock.
        due = (
            select(_TABLE.c.id)
            .where(claimable(moment, wall))
            .order_by(col(_TABLE.c.id))
            .limit(size)
            .with_for_update(skip_locked=True)
            .cte("due")
            .prefix_with("MATERIALIZED")
        )
        statement = (
            update(_TABLE)
            .where(_TABLE.c.id.in_(select(due.c.id)))
            .where(claimable(moment, wall))
            .values(claim_token=self.token, claimed_at=wall, claim_expires_at=wall + self.lease)
            .returning(_TABLE.c.id)
        )
        ids = [int(i) for i in session.exec(statement).scalars().all()]
        rows: list[OutboxMessage] = []
        if ids:
            rows = list(
                session.exec(
                    select(OutboxMessage)
                    .where(col(OutboxMessage.id).in_(ids))
                    .order_by(col(OutboxMessage.id))
                ).all()
            )
        session.commit()
        # Counted from before the statement: our view of the lease never outlasts the row's.
        self.expires_monotonic = started + self.lease.total_seconds()
        self.held = len(rows)
        # Detached: outcomes are written with their own statements, never an ORM flush.
        for row in rows:
            session.expunge(row)
        return rows

    def remaining(self) -> float:
        return self.expires_monotonic - time.monotonic()

    def ensure(self, connection: Connection, needed: float) -> bool:
        """Make the lease cover ``needed`` more seconds, renewing it if it would not; False if
        a row was lost meanwhile (stop sending). Commits a renewal on ``connection``."""
        if self.remaining() >= needed:
            return True
        return self.renew(connection)

    def renew(self, connection: Connection) -> bool:
        """Extend the lease of every row we still hold; False if some are no longer ours."""
        started = time.monotonic()
        wall = wall_now()
        renewed = connection.execute(
            update(_TABLE)
            .where(_TABLE.c.claim_token == self.token)
            .where(_TABLE.c.status == OutboxStatus.PENDING)
            .values(claim_expires_at=wall + self.lease)
        ).rowcount
        connection.commit()
        self.expires_monotonic = started + self.lease.total_seconds()
        if renewed < self.held:
            self.lost = True
        return not self.lost

    def release(self, connection: Connection) -> int:
        """Let go of every row we still hold, untouched (due again at once); commits."""
        released = connection.execute(
            update(_TABLE)
            .where(_TABLE.c.claim_token == self.token)
            .values(claim_token=None, claimed_at=None, claim_expires_at=None)
        ).rowcount
        connection.commit()
        self.held = 0
        return int(released)
