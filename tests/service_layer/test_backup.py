"""Backups that restore: a running campaign saved with ``backup_database`` comes back whole in a
fresh database (another SQLite file, another PostgreSQL schema) with ``restore_database``; an
older backup comes up to date; every refusal leaves the file and the database as they were."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, insert, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from flows.scheduler import acquire_scheduler_lock
from models import audit
from models.audit import AuditEntity, AuditEvent
from models.campaign import Campaign
from models.db import engine_for, get_engine, session_scope
from models.migrate import MIGRATIONS_DIR, alembic_config
from models.nomination import Nomination
from models.outbox import OutboxMessage
from models.settings import get_settings
from services.backup import backup_database, restore_database
from services.errors import OperatorError
from services.intake import IntakeOutcome, receive_list
from tests import launcher
from tests.conftest import POSTGRES_URL, _reset_caches
from tests.documents.builders import individual
from tests.flows.cli_support import run
from tests.flows.conftest import CODE, at
from tests.service_layer.conftest import list_bytes, unit_codes

ROOT = Path(__file__).resolve().parents[2]
TONVINH = launcher.TONVINH
# The newest schema revision, whatever migrations a later change adds.
HEAD = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def _receive(tmp_path: Path, unit_code: str, names: list[str]) -> None:
    data = list_bytes(tmp_path, unit_code, [individual(n, "CSTDCS", 1) for n in names], "l.xlsx")
    with session_scope() as session:
        day = session.exec(select(Campaign)).one().dispatch_on
        result = receive_list(session, CODE, data, "ds.xlsx", now=at(day, 10), actor="test")
    assert result.outcome is IntakeOutcome.ACCEPTED


def _needs_client_tools() -> None:
    if get_engine().dialect.name == "postgresql" and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is missing: sudo apt-get install postgresql-client-15")


@pytest.fixture
def running(calling: Campaign, tmp_path: Path) -> str:
    """Four units, the 2018 campaign, its call queued in the outbox, one unit's list received
    (two dossiers), the audit events of all that. Returns the backend's name."""
    _needs_client_tools()
    _receive(tmp_path, unit_codes()[0], ["Nguyễn Thị Hương", "Trần Văn Minh"])
    return get_engine().dialect.name


def _backup_path(folder: Path, name: str = "backup") -> Path:
    return folder / f"{name}.{'sqlite' if get_engine().dialect.name == 'sqlite' else 'dump'}"


def what_a_user_sees() -> dict[str, list[tuple[Any, ...]]]:
    """The campaign, every dossier, every queued email and every audit event, row by row."""
    with session_scope() as session:
        return {
            "campaigns": [
                (c.id, c.code, c.stage, c.submission_due, c.created_at)
                for c in session.exec(select(Campaign).order_by(Campaign.id))
            ],
            "nominations": [
                (n.id, n.full_name, n.birth_date, n.status, n.unit_id, n.nominee_key)
                for n in session.exec(select(Nomination).order_by(Nomination.id))
            ],
            "outbox": [
                (m.id, m.idempotency_key, m.status, m.subject, m.to_addrs, m.next_attempt_at)
                for m in session.exec(select(OutboxMessage).order_by(OutboxMessage.id))
            ],
            "audit": [
                (e.id, e.at, e.actor, e.entity, e.entity_id, e.action, e.to_state, e.details)
                for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))
            ],
        }


def _counts(seen: dict[str, list[Any]], units: int = 4) -> dict[str, int]:
    return {
        "campaigns": len(seen["campaigns"]),
        "units": units,
        "nominations": len(seen["nominations"]),
        "outbox_messages": len(seen["outbox"]),
        "audit_events": len(seen["audit"]),
    }


