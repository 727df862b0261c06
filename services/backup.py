"""Backups that restore: ``backup_database`` saves the configured database to one file, and
``restore_database`` puts such a file back and migrates it to the newest schema.

SQLite: the online backup API both ways. One step is one read transaction, so the copy is
consistent while the system writes; restoring copies the pages *into* the configured file, so
the append-only triggers on ``auditevent`` never fire (no row is updated or deleted).
PostgreSQL: ``pg_dump --format=custom`` of tonvinh's schema, in the snapshot our counts are read
in; restoring runs the SQL of ``pg_restore --clean --if-exists --no-owner`` through psql in one
transaction, after emptying the target schema (tables are dropped and created, never updated).

Files are written owner-only (0600) under a temporary name and linked into place only if the
name is free. Neither function migrates first: a backup saves the database as it is (one taken
before an upgrade must not be upgraded by it), and a restore must work on a database that cannot
be migrated (damaged, or at a newer revision after a release was rolled back).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any, Literal

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from psycopg.conninfo import make_conninfo
from pydantic import BaseModel
from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from models.audit import AuditEvent
from models.campaign import Campaign
from models.db import get_engine, normalise_url
from models.migrate import alembic_config, upgrade
from models.nomination import Nomination
from models.outbox import OutboxMessage
from models.settings import get_settings
from models.unit import Unit
from services.errors import OperatorError

Backend = Literal["sqlite", "postgresql"]
VERSION_TABLE = "alembic_version"
# What the report counts; a file without these tables is not a tonvinh backup.
COUNTED: dict[str, str] = {
    "campaigns": str(Campaign.__tablename__),
    "units": str(Unit.__tablename__),
    "nominations": str(Nomination.__tablename__),
    "outbox_messages": str(OutboxMessage.__tablename__),
    "audit_events": str(AuditEvent.__tablename__),
}
SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"  # pg_dump --format=custom
# How long a DROP may wait for a lock another session holds (a worker still running) before
# the restore stops with that reason instead of hanging; the dump's own SETs come after ours.
LOCK_TIMEOUT = "60s"
TOC_TABLE = re.compile(r"^\s*\d+;\s+\d+\s+\d+\s+TABLE\s+(\S+)\s+(\S+)\s", re.MULTILINE)

# Every refusal, Vietnamese then English; ``{…}`` are its parameters.
_REFUSALS: dict[str, tuple[str, str]] = {
    "database_not_supported": (
        "Chưa hỗ trợ sao lưu cơ sở dữ liệu {backend}.",
        "Backing up a {backend} database is not supported.",
    ),
    "database_unreachable": (
        "Không kết nối được cơ sở dữ liệu {database}: {error}",
        "Cannot reach the database {database}: {error}",
    ),
    "database_missing": (
        "Không có tệp cơ sở dữ liệu '{database}'; không có gì để sao lưu.",
        "There is no database file '{database}'; there is nothing to back up.",
    ),
    "database_unreadable": (
        "Không đọc được cơ sở dữ liệu '{database}': {error}.",
        "Cannot read the database '{database}': {error}.",
    ),
    "database_not_migrated": (
        "Cơ sở dữ liệu {database} chưa có bảng của tonvinh; không có gì để sao lưu.",
        "The database {database} has no tonvinh tables; there is nothing to back up.",
    ),
    "database_schema_missing": (
        "Lược đồ (schema) ghi trong search_path của {database} không có; hãy tạo nó trước.",
        "The schema named in the search_path of {database} does not exist; create it first.",
    ),
    "backup_path_is_folder": (
        "'{file}' là một thư mục; hãy ghi tên tệp sao lưu, ví dụ '{example}'.",
        "'{file}' is a folder; name the backup file, e.g. '{example}'.",
    ),
    "backup_folder_missing": (
        "Thư mục '{folder}' không có; hãy tạo nó trước.",
        "The folder '{folder}' does not exist; create it first.",
    ),
    "backup_exists": (
        "Tệp '{file}' đã có; không ghi đè (thêm --force để thay nó).",
        "'{file}' already exists; not overwritten (add --force to replace it).",
    ),
    "same_file_as_database": (
        "'{file}' chính là tệp cơ sở dữ liệu đang cấu hình; hãy dùng một tệp khác.",
        "'{file}' is the configured database file itself; use another file.",
    ),
    "backup_file_missing": (
        "Không có tệp sao lưu '{file}'.",
        "There is no backup file '{file}'.",
    ),
    "backup_not_tonvinh": (
        "Tệp '{file}' không phải bản sao lưu của tonvinh ({why_vi}); không khôi phục gì.",
        "'{file}' is not a tonvinh backup ({why_en}); nothing restored.",
    ),
    "backup_wrong_backend": (
        "Tệp '{file}' là bản sao lưu {found}, còn cơ sở dữ liệu đang cấu hình là {configured}; "
        "không khôi phục gì.",
        "'{file}' is a {found} backup but the configured database is {configured}; "
        "nothing restored.",
    ),
    "backup_newer_than_code": (
        "Bản sao lưu '{file}' ở phiên bản lược đồ {revision}, mới hơn mã đang cài; hãy khôi "
        "phục bằng bản phát hành đã tạo ra nó. Không khôi phục gì.",
        "The backup '{file}' is at schema revision {revision}, newer than the installed code; "
        "restore it with the release that made it. Nothing restored.",
    ),
    "restore_target_not_empty": (
        "Cơ sở dữ liệu {database} đang có dữ liệu ({listed}); khôi phục sẽ thay toàn bộ. "
        "Thêm --force nếu đúng là muốn thay.",
        "The database {database} holds data ({listed}); a restore replaces all of it. "
        "Add --force if that is what you want.",
    ),
    "restore_target_unreadable": (
        "Tệp cơ sở dữ liệu '{database}' không đọc được (hỏng?); thêm --force để thay nó bằng "
        "bản sao lưu.",
        "The database file '{database}' cannot be read (damaged?); add --force to replace it "
        "with the backup.",
    ),
    "postgresql_client_missing": (
        "Không tìm thấy lệnh {command}: cài postgresql-client cùng phiên bản với máy chủ "
        "(Debian 12: sudo apt-get install postgresql-client-15).",
        "The {command} command is missing: install postgresql-client of the server's version "
        "(Debian 12: sudo apt-get install postgresql-client-15).",
    ),
    "pg_dump_failed": (
        "pg_dump không chạy được: {error}. Không ghi tệp nào.",
        "pg_dump failed: {error}. No file written.",
    ),
    "restore_failed": (
        "{command} không chạy được: {error}. Không thay đổi gì.",
        "{command} failed: {error}. Nothing changed.",
    ),
}


def _refuse(code: str, **params: Any) -> OperatorError:
    vi, en = _REFUSALS[code]
    return OperatorError(code, vi.format(**params), en.format(**params), **params)


def _not_tonvinh(path: Path, why_vi: str, why_en: str) -> OperatorError:
    return _refuse("backup_not_tonvinh", file=str(path), why_vi=why_vi, why_en=why_en)


class BackupCounts(BaseModel):
    campaigns: int
    units: int
    nominations: int
    outbox_messages: int
    audit_events: int


class _Report(BaseModel):
    path: str  # the backup file
    size_bytes: int
    backend: Backend
    database: str  # never with its password
    schema_name: str | None  # PostgreSQL: tonvinh's schema
    revision: str  # the schema migration the database is at (after a restore: migrated)
    counts: BackupCounts  # backup: read in the snapshot the file holds; restore: read back


class BackupReport(_Report):
    mode: str  # "0600"


class RestoreReport(_Report):
    backup_revision: str
    replaced_data: bool  # the target held data and ``force`` replaced it


# ----------------------------------------------------------------------------------- common


def _configured() -> tuple[URL, Backend]:
    url = make_url(normalise_url(get_settings().effective_database_url))
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise _refuse("database_not_supported", backend=url.get_backend_name())
    return url, "sqlite" if url.get_backend_name() == "sqlite" else "postgresql"


def _describe(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def database_unreachable(exc: Exception) -> OperatorError:
    """The one-line refusal for a database that does not answer (or answers with an error)."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return _refuse("database_unreachable", database=_describe(_configured()[0]), error=reason)


