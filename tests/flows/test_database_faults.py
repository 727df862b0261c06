"""A database connection killed in the middle of a stage (a restart, a failover, an
administrator's pg_terminate_backend): the task's transaction rolls back, the task runs again,
and the campaign ends as if nothing happened — every unit called once, audited once."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlmodel import select

from flows.dispatch import dispatch_call
from models.audit import AuditEvent
from models.db import get_engine, session_scope
from models.outbox import EmailKind, OutboxMessage
from tests.conftest import POSTGRES_URL
from tests.flows.conftest import CODE, at, campaign_row


def test_a_connection_killed_mid_dispatch_is_retried_and_writes_once(
    planned: dict, database: str
) -> None:
    if not database.startswith("postgresql"):
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    admin = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://"))
    killed: list[int] = []

    def kill_once(connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        # The first time the calls are queued, the server ends this connection under the task.
        if killed or not statement.lstrip().upper().startswith("INSERT INTO OUTBOXMESSAGE"):
            return
        pid = connection.connection.dbapi_connection.info.backend_pid
        killed.append(pid)
        with admin.begin() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", kill_once)
    try:
        result = dispatch_call(CODE, now=at(campaign_row().dispatch_on, 8))
    finally:
        event.remove(engine, "before_cursor_execute", kill_once)
        admin.dispose()
    assert killed, "the connection was never killed: the test proved nothing"
    codes = planned["codes"]
    assert result.calls_queued == len(codes)
    with session_scope() as session:
        calls = session.exec(
            select(OutboxMessage.unit_id).where(OutboxMessage.kind == EmailKind.CALL)
        ).all()
        called = session.exec(select(AuditEvent.entity_id).where(AuditEvent.action == "called"))
        assert sorted(Counter(calls).values()) == [1] * len(codes)
        assert sorted(Counter(called.all()).values()) == [1] * len(codes)
    assert campaign_row().stage == "calling"