@contextmanager
def fresh_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """The settings point at a new, empty, unmigrated database of the same backend: another
    SQLite file, or another schema of the test PostgreSQL database."""
    schema = None
    if get_engine().dialect.name == "sqlite":
        url = f"sqlite:///{tmp_path / f'fresh-{uuid.uuid4().hex[:8]}.sqlite'}"
    else:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://"))
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    previous = os.environ["TONVINH_DATABASE_URL"]
    monkeypatch.setenv("TONVINH_DATABASE_URL", url)
    _reset_caches()
    try:
        yield url
    finally:
        engine_for(url).dispose()
        monkeypatch.setenv("TONVINH_DATABASE_URL", previous)
        _reset_caches()
        if schema is not None:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def _refused(code: str, action: Callable[[], object]) -> OperatorError:
    with pytest.raises(OperatorError) as refused:
        action()
    assert refused.value.code == code, refused.value
    assert refused.value.vi and refused.value.en and refused.value.vi != refused.value.en
    return refused.value


def test_a_backup_restored_into_a_fresh_database_holds_everything(
    running: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = what_a_user_sees()
    path = _backup_path(tmp_path / "backups")
    path.parent.mkdir()

    saved = backup_database(path)

    assert (saved.path, saved.backend, saved.revision) == (str(path), running, HEAD)
    assert saved.size_bytes == path.stat().st_size > 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and saved.mode == "0600"
    assert saved.counts.model_dump() == _counts(before)
    assert saved.counts.nominations == 2 and saved.counts.outbox_messages >= 4
    assert saved.counts.audit_events > 0
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left

    with fresh_database(monkeypatch, tmp_path):
        restored = restore_database(path)

        assert restored.counts == saved.counts
        assert (restored.backup_revision, restored.revision) == (HEAD, HEAD)
        assert restored.replaced_data is False
        assert what_a_user_sees() == before
        # Still append-only (the triggers came back with the tables)…
        with pytest.raises(DBAPIError, match="append-only"), session_scope() as session:
            session.execute(text("UPDATE auditevent SET actor = 'someone else'"))
        # …and it goes on: the next list gets fresh ids (the sequences came back too).
        _receive(tmp_path, unit_codes()[1], ["Lê Thị Mai"])
        after = what_a_user_sees()
        assert len(after["nominations"]) == 3
        assert after["audit"][: len(before["audit"])] == before["audit"]


def test_a_backup_taken_while_the_system_writes_holds_what_its_report_says(
    running: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = len(what_a_user_sees()["audit"])
    stop, written = threading.Event(), [0]

    def keep_auditing() -> None:  # a worker writing all the while
        while not stop.is_set():
            with session_scope() as session:
                session.execute(
                    insert(audit.TABLE),
                    [audit.values(at=at(date(2019, 2, 1)), actor="worker", entity=AuditEntity.UNIT,
                                  entity_id=1, action="busy") for _ in range(20)],
                )  # fmt: skip
            written[0] += 20

    writer = threading.Thread(target=keep_auditing)
    writer.start()
    try:
        while written[0] < 200:
            time.sleep(0.01)
        saved = backup_database(_backup_path(tmp_path))
        after = written[0]
        while written[0] < after + 40:  # and it goes on writing after the backup's moment
            time.sleep(0.01)
    finally:
        stop.set()
        writer.join()
    with session_scope() as session:
        live = session.execute(text("SELECT count(*) FROM auditevent")).scalar_one()
    # The backup has what was written before it began, not what came after.
    assert before + 200 <= saved.counts.audit_events < live

    with fresh_database(monkeypatch, tmp_path):
        restored = restore_database(_backup_path(tmp_path))
    assert restored.counts == saved.counts  # the report says exactly what the file holds


def test_restore_over_data_needs_force_and_then_brings_the_backup_back(
    running: str, tmp_path: Path
) -> None:
    path = _backup_path(tmp_path)
    backup_database(path)
    at_backup = what_a_user_sees()
    _receive(tmp_path, unit_codes()[1], ["Lê Thị Mai", "Phạm Văn Nam"])
    later = what_a_user_sees()

    refused = _refused("restore_target_not_empty", lambda: restore_database(path))
    assert "nomination" in refused.params["tables"] and "--force" in refused.vi
    assert what_a_user_sees() == later

    restored = restore_database(path, force=True)
    assert restored.replaced_data is True and restored.counts.nominations == 2
    assert what_a_user_sees() == at_backup  # the audit events written since are gone too


def test_a_backup_never_replaces_a_file_without_force(running: str, tmp_path: Path) -> None:
    path = _backup_path(tmp_path)
    path.write_text("last night's backup")

    _refused("backup_exists", lambda: backup_database(path))
    assert path.read_text() == "last night's backup"
    _refused("backup_path_is_folder", lambda: backup_database(tmp_path))
    _refused("backup_folder_missing", lambda: backup_database(tmp_path / "nowhere" / "x.dump"))
    if running == "sqlite":  # the database file itself, even with --force
        database = Path(get_settings().effective_database_url.removeprefix("sqlite:///"))
        _refused("same_file_as_database", lambda: backup_database(database, force=True))

    saved = backup_database(path, force=True)
    assert saved.size_bytes == path.stat().st_size and not path.read_bytes().startswith(b"last")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_restore_refuses_a_file_that_is_not_a_backup_of_its_kind(
    running: str, tmp_path: Path
) -> None:
    before = what_a_user_sees()
    notes = tmp_path / "notes.txt"
    notes.write_text("không phải bản sao lưu")
    other_sqlite = tmp_path / "other.sqlite"
    with sqlite3.connect(other_sqlite) as connection:
        connection.execute("CREATE TABLE t (x)")
    other_dump = tmp_path / "other.dump"
    other_dump.write_bytes(b"PGDMP\x01\x0e\x00" + bytes(64))
    wrong_kind, same_kind = (
        (other_dump, other_sqlite) if running == "sqlite" else (other_sqlite, other_dump)
    )

    _refused("backup_file_missing", lambda: restore_database(tmp_path / "missing.dump"))
    _refused("backup_not_tonvinh", lambda: restore_database(notes, force=True))
    _refused("backup_not_tonvinh", lambda: restore_database(same_kind, force=True))
    wrong = _refused("backup_wrong_backend", lambda: restore_database(wrong_kind, force=True))
    assert str(wrong_kind) in wrong.en and "nothing restored" in wrong.en
    assert what_a_user_sees() == before


def test_a_damaged_backup_changes_nothing_even_with_force(running: str, tmp_path: Path) -> None:
    path = _backup_path(tmp_path)
    backup_database(path)
    _receive(tmp_path, unit_codes()[1], ["Lê Thị Mai"])
    before = what_a_user_sees()
    data = path.read_bytes()
    damaged = tmp_path / f"damaged{path.suffix}"
    if running == "sqlite":
        damaged.write_bytes(data[: len(data) // 2])
        _refused("backup_not_tonvinh", lambda: restore_database(damaged, force=True))
    else:
        # The end cut off: its table of contents still reads, the data does not.
        damaged.write_bytes(data[:-500])
        listed = subprocess.run(["pg_restore", "--list", str(damaged)], capture_output=True)
        assert listed.returncode == 0
        refused = _refused("restore_failed", lambda: restore_database(damaged, force=True))
        assert "Nothing changed" in refused.en
    assert what_a_user_sees() == before


def test_an_older_backup_comes_up_to_date_and_a_newer_one_is_refused(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _needs_client_tools()
    old, newer = _backup_path(tmp_path, "old"), _backup_path(tmp_path, "newer")
    with fresh_database(monkeypatch, tmp_path):
        command.upgrade(alembic_config(), "0004")  # the database of an earlier release
        assert backup_database(old).revision == "0004"
    with fresh_database(monkeypatch, tmp_path):
        restored = restore_database(old)
        assert (restored.backup_revision, restored.revision) == ("0004", HEAD)
        with session_scope() as session:  # migration 0006's table is there
            assert session.execute(text("SELECT count(*) FROM councilresult")).scalar_one() == 0
        # A release that came later left its revision here, and was rolled back: its backup
        # is refused, and the older one restores over it (nothing is migrated first).
        with session_scope() as session:
            session.execute(text("UPDATE alembic_version SET version_num = '0099'"))
        backup_database(newer)
        _refused("backup_newer_than_code", lambda: restore_database(newer, force=True))
        assert restore_database(old, force=True).revision == HEAD


def _unit_script() -> str:
    """The backup unit's ExecStart script as systemd hands it to /bin/sh (continued lines
    joined, %% → %, $$ → $), with the installed tonvinh pointed at this checkout's."""
    unit = (ROOT / "deploy" / "systemd" / "tonvinh-backup.service").read_text()
    match = re.search(r"^ExecStart=/bin/sh -c '(.*?)'$", unit, re.MULTILINE | re.DOTALL)
    assert match, "ExecStart=/bin/sh -c '…' not found"
    script = match.group(1).replace("\\\n", " ").replace("%%", "%").replace("$$", "$")
    assert "/opt/tonvinh/.venv/bin/tonvinh db backup " in script
    return script.replace("/opt/tonvinh/.venv/bin/tonvinh", TONVINH)


@pytest.mark.slow  # run by `make test`, left out of `make test-fast`
def test_the_backup_unit_and_the_restore_the_deploy_readme_describes(
    running: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = what_a_user_sees()
    (Path(os.environ["TONVINH_VAR_DIR"]) / "outputs").mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["/bin/sh", "-c", _unit_script()],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "BACKUP_DIR": str(tmp_path / "backups"), "PREFECT_PGURL": ""},
    )
    assert done.returncode == 0, done.stderr
    [run_folder] = (tmp_path / "backups").iterdir()
    saved = _backup_path(run_folder, "tonvinh")
    assert sorted(p.name for p in run_folder.iterdir()) == sorted(["outputs.tar.gz", saved.name])
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert "Gồm: 1 đợt thi đua, 4 đơn vị, 2 hồ sơ" in done.stdout

    # Once more onto the same file: one line with its code, exit status 2, the file untouched.
    again = run("db", "backup", str(saved))
    assert again.returncode == 2 and again.stderr.strip().endswith("(backup_exists)")
    assert len(again.stderr.strip().splitlines()) == 1

    with fresh_database(monkeypatch, tmp_path) as url:
        restored = run("db", "restore", str(saved), "--json", env={"TONVINH_DATABASE_URL": url})
        assert restored.returncode == 0, restored.stderr
        report = json.loads(restored.stdout)
        assert (report["counts"], report["revision"]) == (_counts(before), HEAD)
        assert what_a_user_sees() == before
        english = run(
            "db", "restore", str(saved), env={"TONVINH_DATABASE_URL": url, "TONVINH_LANG": "en"}
        )
        assert english.returncode == 2 and "(restore_target_not_empty)" in english.stderr
        assert "holds data" in english.stderr and "--force" in english.stderr


@pytest.mark.slow  # run by `make test`, left out of `make test-fast`
def test_restore_is_refused_while_the_scheduler_runs(running: str, tmp_path: Path) -> None:
    path = _backup_path(tmp_path)
    backup_database(path)
    with acquire_scheduler_lock(get_settings()):  # as `tonvinh scheduler` holds it
        refused = run("db", "restore", str(path), "--force")
    assert refused.returncode == 2 and "(scheduler_running)" in refused.stderr
    assert "tonvinh-scheduler" in refused.stderr


def test_without_the_postgresql_client_the_refusal_says_what_to_install(
    running: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if running != "postgresql":
        pytest.skip("SQLite needs no client tools")
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump on it
    refused = _refused("postgresql_client_missing", lambda: backup_database(tmp_path / "b.dump"))
    assert "apt-get install postgresql-client-15" in refused.en
    assert "apt-get install postgresql-client-15" in refused.vi
    assert not (tmp_path / "b.dump").exists()