def _counts(count: Callable[[str], int]) -> BackupCounts:
    return BackupCounts(**{field: count(table) for field, table in COUNTED.items()})


def _known_revision(revision: str, path: Path) -> None:
    # This release cannot migrate a backup made by a newer one: refuse before touching anything.
    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        raise _refuse("backup_newer_than_code", file=str(path), revision=revision) from None


def _not_empty(database: str, tables: list[str]) -> OperatorError:
    listed = ", ".join(tables[:6]) + (", …" if len(tables) > 6 else "")
    return _refuse("restore_target_not_empty", database=database, listed=listed, tables=tables)


def _publish(temp: Path, path: Path, force: bool) -> None:
    """Durably put ``temp`` at ``path``, never over a file without ``force``: a hard link fails
    if the name is taken, so a file that appeared meanwhile is not clobbered either."""
    with temp.open("rb") as handle:
        os.fsync(handle.fileno())
    if force:
        os.replace(temp, path)
    else:
        try:
            os.link(temp, path)
        except FileExistsError:
            raise _refuse("backup_exists", file=str(path)) from None
        except OSError:  # a filesystem without hard links (some network shares)
            if path.exists():
                raise _refuse("backup_exists", file=str(path)) from None
            os.replace(temp, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def backup_database(path: Path, *, force: bool = False) -> BackupReport:
    """Save the configured database to ``path`` (owner-only, atomic; ``force`` replaces an
    existing file) and report what the file holds."""
    url, backend = _configured()
    path = path.expanduser().absolute()
    if path.is_dir():
        raise _refuse("backup_path_is_folder", file=str(path), example=str(path / "tonvinh.dump"))
    if not path.parent.is_dir():
        raise _refuse("backup_folder_missing", folder=str(path.parent))
    if path.exists() and not force:
        raise _refuse("backup_exists", file=str(path))
    # Owner-only from the start (mkstemp: 0600), in the target's folder so that the final
    # rename stays on one filesystem.
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    temp = Path(name)
    try:
        if backend == "sqlite":
            schema, revision, counts = None, *_sqlite_backup(_sqlite_file(url), path, temp)
        else:
            schema, revision, counts = _pg_backup(url, temp)
            _pg_inspect(_client("pg_restore"), temp)  # it reads back as a tonvinh backup
        _publish(temp, path, force)
    except SQLAlchemyError as exc:
        raise database_unreachable(exc) from None
    finally:
        temp.unlink(missing_ok=True)
        Path(f"{temp}-journal").unlink(missing_ok=True)
    return BackupReport(
        path=str(path),
        size_bytes=path.stat().st_size,
        mode=f"{path.stat().st_mode & 0o777:04o}",
        backend=backend,
        database=_describe(url),
        schema_name=schema,
        revision=revision,
        counts=counts,
    )


def restore_database(path: Path, *, force: bool = False) -> RestoreReport:
    """Put the backup at ``path`` into the configured database, then migrate it and report
    what it holds. Refuses a file that is not a tonvinh backup of the configured kind and,
    without ``force``, a database that holds data. A refusal changes nothing, and neither does
    a failure while copying (one transaction on either backend)."""
    url, backend = _configured()
    path = path.expanduser().absolute()
    if not path.is_file():
        raise _refuse("backup_file_missing", file=str(path))
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise _not_tonvinh(path, str(exc.strerror), str(exc.strerror)) from None
    magic, found, configured = {
        "sqlite": (PGDUMP_MAGIC, "PostgreSQL", "SQLite"),
        "postgresql": (SQLITE_MAGIC, "SQLite", "PostgreSQL"),
    }[backend]
    if head.startswith(magic):
        raise _refuse("backup_wrong_backend", file=str(path), found=found, configured=configured)
    try:
        if backend == "sqlite":
            schema, (backup_revision, replaced) = None, _sqlite_restore(url, path, head, force)
        else:
            schema, backup_revision, replaced = _pg_restore(url, path, head, force)
        # Connections pooled before the restore may hold plans for tables that were replaced.
        get_engine().dispose()
        upgrade()
        with get_engine().connect() as connection:
            prefix = f"{_quote(connection, schema)}." if schema else ""
            revision = connection.execute(
                text(f"SELECT version_num FROM {prefix}{VERSION_TABLE}")
            ).scalar_one()
            counts = _counts(lambda table: _count(connection, prefix, table))
    except SQLAlchemyError as exc:
        raise database_unreachable(exc) from None
    return RestoreReport(
        path=str(path),
        size_bytes=path.stat().st_size,
        backend=backend,
        database=_describe(url),
        schema_name=schema,
        backup_revision=backup_revision,
        revision=str(revision),
        replaced_data=replaced,
        counts=counts,
    )


def _quote(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


def _count(connection: Connection, prefix: str, table: str) -> int:
    query = f"SELECT count(*) FROM {prefix}{_quote(connection, table)}"
    return int(connection.execute(text(query)).scalar_one())


# ----------------------------------------------------------------------------------- SQLite


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise _refuse("database_missing", database=str(url.database))
    return Path(url.database).expanduser().absolute()


def _sqlite_open_ro(path: Path) -> sqlite3.Connection:
    # Read-only, so that a wrong path never creates an empty database.
    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=30)


def _sqlite_tables(connection: sqlite3.Connection) -> list[str]:
    query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    return sorted(row[0] for row in connection.execute(query))


def _sqlite_revision(connection: sqlite3.Connection) -> str | None:
    """The schema revision, or None unless every table the report counts is there."""
    if not {VERSION_TABLE, *COUNTED.values()} <= set(_sqlite_tables(connection)):
        return None
    row = connection.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone()
    return str(row[0]) if row else None


def _sqlite_backup(source: Path, path: Path, temp: Path) -> tuple[str, BackupCounts]:
    if not source.is_file():
        raise _refuse("database_missing", database=str(source))
    if path.exists() and path.samefile(source):
        raise _refuse("same_file_as_database", file=str(path))
    try:
        src = _sqlite_open_ro(source)
        copy = sqlite3.connect(temp)
        try:
            src.backup(copy)  # one step: one read transaction, so a consistent copy
            # The copy inherits WAL from the source; a rollback journal makes the backup one
            # self-contained file, with no -wal beside it to forget.
            copy.execute("PRAGMA journal_mode=DELETE")
            revision = _sqlite_revision(copy)
            if revision is None:
                raise _refuse("database_not_migrated", database=str(source))
            return revision, _counts(
                lambda table: int(copy.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])
            )
        finally:
            copy.close()
            src.close()
    except sqlite3.DatabaseError as exc:
        raise _refuse("database_unreadable", database=str(source), error=str(exc)) from None


