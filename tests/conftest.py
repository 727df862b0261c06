"""Shared fixtures: a real database (SQLite, and PostgreSQL when configured), a real SMTP server,
one Prefect test server for the whole session, and the real browser (``tests/browser.py``)."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from xdist.remote import Producer

from models.db import clear_engines, engine_for, normalise_url
from models.migrate import upgrade
from models.settings import get_settings
from tests.browser import chromium, page, screenshots
from tests.scheduling import LongestFirstScheduling, longest_first

__all__ = ["chromium", "page", "screenshots"]

# The throwaway Prefect server sends no telemetry (this machine has no internet anyway).
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def _one_certificate_bundle() -> str:
    """A CA file holding one certificate of certifi's bundle. Every Prefect client builds a TLS
    context from its CA file even for plain HTTP: parsing certifi's whole bundle takes ~17 ms,
    and a flow run makes some twenty clients. The tests' Prefect servers are plain HTTP on
    loopback, so no certificate is ever checked against it."""
    import certifi

    path = Path(tempfile.gettempdir()) / "tonvinh-tests-one-ca.pem"
    if not path.is_file():  # written once per machine, not read again by every worker
        bundle = Path(certifi.where()).read_text(encoding="ascii")
        end = "-----END CERTIFICATE-----"
        begin = bundle.index("-----BEGIN CERTIFICATE-----")
        first = bundle[begin : bundle.index(end) + len(end)]
        spare = path.with_name(f"{path.name}.{uuid.uuid4().hex}")
        spare.write_text(first + "\n", encoding="ascii")
        spare.replace(path)  # whole or absent: the test workers may write it at once
    return str(path)


# Inherited by every child a test starts (commands, the scheduler, the `make up` stack).
os.environ.setdefault("PREFECT_API_SSL_CERT_FILE", _one_certificate_bundle())

POSTGRES_URL = os.environ.get("TONVINH_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    longest_first(items)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> object | None:
    """``make test``'s ``--dist loadfile``, longest work first (``tests/scheduling.py``)."""
    if config.getoption("dist") != "loadfile":
        return None
    return LongestFirstScheduling(config, log)


def _reset_caches() -> None:
    get_settings.cache_clear()
    clear_engines()


# As deployed (deploy/README.md): tonvinh's tables in a schema of their own, named by the URL's
# search_path.
SCHEMA = "tonvinh"


def _postgres_admin() -> Engine:
    return create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")


def _postgres_url(database_name: str) -> str:
    database = make_url(POSTGRES_URL).set(database=database_name)
    return f"{database.render_as_string(hide_password=False)}?options=-csearch_path%3D{SCHEMA}"


def _migrate(url: str, var_dir: Path) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TONVINH_DATABASE_URL", url)
        patch.setenv("TONVINH_VAR_DIR", str(var_dir))
        _reset_caches()
        upgrade()
        engine_for(url).dispose()  # a template must have no connection left to be copied
        _reset_caches()


# Each test gets a copy of a database migrated once per worker and backend: a file copy, or
# PostgreSQL's CREATE DATABASE ... TEMPLATE (~40 ms), instead of running every migration again
# (~250 ms, for some 450 tests).
@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("template")
    path = folder / "tonvinh.sqlite"
    _migrate(f"sqlite:///{path}", folder / "var")
    return path


@pytest.fixture(scope="session")
def postgres_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    name = f"tonvinh_template_{uuid.uuid4().hex[:12]}"
    admin = _postgres_admin()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    template = create_engine(normalise_url(_postgres_url(name)))
    with template.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
    template.dispose()
    _migrate(_postgres_url(name), tmp_path_factory.mktemp("template"))
    yield name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A migrated, empty database of its own for each test; the URL is also in the settings."""
    monkeypatch.setenv("TONVINH_VAR_DIR", str(tmp_path / "var"))
    copy = None
    if request.param == "sqlite":
        path = tmp_path / "tonvinh.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        template = request.getfixturevalue("postgres_template")
        copy = f"t_{uuid.uuid4().hex[:12]}"
        admin = _postgres_admin()
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{copy}" TEMPLATE "{template}"'))
        url = _postgres_url(copy)
    monkeypatch.setenv("TONVINH_DATABASE_URL", url)
    _reset_caches()
    yield url
    engine_for(url).dispose()
    _reset_caches()
    if copy is not None:
        # FORCE: a process the test started and left (a killed runner's pool) must not keep
        # the database from going.
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{copy}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One throwaway Prefect server for the session; flows in tests record real runs (states,
    artifacts, events). Their log lines stay in the test process: no test reads them from this
    server (the ``make up`` stack's tests keep shipping them to theirs), and shipping every line
    cost each worker's server its CPU."""
    from prefect.settings import (
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_LOGGING_TO_API_ENABLED,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    # Prefect's 30 s start-up wait is too short on 2 cores busy with other test workers'
    # servers (every test of a worker then errors with "Timed out ... ephemeral Prefect API").
    quieter = {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None, PREFECT_LOGGING_TO_API_ENABLED: False}
    with (
        prefect_test_harness(server_startup_timeout=180),
        temporary_settings(updates=quieter),
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
