"""Scenario 5 — rush: the deadline-day rush on the unit portal.

    python -m tests.bench.bench_rush [--units 2000] [--rows 50] [--clients 20,100] [--processes 1]

Every unit uploads its own ``--rows``-row list through HTTP to the portal as deployed: the
``tonvinh portal`` process (uvicorn, ``--processes`` serving processes) on PostgreSQL, its clock
at the last day of the window. The lists are written before any timer starts (in parallel
processes); each unit's client opens its page (cookie and anti-forgery token), then posts its
file; only the post is timed. One run per level of ``--clients`` concurrent clients, each on a
fresh database and a fresh portal process. Reported per run: p50/p95/p99 of the upload's
latency, uploads per second, the portal's peak RSS, the answers by status (a 503 with
Retry-After past the upload queue is acceptable and counted), and what the database holds
afterwards (no upload lost, no dossier twice).

Ceiling: the raw parse of the same lists (``openpyxl`` read-only, every row of every sheet,
nothing done with them) in as many processes as the portal serves with: lists per second.

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from tests.bench import common, portal_client


def _write_list(job: tuple[str, str, int, int, list[Any], Path]) -> bytes:
    """One unit's filled list (in a worker process: setup, not timed)."""
    import random

    from documents.nomination_list import ListHeader, write_filled_list

    code, name, rows, seed, choices, folder = job
    header = ListHeader(common.CAMPAIGN_CODE, common.CAMPAIGN_NAME, code, name, common.CONFERENCE)
    nominations = common.nomination_rows(random.Random(seed), name, rows)
    return write_filled_list(folder / f"{code}.xlsx", header, choices, nominations).read_bytes()


def prepare_lists(units: int, rows: int, folder: Path) -> dict[str, bytes]:
    from models.campaign import Campaign
    from models.rules.eligibility import load_rule_pack
    from services.campaigns import award_choices

    folder.mkdir(parents=True, exist_ok=True)
    pack = load_rule_pack("nd91-2017")
    # What common.plan offers: every award of the pack.
    offered = SimpleNamespace(rule_pack=pack.code, titles_on_offer=sorted(pack.awards))
    offer = cast(Campaign, offered)
    choices = award_choices(offer)
    jobs = [
        (u["code"], u["name"], rows, n, choices, folder)
        for n, u in enumerate(common.unit_rows(units))
    ]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        data = list(pool.map(_write_list, jobs, chunksize=16))
    return {job[0]: blob for job, blob in zip(jobs, data, strict=True)}


def raw_parse_seconds(lists: list[bytes]) -> float:
    """The ceiling's work: open each list read-only and walk every row of every sheet."""
    from openpyxl import load_workbook

    timer = common.Timer()
    for blob in lists:
        book = load_workbook(io.BytesIO(blob), read_only=True, data_only=True)
        for sheet in book.worksheets:
            for _row in sheet.iter_rows(values_only=True):
                pass
        book.close()
    return timer()


def _raw_parse_files(paths: list[Path]) -> float:
    return raw_parse_seconds([path.read_bytes() for path in paths])


def ceiling_seconds(folder: Path, lists: dict[str, bytes], processes: int) -> float:
    """The ceiling's work in ``processes`` processes at once, each its share of the lists (read
    from their files, as the portal's processes each receive theirs): the slowest's seconds."""
    if processes == 1:
        return raw_parse_seconds(list(lists.values()))
    paths = [folder / f"{code}.xlsx" for code in lists]
    shares = [paths[index::processes] for index in range(processes)]
    with ProcessPoolExecutor(max_workers=processes) as pool:
        pool.submit(int).result()  # the processes are up before the clock runs
        return max(pool.map(_raw_parse_files, shares))


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 3)