def _sqlite_restore(url: URL, path: Path, head: bytes, force: bool) -> tuple[str, bool]:
    if not head.startswith(SQLITE_MAGIC):
        raise _not_tonvinh(path, "không phải tệp SQLite", "not an SQLite file")
    target = _sqlite_file(url)
    src = _sqlite_open_ro(path)
    try:
        try:
            revision = _sqlite_revision(src)
            damaged = src.execute("PRAGMA quick_check").fetchone()[0] != "ok"
        except sqlite3.DatabaseError as exc:
            raise _not_tonvinh(path, f"SQLite báo: {exc}", f"SQLite says: {exc}") from None
        if revision is None:
            raise _not_tonvinh(path, "thiếu bảng của tonvinh", "the tonvinh tables are missing")
        if damaged:
            raise _not_tonvinh(path, "tệp bị hỏng", "the file is damaged")
        _known_revision(revision, path)
        replaced = target.exists() and _sqlite_replaces_data(target, path, force)
        target.parent.mkdir(parents=True, exist_ok=True)
        destination = sqlite3.connect(target, timeout=30)
        try:
            # Into the configured file itself: a process that has it open sees the restored
            # database (a rename would leave it on the old file).
            src.backup(destination)
        finally:
            destination.close()
        return revision, replaced
    finally:
        src.close()


