"""What a forked delivery process needs to be safe: dying with the process that forked it, a
database engine of its own, and a parent whose heap it does not copy.

Forked, not spawned: a spawned process imports SQLAlchemy, the models and the mailer again
(about a second of CPU each on this machine's two cores), a forked one starts in milliseconds.
What a fork inherits that it must not use is the parent's database connections (a psycopg
connection shares its socket: closing it in the child would end the parent's) and the locks
other threads held; the child therefore opens its own engine, touches nothing else of the
parent's, and ends with ``os._exit`` (multiprocessing's fork start does), running no finaliser.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import signal
from collections.abc import Iterator

from sqlalchemy import Engine

from models.db import new_engine

PR_SET_PDEATHSIG = 1  # linux/prctl.h

# The inherited engines, kept referenced so that no garbage collection in the child closes
# (and so ends, for PostgreSQL) a connection the parent is using.
_INHERITED: list[Engine] = []


def die_with_parent(parent_pid: int) -> None:
    """Have the kernel SIGKILL this process when its parent dies (Linux), as a thread would
    die with it: a killed delivery run stops every one of its connections at once, so the
    guarantee (at most one message repeated per connection) covers the whole run."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before the line above
        os._exit(1)


def own_engine(inherited: Engine) -> Engine:
    """A new engine for the database ``inherited`` points at; ``inherited`` is kept, unused."""
    _INHERITED.append(inherited)
    return new_engine(inherited.url.render_as_string(hide_password=False))


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Fork inside this: the objects that exist now move out of the collector's reach, so a
    child's collections do not touch (and so copy) every page of the parent's heap."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
