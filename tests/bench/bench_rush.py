"""Scenario 5 — rush: the deadline-day rush on the unit portal.

    python -m tests.bench.bench_rush [--units 2000] [--rows 50] [--clients 20,100]

Every unit uploads its own ``--rows``-row list through HTTP to the portal as deployed: the
``tonvinh portal`` process (uvicorn, one process) on PostgreSQL, its clock at the last day of
the window. The lists are written before any timer starts (in parallel processes); each unit's
client opens its page (cookie and anti-forgery token), then posts its file; only the post is
timed. One run per level of ``--clients`` concurrent clients, each on a fresh database and a
fresh portal process. Reported per run: p50/p95/p99 of the upload's latency, uploads per
second, the portal's peak RSS, the answers by status (a 503 with Retry-After past the upload
queue is acceptable and counted), and what the database holds afterwards (no upload lost, no
dossier twice).

Ceiling: the raw parse of the same lists (``openpyxl`` read-only, every row of every sheet,
nothing done with them) in one process, as many as the portal has: lists per second.

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import re
import signal
import statistics
import subprocess
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import httpx

from tests.bench import common

CSRF_FIELD = re.compile(r'name="csrf" value="([0-9a-f]+)"')
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def _links(campaign: Any) -> dict[str, str]:
    """Every unit called, each with a fresh link (as the call's delivery mints them)."""
    from sqlmodel import select

    from models.access import mint_unit_token
    from models.campaign import CampaignUnit
    from models.db import get_engine
    from models.unit import Unit

    common.mark_called_and_submitted(campaign, 0.0)
    now = common.at(campaign.dispatch_on, 8)
    tokens: dict[str, str] = {}
    with get_engine().begin() as connection:
        parts = connection.execute(
            select(CampaignUnit.id, Unit.code)
            .join(Unit, Unit.id == CampaignUnit.unit_id)  # type: ignore[arg-type]
            .where(CampaignUnit.campaign_id == campaign.id)
        ).all()
        for part_id, code in parts:
            tokens[code] = mint_unit_token(connection, part_id, now)
    return tokens


async def _unit(
    client_slots: asyncio.Semaphore, base: str, token: str, data: bytes, code: str
) -> tuple[int, float]:
    async with client_slots, httpx.AsyncClient(base_url=base, timeout=300) as client:
        page = await client.get(f"/nop/{token}/")
        found = CSRF_FIELD.search(page.text)
        if page.status_code != 200 or found is None:
            return page.status_code, 0.0
        started = time.perf_counter()
        answer = await client.post(
            f"/nop/{token}/nop-danh-sach",
            data={"csrf": found.group(1)},
            files={"file": (f"{code}.xlsx", data, XLSX)},
        )
        if answer.status_code == 422 and os.environ.get("RUSH_DEBUG"):
            common.note(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.text))[-1500:])
        return answer.status_code, time.perf_counter() - started


async def _rush(base: str, tokens: dict[str, str], lists: dict[str, bytes], clients: int) -> Any:
    slots = asyncio.Semaphore(clients)
    jobs = [_unit(slots, base, tokens[code], lists[code], code) for code in lists]
    return await asyncio.gather(*jobs)


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 3)


def run_level(folder: Path, lists: dict[str, bytes], clients: int, rows: int) -> dict[str, Any]:
    from sqlmodel import func, select

    from models.db import session_scope
    from models.nomination import Nomination, Submission

    with common.database("postgresql", folder / f"rush-{clients}") as url:
        campaign = common.plan(len(lists))
        tokens = _links(campaign)
        port = common.free_port()
        env = {
            **os.environ,
            "TONVINH_DATABASE_URL": url,
            "TONVINH_NOW": common.at(campaign.submission_due, 9).isoformat(),
            "TONVINH_VAR_DIR": str(folder / f"rush-{clients}"),
        }
        env.pop("PREFECT_API_URL", None)  # no Prefect server: the portal sends no events
        portal = subprocess.Popen(
            [str(Path(common.PYTHON).parent / "tonvinh"), "portal", "--port", str(port)],
            cwd=common.ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(base + "/", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or portal.poll() is not None:
                    raise RuntimeError("the portal did not start")
                time.sleep(0.2)
            timer = common.Timer()
            answers = asyncio.run(_rush(base, tokens, lists, clients))
            seconds = timer()
            rss = _peak_rss_mb(portal.pid)
        finally:
            portal.send_signal(signal.SIGTERM)
            portal.wait(30)
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
    parser.add_argument("--units", type=int, default=300 if quick else 2000)
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--clients", default="20,100")
    args = parser.parse_args()
    levels = [int(level) for level in args.clients.split(",")]
    with common.scratch("rush") as folder:
        prepared = common.Timer()
        lists = prepare_lists(args.units, args.rows, folder / "lists")
        common.note(f"rush: wrote {len(lists)} lists of {args.rows} rows in {prepared()}s")
        parse_s = min(raw_parse_seconds(list(lists.values())) for _ in range(2))
        ceiling = round(len(lists) / parse_s, 1)
        runs = [run_level(folder, lists, clients, args.rows) for clients in levels]
    out: dict[str, Any] = {
        "scenario": "rush",
        "units": args.units,
        "rows_per_list": args.rows,
        "list_kb": round(statistics.fmean(len(b) for b in lists.values()) / 1024, 1),
        "ceiling": {"raw_parse_s": round(parse_s, 2), "lists_per_s": ceiling, "processes": 1},
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