def run_level(
    folder: Path, lists: dict[str, bytes], clients: int, rows: int, processes: int
) -> dict[str, Any]:
    from sqlmodel import func, select

    from models.db import session_scope
    from models.nomination import Nomination, Submission

    with common.database("postgresql", folder / f"rush-{clients}") as url:
        campaign = common.plan(len(lists))
        common.mark_called_and_submitted(campaign, 0.0)
        tokens = portal_client.mint_links(campaign.id, common.at(campaign.dispatch_on, 8))
        env = {
            "TONVINH_DATABASE_URL": url,
            "TONVINH_NOW": common.at(campaign.submission_due, 9).isoformat(),
        }
        os.environ.pop("PREFECT_API_URL", None)  # no Prefect server: the portal sends no events
        with portal_client.portal_process(env, folder / f"rush-{clients}", processes) as (
            base,
            pid,
        ):
            uploads = [(tokens[code], blob, f"{code}.xlsx") for code, blob in lists.items()]
            timer = common.Timer()
            answers = portal_client.upload_all(base, uploads, clients)
            seconds = timer()
            rss = portal_client.peak_rss_mb(pid)
        with session_scope() as session:
            submissions = session.exec(select(func.count()).select_from(Submission)).one()
            dossiers = session.exec(select(func.count()).select_from(Nomination)).one()
            # One dossier per (unit, nominee): a list stored twice would show here.
            distinct = session.exec(
                select(func.count(func.distinct(Nomination.unit_id, Nomination.nominee_key)))
            ).one()
    statuses = Counter(str(status) for status, _latency in answers)
    common.note(f"rush at {clients} clients: {dict(statuses)} in {seconds:.1f}s")
    latencies = [latency for status, latency in answers if status == 200]
    accepted = statuses.get("200", 0)
    return {
        "clients": clients,
        "uploads": len(answers),
        "statuses": dict(statuses),
        "seconds": round(seconds, 2),
        "uploads_per_s": round(accepted / seconds, 1),
        "latency_s": {
            "p50": _percentile(latencies, 0.50),
            "p95": _percentile(latencies, 0.95),
            "p99": _percentile(latencies, 0.99),
            "mean": round(statistics.fmean(latencies), 3) if latencies else None,
        },
        "portal_peak_rss_mb": rss,
        "stored": {"submissions": submissions, "dossiers": dossiers, "distinct": distinct},
        "none_lost": submissions == accepted and dossiers == accepted * rows,
        "no_500": statuses.get("500", 0) == 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    quick = common.quick()
    parser.add_argument("--units", type=int, default=200 if quick else 2000)
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--clients", default="20,100")
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="the portal's serving processes (TONVINH_PORTAL_PROCESSES), and the ceiling's",
    )
    args = parser.parse_args()
    levels = [int(level) for level in args.clients.split(",")]
    with common.scratch("rush") as folder:
        prepared = common.Timer()
        lists = prepare_lists(args.units, args.rows, folder / "lists")
        common.note(f"rush: wrote {len(lists)} lists of {args.rows} rows in {prepared()}s")
        parse_s = min(ceiling_seconds(folder / "lists", lists, args.processes) for _ in range(2))
        ceiling = round(len(lists) / parse_s, 1)
        runs = [run_level(folder, lists, clients, args.rows, args.processes) for clients in levels]
    out: dict[str, Any] = {
        "scenario": "rush",
        "units": args.units,
        "rows_per_list": args.rows,
        "list_kb": round(statistics.fmean(len(b) for b in lists.values()) / 1024, 1),
        "ceiling": {
            "raw_parse_s": round(parse_s, 2),
            "lists_per_s": ceiling,
            "processes": args.processes,
        },
        "runs": runs,
        "machine": common.machine(),
    }
    by_clients = {run["clients"]: run for run in runs}
    low, high = by_clients.get(20), by_clients.get(100)
    out["targets"] = {
        "ge_half_ceiling": all(run["uploads_per_s"] >= 0.5 * ceiling for run in runs),
        "p99_le_1s_at_20": low is not None and low["latency_s"]["p99"] <= 1.0,
        "at_100_none_lost_no_500": high is not None and high["none_lost"] and high["no_500"],
    }
    common.emit(out)


if __name__ == "__main__":
    main()
