"""The portal inside another process (the demo, tests): uvicorn in a thread on a free loopback
port, for as long as a ``with`` block lasts.

An embedded portal shares its process's Prefect (``app.state.shares_prefect``): the leader's page
can resume an approval run that this same process is running, even against Prefect's in-process
ephemeral server, which a separate portal process could not reach.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from notifications.smtp_server import free_port
from portal.app import create_app
from portal.server import config

START_SECONDS = 20


@contextmanager
def running_portal(log_level: str = "warning") -> Iterator[str]:
    """A running portal; yields its base URL (``http://127.0.0.1:<port>``)."""
    app = create_app()
    app.state.shares_prefect = True
    port = free_port()
    server = uvicorn.Server(config("127.0.0.1", port, app=app, log_level=log_level))
    thread = threading.Thread(target=server.run, name="embedded-portal", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_SECONDS
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError("Cổng không khởi động được. / The portal did not start.")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
