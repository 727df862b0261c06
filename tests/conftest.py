"""Shared fixtures: a real database (SQLite, and PostgreSQL when configured), a real SMTP server,
one Prefect test server for the whole session, and the real browser (``tests/browser.py``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from models.db import engine_for
from models.migrate import upgrade
from models.settings import get_settings
from tests.browser import chromium, page, screenshots

__all__ = ["chromium", "page", "screenshots"]

# The throwaway Prefect server sends no telemetry (this machine has no internet anyway).
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

POSTGRES_URL = os.environ.get("TONVINH_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


def _reset_caches() -> None:
    get_settings.cache_clear()
    engine_for.cache_clear()


@pytest.fixture(params=BACKENDS)
def database(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A migrated, empty database of its own for each test; the URL is also in the settings."""
    monkeypatch.setenv("TONVINH_VAR_DIR", str(tmp_path / "var"))
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'tonvinh.sqlite'}"
        schema = None
    else:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://"))
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    monkeypatch.setenv("TONVINH_DATABASE_URL", url)
    _reset_caches()
    upgrade()
    yield url
    engine_for(url).dispose()
    _reset_caches()
    if schema is not None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One throwaway Prefect server for the session; flows in tests record real runs."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    # Prefect's 30 s start-up wait is too short on 2 cores busy with other test workers'
    # servers (every test of a worker then errors with "Timed out ... ephemeral Prefect API").
    with (
        prefect_test_harness(server_startup_timeout=180),
        temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        yield


@pytest.fixture
def mail_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A real SMTP server (aiosmtpd) on a free loopback port, writing to a Maildir."""
    from notifications.smtp_server import MailboxServer

    with MailboxServer(tmp_path / "mailbox") as server:
        monkeypatch.setenv("TONVINH_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("TONVINH_SMTP_PORT", str(server.port))
        monkeypatch.setenv("TONVINH_SMTP_TLS", "none")
        get_settings.cache_clear()
        yield server
