"""Run the benchmarks (issues 5 and 12), one process per scenario, and print every figure.

    python -m tests.bench.run [--only nudge,intake,status,campaign,rush] [--out FILE]
    QUICK=1 python -m tests.bench.run      # scaled down, no campaign, under three minutes;
    python -m tests.bench.predict          # then: do its ratios land near the full run's?

Each scenario prints one JSON object on its own line; this runner prints those lines as they
come, then a short table, and appends them (with the date and the command) to ``--out``
(default ``var/bench/results.jsonl``). Scenarios run one after another, never side by side:
they share two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.bench import common

SCENARIOS = ("nudge", "intake", "status", "campaign", "rush")
# The quick mode predicts the full run's ratios (tests.bench.predict) in under three minutes.
# The campaign has none: its targets hold at 10,000 units only, and at 50 units it is a minute
# of Prefect and portal start-ups (the test suite plays whole campaigns); ask for it by name.
QUICK_SCENARIOS = ("nudge", "intake", "status", "rush")


def _row(result: dict[str, Any]) -> str:
    name = result.get("scenario", "?")
    targets = result.get("targets", {})
    missed = [k for k, ok in targets.items() if not ok]
    verdict = "all targets met" if not missed else "missed: " + ", ".join(missed)
    if name == "nudge":
        figure = (
            f"{result['delivered']}/{result['behind']} nudges in {result['seconds']}s "
            f"({result['messages_per_s']}/s), {result['ratio_vs_baseline']}x baseline, "
            f"{result['fraction_of_ceiling']} of ceiling, {result['peak_rss_mb']} MB, "
            f"recovery after SIGKILL {result.get('recovery_s')}s"
        )
    elif name == "intake":
        figure = (
            f"{result['rows']} rows in {result['seconds']}s (ceiling {result['ceiling_s']}s: "
            f"{result['fraction_of_ceiling']}), bad last row: {result['bad_file']['outcome']}"
        )
    elif name == "status":
        parts = [f"{k} {result[k]['median_s']}s" for k in ("sqlite", "postgresql") if k in result]
        figure = "median " + ", ".join(parts)
    elif name == "campaign":
        figure = (
            f"{result['seconds']}s, {result['peak_rss_mb']} MB, "
            f"{result['prefect']['task_runs']} task runs, {result['prefect']['flow_runs']} flow "
            f"runs, {result['dropped_messages']} dropped"
        )
    elif name == "rush":
        figure = (
            "; ".join(
                f"{run['clients']} clients: {run['uploads_per_s']}/s, "
                f"p99 {run['latency_s']['p99']}s, {run['statuses']}"
                for run in result["runs"]
            )
            + f" (ceiling {result['ceiling']['lists_per_s']}/s)"
        )
    else:
        figure = ""
    return f"{name:9} {figure} — {verdict}"


def main() -> int:
    parser = argparse.ArgumentParser()
    default = QUICK_SCENARIOS if common.quick() else SCENARIOS
    parser.add_argument("--only", default=",".join(default))
    parser.add_argument("--out", type=Path, default=common.ROOT / "var" / "bench" / "results.jsonl")
    args = parser.parse_args()
    wanted = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(wanted) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    results: list[dict[str, Any]] = []
    failures = 0
    started = time.perf_counter()
    for name in wanted:
        command = [sys.executable, "-m", f"tests.bench.bench_{name}"]
        print(f"== {name}: {shlex.join(command)} (QUICK={common.quick()})", flush=True)
        # The previous scenario's writes reach the disk now, not during this one's commits (an
        # intake measured 0.31 of its ceiling instead of 0.6 right after the nudge).
        os.sync()
        scenario_started = time.perf_counter()
        process = subprocess.run(
            command, cwd=common.ROOT, stdout=subprocess.PIPE, text=True, env=dict(os.environ)
        )
        wall_s = round(time.perf_counter() - scenario_started, 1)
        lines = [line for line in process.stdout.splitlines() if line.startswith("{")]
        if process.returncode != 0 or not lines:
            print(f"!! {name} failed (exit {process.returncode})", flush=True)
            failures += 1
            continue
        result = json.loads(lines[-1])
        result["date"] = stamp
        result["scenario_wall_s"] = wall_s  # set-up included: what the quick mode must bound
        result["command"] = shlex.join(command) + (" (QUICK=1)" if common.quick() else "")
        print(json.dumps(result, ensure_ascii=False), flush=True)
        results.append(result)
        with args.out.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(result, ensure_ascii=False) + "\n")
    print(f"== summary ({time.perf_counter() - started:.0f}s, appended to {args.out})")
    for result in results:
        print(_row(result))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
