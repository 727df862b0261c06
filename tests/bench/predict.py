"""Does the quick mode predict the full one? The ratios of the newest full and quick runs, side
by side (issue 12, item 4).

    python -m tests.bench.predict [--results var/bench/results.jsonl]

Reads the JSON lines ``tests.bench.run`` appended and, per scenario, takes the newest line of
each mode (a quick line's command ends in ``(QUICK=1)``). A fraction of a ceiling predicts when
it lands within 0.1 of the full run's; the ratio to the naive baseline (13 or so) within a tenth
of itself. Prints a Markdown table for BENCHMARKS.md; exits 1 when a ratio misses.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.bench import common

Ratio = tuple[str, str, Callable[[dict[str, Any]], float | None], bool]


def _rush_fraction(clients: int) -> Callable[[dict[str, Any]], float | None]:
    def fraction(result: dict[str, Any]) -> float | None:
        run = next((r for r in result["runs"] if r["clients"] == clients), None)
        if run is None:
            return None
        return round(run["uploads_per_s"] / result["ceiling"]["lists_per_s"], 2)

    return fraction


# (scenario, what, how to read it, relative: within a tenth of itself rather than 0.1)
RATIOS: list[Ratio] = [
    ("nudge", "end to end / ceiling", lambda r: r["fraction_of_ceiling"], False),
    ("nudge", "delivery / ceiling", lambda r: r["delivery_fraction_of_ceiling"], False),
    ("nudge", "× naive baseline", lambda r: r["ratio_vs_baseline"], True),
    ("intake", "store / raw parse", lambda r: r["fraction_of_ceiling"], False),
    ("rush", "20 clients / ceiling", _rush_fraction(20), False),
    ("rush", "100 clients / ceiling", _rush_fraction(100), False),
]


def newest(lines: list[dict[str, Any]], scenario: str, quick: bool) -> dict[str, Any] | None:
    found = [
        r
        for r in lines
        if r.get("scenario") == scenario and r.get("command", "").endswith("(QUICK=1)") == quick
    ]
    return found[-1] if found else None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", type=Path, default=common.ROOT / "var/bench/results.jsonl")
    args = parser.parse_args()
    lines = [json.loads(line) for line in args.results.read_text(encoding="utf-8").splitlines()]
    print("| Scenario | Ratio | Full | Quick | Difference | Predicts |")
    print("|---|---|---|---|---|---|")
    missed = 0
    for scenario, what, read, relative in RATIOS:
        full, quick = newest(lines, scenario, False), newest(lines, scenario, True)
        values = [read(r) if r else None for r in (full, quick)]
        if values[0] is None or values[1] is None:
            print(f"| {scenario} | {what} | {values[0]} | {values[1]} | — | not run |")
            continue
        difference = round(values[1] - values[0], 2)
        allowed = 0.1 * abs(values[0]) if relative else 0.1
        ok = abs(difference) <= allowed
        missed += not ok
        print(
            f"| {scenario} | {what} | {values[0]} | {values[1]} | {difference:+} | "
            f"{'✔' if ok else '✘'} (±{allowed:.2g}) |"
        )
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
