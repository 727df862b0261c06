"""The portal inside another process: uvicorn in a thread on a free loopback port.

``make run``'s demo and the tests answer the campaign's emails the way people do, over HTTP to a
real server; this starts one for the length of a ``with`` block. The app reads its settings,
database and clock per request, so the caller configures those (``TONVINH_*``, ``clock.set_now``)
and the running portal follows. It shares its process's Prefect (``app.state.shares_prefect``):
the leader's page can resume an approval run this same process runs, even on Prefect's
in-process ephemeral server, which a separate portal process could not reach.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from notifications.smtp_server import free_port
from portal.app import create_app
from portal.server import config as server_config

START_SECONDS = 20


@contextmanager
def running_portal(
    app: FastAPI | None = None, *, port: int | None = None, log_level: str = "warning"
) -> Iterator[str]:
    """``app`` (a new portal app by default) under uvicorn on 127.0.0.1; yields its base URL
    (``http://127.0.0.1:N``)."""
    chosen = port or free_port()
    served = app or create_app()
    served.state.shares_prefect = True
    server = uvicorn.Server(server_config("127.0.0.1", chosen, app=served, log_level=log_level))
    thread = threading.Thread(target=server.run, name="portal", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_SECONDS
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError(f"the portal did not start on 127.0.0.1:{chosen}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{chosen}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
