"""The units' side of the portal in the benchmarks: ``tonvinh portal`` as deployed (its own
process under uvicorn), links minted as the call's delivery mints them, and a unit's upload as
a browser makes it (its page for the cookie and the anti-forgery token, then the file).

Used by the rush (``bench_rush``) and the national campaign (``bench_campaign``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from cli.demo_units import CSRF_FIELD, XLSX
from tests.bench import common

# One TLS context for every simulated unit. httpx builds one per client otherwise: 24 ms of
# CPU (certifi's whole bundle) per upload, on the same two cores as the portal, which is served
# over plain HTTP anyway (in the national campaign, 250 s of this process's CPU).
_TLS = ssl.create_default_context()


def mint_links(campaign_id: int, now: Any) -> dict[str, str]:
    """A fresh link for every unit of the campaign, as the call's delivery mints them (the
    simulated units read it from their email)."""
    from sqlmodel import select

    from models.access import mint_unit_token
    from models.campaign import CampaignUnit
    from models.db import get_engine
    from models.unit import Unit

    tokens: dict[str, str] = {}
    with get_engine().begin() as connection:
        parts = connection.execute(
            select(CampaignUnit.id, Unit.code)
            .join(Unit, Unit.id == CampaignUnit.unit_id)  # type: ignore[arg-type]
            .where(CampaignUnit.campaign_id == campaign_id)
        ).all()
        for part_id, code in parts:
            tokens[code] = mint_unit_token(connection, part_id, now)
    return tokens


def peak_rss_mb(pid: int) -> float:
    """A child process's peak resident memory (VmHWM), with its own children's: the portal's
    supervisor and its serving processes (the sum of each one's peak)."""
    peak = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) / 1024
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                peak += peak_rss_mb(int(child))
    return round(peak, 1)


@contextlib.contextmanager
def portal_process(
    env: dict[str, str], var_dir: Path, processes: int = 1
) -> Iterator[tuple[str, int]]:
    """``tonvinh portal`` on a free loopback port with ``env`` (its database, its clock),
    serving with ``processes`` processes; yields its base URL and pid once it answers, stops
    it with SIGTERM afterwards."""
    port = common.free_port()
    command = ["portal", "--port", str(port), "--processes", str(processes)]
    portal = subprocess.Popen(
        [str(Path(common.PYTHON).parent / "tonvinh"), *command],
        cwd=common.ROOT,
        env={**os.environ, **env, "TONVINH_VAR_DIR": str(var_dir)},
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
        yield base, portal.pid
    finally:
        portal.send_signal(signal.SIGTERM)
        portal.wait(30)


async def upload(
    slots: asyncio.Semaphore, base: str, token: str, data: bytes | Path, file_name: str
) -> tuple[int, float]:
    """One unit opens its page and sends its list (bytes, or a file read only now, so a
    national run never holds every list in memory); the answer's status and the post's
    latency (the page's load is not timed)."""
    async with slots, httpx.AsyncClient(base_url=base, timeout=300, verify=_TLS) as client:
        if isinstance(data, Path):
            data = data.read_bytes()
        page = await client.get(f"/nop/{token}/")
        found = CSRF_FIELD.search(page.text)
        if page.status_code != 200 or found is None:
            return page.status_code, 0.0
        started = time.perf_counter()
        answer = await client.post(
            f"/nop/{token}/nop-danh-sach",
            data={"csrf": found.group(1)},
            files={"file": (file_name, data, XLSX)},
        )
        if answer.status_code == 422 and os.environ.get("RUSH_DEBUG"):
            common.note(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.text))[-1500:])
        return answer.status_code, time.perf_counter() - started


def upload_all(
    base: str, uploads: list[tuple[str, bytes | Path, str]], clients: int
) -> list[tuple[int, float]]:
    """Every (token, file, name) uploaded with at most ``clients`` at once."""

    async def run() -> list[tuple[int, float]]:
        slots = asyncio.Semaphore(clients)
        return await asyncio.gather(
            *(upload(slots, base, token, data, name) for token, data, name in uploads)
        )

    return asyncio.run(run())
