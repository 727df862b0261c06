"""Engine, sessions and column types shared by every table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine

from models.clock import VN_TZ
from models.settings import get_settings


class AwareDateTime(TypeDecorator[datetime]):
    """Stores UTC, returns Vietnam time: SQLite keeps no offsets, so we normalise ourselves."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: pass an aware value (Asia/Ho_Chi_Minh)")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(VN_TZ)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the scheduler, a worker and the CLI read while one of them writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver we ship."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def new_engine(url: str) -> Engine:
    """An engine of its own for ``url``, sharing nothing with ``engine_for``'s: what a forked
    delivery process uses, never touching (nor closing) the connections it inherited."""
    url = normalise_url(url)
    # A failed statement's error names the statement, never its values: a bulk insert of units
    # or dossiers carries people's names and addresses, which must not reach logs or artifacts.
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


@lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    return new_engine(url)


def engine_for(url: str) -> Engine:
    """The process's one engine for the database at ``url``, however the URL names the driver:
    the migrations (``postgresql+psycopg://``) and the settings (``postgresql://``) share it."""
    return _engine(normalise_url(url))


def clear_engines() -> None:
    """Forget the engines (tests and the demo point the settings at another database)."""
    _engine.cache_clear()


def get_engine() -> Engine:
    settings = get_settings()
    if not settings.database_url:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    return engine_for(settings.effective_database_url)


@contextmanager
def session_scope() -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