def _sqlite_replaces_data(target: Path, path: Path, force: bool) -> bool:
    """Whether the restore replaces data, which only ``force`` allows."""
    if target.samefile(path):
        raise _refuse("same_file_as_database", file=str(path))
    try:
        connection = _sqlite_open_ro(target)
        try:
            holders = [
                name
                for name in _sqlite_tables(connection)
                if name != VERSION_TABLE
                and connection.execute(f'SELECT EXISTS (SELECT 1 FROM "{name}")').fetchone()[0]
            ]
        finally:
            connection.close()
    except sqlite3.DatabaseError:
        # A damaged database is what restores are for, but it is replaced only when asked.
        if not force:
            raise _refuse("restore_target_unreadable", database=str(target)) from None
        for stale in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
            stale.unlink(missing_ok=True)
        return True
    if holders and not force:
        raise _not_empty(str(target), holders)
    return bool(holders)


# ------------------------------------------------------------------------------- PostgreSQL


def _client(command: str) -> str:
    if (found := shutil.which(command)) is None:
        raise _refuse("postgresql_client_missing", command=command)
    return found


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The conninfo for pg_dump and psql, and their environment: the password goes in
    PGPASSWORD, never on a command line that ``ps`` shows. The URL's query options (sslmode,
    ``options=-csearch_path=…``) are libpq's own, as psycopg passes them on."""
    params = {"application_name": "tonvinh-backup"}
    params.update({key: str(value) for key, value in url.query.items()})
    named = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database}
    params.update({key: str(value) for key, value in named.items() if value not in (None, "")})
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return make_conninfo("", **params), env


