"""Hold Python's cyclic garbage collector during work that builds many short-lived objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold the cyclic collector for the duration; reference counting still frees everything.

    Reading 10,000 units for the status, or reading and storing a 10,000-row list, allocates
    enough to set off several full collections, and each walks every object the process holds
    (~200,000 once Prefect and SQLAlchemy are imported): ~130 ms a pass, two thirds of the
    status and a tenth of an intake (BENCHMARKS.md, "status" and "intake"). What is built there
    forms no reference cycles, or few (openpyxl's), which wait for the next collection.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
