"""How `make test` spreads the suite over its workers: longest work first, one stack at a time.

``--dist loadfile`` keeps a test file on one worker (module fixtures), and xdist then hands out
files with the most tests first, so the files of a few long end-to-end tests went last and
were the run's tail: one worker busy for minutes while the others had finished. Here a unit of
work is a file, except that the deployment tests (``tests/deploy``) are one unit: they share
one session-scoped ``make up`` stack, which each worker would otherwise start for itself. Units
holding tests marked ``slow`` go first (most slow tests first), then the rest by size.
"""

from __future__ import annotations

from collections import Counter

import pytest
from xdist.remote import Producer
from xdist.scheduler import LoadFileScheduling

STACK_UNIT = "tests/deploy"


def unit_of(nodeid: str) -> str:
    """The unit of work a test belongs to: its file, or the stack's for the deployment tests."""
    path = nodeid.split("::", 1)[0]
    return STACK_UNIT if path.startswith(STACK_UNIT + "/") else path


def longest_first(items: list[pytest.Item]) -> None:
    """Reorder ``items`` in place: units with the most slow tests first, then by size; the order
    within a unit is kept. Deterministic, as every worker must collect the same order."""
    units = {item.nodeid: unit_of(item.nodeid) for item in items}
    slow = Counter(units[item.nodeid] for item in items if item.get_closest_marker("slow"))
    size = Counter(units.values())

    def rank(item: pytest.Item) -> tuple[int, int, str]:
        unit = units[item.nodeid]
        return -slow[unit], -size[unit], unit

    items.sort(key=rank)


class LongestFirstScheduling(LoadFileScheduling):
    """``--dist loadfile`` with the deployment tests as one unit, in the collection's order."""

    def __init__(self, config: pytest.Config, log: Producer | None = None) -> None:
        super().__init__(config, log)
        config.option.loadscopereorder = False  # the order is longest_first's

    def _split_scope(self, nodeid: str) -> str:
        return unit_of(nodeid)