def _schema_of(connection: Connection, url: URL) -> str:
    """Where tonvinh's tables are: the first existing schema of the search_path (the URL's
    ``options=-csearch_path=…`` when it has one), as the migrations and every query see it."""
    schema = connection.execute(text("SELECT current_schema()")).scalar_one_or_none()
    if schema is None:
        raise _refuse("database_schema_missing", database=_describe(url))
    return str(schema)


def _pg_backup(url: URL, temp: Path) -> tuple[str, str, BackupCounts]:
    pg_dump = _client("pg_dump")
    conninfo, env = _libpq(url)
    with get_engine().connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            schema = _schema_of(connection, url)
            # One snapshot for our counts and for pg_dump: the report says what the file holds.
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            prefix = f"{_quote(connection, schema)}."
            tables = [prefix + _quote(connection, t) for t in (VERSION_TABLE, *COUNTED.values())]
            query = "SELECT bool_and(to_regclass(t) IS NOT NULL) FROM unnest(CAST(:t AS text[])) t"
            if not connection.execute(text(query), {"t": tables}).scalar_one():
                raise _refuse("database_not_migrated", database=f"{_describe(url)} ({schema})")
            revision = connection.execute(
                text(f"SELECT version_num FROM {prefix}{VERSION_TABLE}")
            ).scalar_one()
            counts = _counts(lambda table: _count(connection, prefix, table))
            pattern = '"' + schema.replace('"', '""') + '"'  # -n takes a pattern: match exactly
            with temp.open("wb") as out:
                done = subprocess.run(
                    [pg_dump, "--format=custom", f"--schema={pattern}", f"--snapshot={snapshot}",
                     "--no-password", f"--dbname={conninfo}"],
                    stdout=out, stderr=subprocess.PIPE, env=env, check=False,
                )  # fmt: skip
            if done.returncode != 0:
                raise _refuse("pg_dump_failed", error=_last_lines(done.stderr))
    return schema, str(revision), counts


