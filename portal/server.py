"""Running the portal: uvicorn with the access log redacted (``portal.logs``)."""

from __future__ import annotations

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
    uvicorn.Server(config(host, port, forwarded_allow_ips=forwarded_allow_ips)).run()
