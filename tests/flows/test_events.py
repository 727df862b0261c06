"""The services' events reach Prefect only where a Prefect server is there to receive them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A process that imported the flows (as `tonvinh backup` does) but runs none announces an
# event, then counts its own child processes: a throwaway Prefect server would be one.
_ANNOUNCE_AND_COUNT = """
import os
import flows.common
from services import events
events.publish("tonvinh.campaign.checked", events.campaign_resource("TV-2018"))
me = str(os.getpid())
stats = [f"/proc/{p}/stat" for p in os.listdir("/proc") if p.isdigit()]
children = []
for path in stats:
    try:
        with open(path) as stat:
            if stat.read().rsplit(")", 1)[1].split()[1] == me:
                children.append(path)
    except OSError:
        pass
print(len(children))
"""


def test_an_event_outside_any_run_with_no_server_starts_no_prefect_server() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    done = subprocess.run(
        [sys.executable, "-c", _ANNOUNCE_AND_COUNT],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=True,
    )
    assert done.stdout.split() == ["0"], done.stderr
    assert "Starting temporary server" not in done.stderr