def _last_lines(stderr: bytes) -> str:
    lines = [line for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    return " | ".join(lines[-3:]) or "?"


def _pg_inspect(pg_restore: str, path: Path) -> list[str]:
    """The schemas of the dump that hold a tonvinh database, from its table of contents."""
    listed = subprocess.run([pg_restore, "--list", str(path)], capture_output=True, check=False)
    if listed.returncode != 0:
        said = _last_lines(listed.stderr)
        raise _not_tonvinh(path, f"pg_restore báo: {said}", f"pg_restore says: {said}")
    tables: dict[str, set[str]] = {}
    for schema, table in TOC_TABLE.findall(listed.stdout.decode(errors="replace")):
        tables.setdefault(schema, set()).add(table)
    found = sorted(s for s, names in tables.items() if {VERSION_TABLE, *COUNTED.values()} <= names)
    if not found:
        raise _not_tonvinh(path, "thiếu bảng của tonvinh", "the tonvinh tables are missing")
    return found


def _dump_revision(pg_restore: str, path: Path, schema: str) -> str:
    done = subprocess.run(
        [pg_restore, "--data-only", f"--schema={schema}", f"--table={VERSION_TABLE}",
         "--file=-", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    lines = done.stdout.splitlines()
    for number, line in enumerate(lines[:-1]):
        if line.startswith("COPY ") and lines[number + 1] != "\\.":
            return lines[number + 1].strip()
    raise _not_tonvinh(path, "không có phiên bản lược đồ", "it has no schema revision")


def _pg_restore(url: URL, path: Path, head: bytes, force: bool) -> tuple[str, str, bool]:
    if not head.startswith(PGDUMP_MAGIC):
        raise _not_tonvinh(path, "không phải tệp pg_dump --format=custom", "not a pg_dump file")
    pg_restore, psql = _client("pg_restore"), _client("psql")
    sources = _pg_inspect(pg_restore, path)
    with get_engine().connect() as connection:
        target = _schema_of(connection, url)
        if target not in sources and len(sources) > 1:
            several = ", ".join(sources)
            raise _not_tonvinh(path, f"nhiều lược đồ: {several}", f"several schemas: {several}")
        source = target if target in sources else sources[0]
        revision = _dump_revision(pg_restore, path, source)
        _known_revision(revision, path)
        prefix = f"{_quote(connection, target)}."
        holders = [
            name
            for name in sorted(inspect(connection).get_table_names(schema=target))
            if name != VERSION_TABLE
            and connection.execute(
                text(f"SELECT EXISTS (SELECT 1 FROM {prefix}{_quote(connection, name)})")
            ).scalar_one()
        ]
        if holders and not force:
            raise _not_empty(f"{_describe(url)} ({target})", holders)
        source_taken = source != target and inspect(connection).has_schema(source)
    _load(pg_restore, psql, path, source, url, _restore_sql(source, target, source_taken))
    return target, revision, bool(holders)


# Empties a schema: every relation, routine and type a dump can create (not those an extension
# owns). The statements are all worked out before the first runs (names qualified: the caller
# empties the search_path), each IF EXISTS … CASCADE since an earlier one may have taken it along.
_EMPTY_SCHEMA = """
DO $tonvinh$
DECLARE
  nsp oid := (SELECT oid FROM pg_namespace WHERE nspname = {schema});
  statements text[];
  statement text;
BEGIN
  SELECT coalesce(array_agg(s), '{{}}') INTO statements FROM (
    SELECT format('DROP %s IF EXISTS %s CASCADE', CASE c.relkind WHEN 'v' THEN 'VIEW'
                  WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE'
                  WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, c.oid::regclass) AS s
      FROM pg_class c
     WHERE c.relnamespace = nsp AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND NOT EXISTS (
           SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
    UNION ALL
    SELECT format('DROP ROUTINE IF EXISTS %s CASCADE', p.oid::regprocedure)
      FROM pg_proc p
     WHERE p.pronamespace = nsp AND NOT EXISTS (
           SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
    UNION ALL
    SELECT format('DROP %s IF EXISTS %s CASCADE',
                  CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.oid::regtype)
      FROM pg_type t
     WHERE t.typnamespace = nsp AND t.typtype IN ('e', 'd', 'r', 'c')
       AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
       AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e')
  ) AS drops;
  FOREACH statement IN ARRAY statements LOOP
    EXECUTE statement;
  END LOOP;
END
$tonvinh$;
"""


def _ident(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _restore_sql(source: str, target: str, source_taken: bool) -> tuple[str, str]:
    """The SQL psql runs before and after pg_restore's, in the same transaction.

    Before: empty the target schema whole, so that nothing of a newer release is left for the
    migrations to trip over. A dump of another schema can only be restored under its own
    name, so the (empty) target schema takes that name meanwhile, a schema of that name here
    being set aside; after the restore the names go back. Renaming keeps the target schema
    itself, its owner and grants.
    """
    literal = "'" + target.replace("'", "''") + "'"
    before = [
        "SET client_min_messages = warning;",
        f"SET lock_timeout = '{LOCK_TIMEOUT}';",
        "SELECT pg_catalog.set_config('search_path', '', false);",
        _EMPTY_SCHEMA.format(schema=literal),
    ]
    after: list[str] = []
    if source != target:
        aside = f"{source[:40]}_aside_{os.urandom(4).hex()}"
        if source_taken:
            before.append(f"ALTER SCHEMA {_ident(source)} RENAME TO {_ident(aside)};")
        before.append(f"ALTER SCHEMA {_ident(target)} RENAME TO {_ident(source)};")
        after.append(f"ALTER SCHEMA {_ident(source)} RENAME TO {_ident(target)};")
        if source_taken:
            after.append(f"ALTER SCHEMA {_ident(aside)} RENAME TO {_ident(source)};")
    return "\n".join(before) + "\n", "".join(f"{line}\n" for line in after)


def _load(
    pg_restore: str, psql: str, path: Path, source: str, url: URL, sql: tuple[str, str]
) -> None:
    """pg_restore's SQL through psql in one transaction, committed only once pg_restore has
    read the whole file: an error in the file or in the database changes nothing."""
    (conninfo, env), (before, after) = _libpq(url), sql
    with tempfile.TemporaryFile() as reader_errors, tempfile.TemporaryFile() as writer_errors:
        writer = subprocess.Popen(
            [psql, "--no-psqlrc", "--quiet", "--no-password", "--set=ON_ERROR_STOP=1",
             f"--dbname={conninfo}"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=writer_errors, env=env,
        )  # fmt: skip
        reader = subprocess.Popen(
            [pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges",
             f"--schema={source}", "--file=-", str(path)],
            stdout=subprocess.PIPE, stderr=reader_errors,
        )  # fmt: skip
        assert writer.stdin is not None and reader.stdout is not None
        try:
            writer.stdin.write(f"BEGIN;\n{before}".encode())
            shutil.copyfileobj(reader.stdout, writer.stdin, 1 << 20)
            if reader.wait() == 0:
                writer.stdin.write(f"{after}COMMIT;\n".encode())
            # Otherwise no COMMIT: psql reaches the end, and the server rolls back.
        except BrokenPipeError:
            pass  # psql stopped at an error (ON_ERROR_STOP) and rolled back; stderr says why
        finally:
            with suppress(BrokenPipeError):
                writer.stdin.close()
            loaded = writer.wait()
            if reader.poll() is None:
                reader.kill()
            dumped = reader.wait()
        for status, command, errors in (
            (loaded, "psql", writer_errors),
            (dumped, "pg_restore", reader_errors),
        ):
            if status != 0:
                errors.seek(0)
                raise _refuse("restore_failed", command=command, error=_last_lines(errors.read()))
