"""Files under ``var/`` that hold data or logs are readable by their owner only.

``var/`` holds the campaign database (names, addresses, the audit log), Prefect's database (flow
parameters, approval input), the logs and the local mailbox (every email, personal links
included). Created with the default umask they were mode 0644, readable by every local user.

Two halves, called by every entry point that creates ``var/`` (the CLI, ``deploy/stack.py``,
``deploy/mailbox.py``; the systemd units set ``UMask=0077`` themselves):

* ``private_umask()`` — from then on the process creates files 0600 and folders 0700, and so
  do the processes it starts (the Prefect server writing ``prefect.db``, the worker, the
  scheduler, SQLite's ``-wal``/``-shm`` files, which copy the database's mode anyway);
* ``secure_var()`` — takes group and other permissions off what an older version created:
  ``var/`` itself (0700 alone shuts everyone else out of everything beneath), and, so that a
  copy or a loosened folder does not expose them, the databases, logs, pid files and mailbox.
  Cheap (a few ``stat`` calls) unless ``deep`` walks the mailbox too.

Only group/other bits are removed (nothing is made more permissive), only on files this user
owns, never through a symlink.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from sqlalchemy.engine import make_url

OWNER_ONLY_UMASK = 0o077
# Below var/: folders and the files in them that hold data or logs.
_FOLDERS = ("prefect", "log", "run", "mailbox", "outputs", "demo", "attachments")
_SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal", ".scheduler.lock")


def private_umask() -> int:
    """Create every file from now on owner-only (this process and its children); returns
    the previous umask."""
    return os.umask(OWNER_ONLY_UMASK)


def _tighten(path: Path) -> bool:
    """Remove group/other permissions from ``path`` if it is ours; True if it changed."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid():
        return False
    mode = stat.S_IMODE(info.st_mode)
    if not mode & 0o077:
        return False
    with contextlib.suppress(PermissionError):
        os.chmod(path, mode & ~0o077)
        return True
    return False


def sqlite_files(database_url: str) -> list[Path]:
    """The files of a SQLite database (main file, WAL, shared memory, our scheduler lock);
    [] for any other database."""
    try:
        url = make_url(database_url)
    except Exception:
        return []
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return []
    main = url.database
    return [Path(main + suffix) for suffix in _SQLITE_SUFFIXES]


def _inside(folder: Path, deep: bool) -> Iterator[Path]:
    if not folder.is_dir() or folder.is_symlink():
        return
    if deep:
        for root, dirs, files in os.walk(folder):
            for name in [*dirs, *files]:
                yield Path(root) / name
        return
    for child in folder.iterdir():
        yield child
        if child.is_dir() and not child.is_symlink():
            yield from child.glob("*.db*")  # e.g. prefect/prefect.db, prefect/prefect.db-wal


def secure_var(
    var_dir: Path, database_urls: Iterable[str] = (), *, deep: bool = False
) -> list[Path]:
    """Make ``var_dir`` and the data and log files under it owner-only (see the module doc);
    also every SQLite database in ``database_urls``, wherever it lives. ``deep`` walks the
    folders under ``var/`` whole (the mailbox: one file per email). Returns what changed."""
    changed: list[Path] = []
    candidates: list[Path] = [var_dir]
    if var_dir.is_dir() and not var_dir.is_symlink():
        for child in var_dir.iterdir():
            candidates.append(child)
            if child.name in _FOLDERS:
                candidates.extend(_inside(child, deep))
    for url in database_urls:
        candidates.extend(sqlite_files(url))
    for path in candidates:
        if _tighten(path):
            changed.append(path)
    return changed
