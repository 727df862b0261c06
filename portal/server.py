"""Running the portal: uvicorn with the access log redacted (``portal.logs``)."""

from __future__ import annotations

import gc
from typing import Any

import uvicorn

from portal.logs import log_config

APP = "portal.app:create_app"


def config(
    host: str,
    port: int,
    *,
    forwarded_allow_ips: str | None = None,
    log_level: str = "info",
    app: Any = APP,
) -> uvicorn.Config:
    """uvicorn's configuration for the portal. Behind a TLS reverse proxy, the proxy's address
    goes in ``forwarded_allow_ips``: uvicorn then takes the client's address and the https
    scheme from its X-Forwarded-* headers (the throttle counts real clients, cookies get
    ``Secure``); from anyone else those headers are ignored."""
    return uvicorn.Config(
        app,
        factory=app == APP,
        host=host,
        port=port,
        log_config=log_config(log_level),
        log_level=log_level,
        access_log=True,  # each line goes through the token-redacting filter
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips or "127.0.0.1",
        server_header=False,
        timeout_keep_alive=5,
    )


def serve(host: str, port: int, *, forwarded_allow_ips: str | None = None) -> None:
    """Serve until stopped. Everything loaded at start (the app, FastAPI, SQLAlchemy, openpyxl:
    some 300,000 objects) lives as long as the process, so it is moved out of the garbage
    collector's reach once loaded: a full collection then walks only what requests built, not
    the whole process (each upload builds enough to set one off; the reader's CPU per list
    fell by ~30% in tests/bench/bench_rush's lists). Only this process does it: the portal
    embedded in a demo or a test shares its process with other work."""
    server_config = config(host, port, forwarded_allow_ips=forwarded_allow_ips)
    server_config.load()  # imports and builds the app, as uvicorn would on start
    gc.collect()
    gc.freeze()
    uvicorn.Server(server_config).run()
