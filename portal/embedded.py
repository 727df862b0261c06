"""The portal inside another process (the demo, the tests): uvicorn on a free loopback port in
a daemon thread, for as long as a ``with`` block lasts."""

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


@contextmanager
def running_portal(app: FastAPI | None = None, *, log_level: str = "warning") -> Iterator[str]:
    """Serve ``app`` (a fresh portal app by default) on 127.0.0.1; yields its base URL."""
    served = app if app is not None else create_app()
    port = free_port()
    server = uvicorn.Server(server_config("127.0.0.1", port, app=served, log_level=log_level))
    thread = threading.Thread(target=server.run, name="portal-embedded", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the portal did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
