"""Running the portal: uvicorn with the access log redacted (``portal.logs``)."""

from __future__ import annotations

import gc
import multiprocessing
from typing import TYPE_CHECKING, Any

import uvicorn

from portal.logs import log_config

if TYPE_CHECKING:
    from fastapi import FastAPI

APP = "portal.server:served_app"


def served_app() -> FastAPI:
    """The app as ``tonvinh portal`` serves it, built in each worker process. Everything loaded
    by then (the app, FastAPI, SQLAlchemy, openpyxl: some 300,000 objects) lives as long as the
    process, so it is moved out of the garbage collector's reach: a full collection then walks
    only what requests built, not the whole process (each upload builds enough to set one off;
    the reader's CPU per list fell by ~30% in tests/bench/bench_rush's lists). Only a process
    that does nothing but serve does it: the portal embedded in a demo or a test shares its
    process with other work."""
    from notifications.forking import die_with_parent
    from portal.app import create_app

    supervisor = multiprocessing.parent_process()
    if supervisor is not None and supervisor.pid is not None:
        # One of ``--processes N``: it dies with its supervisor, even a SIGKILLed one, instead
        # of serving on alone (systemd stops the whole group anyway; a shell or a test does not).
        die_with_parent(supervisor.pid)
    app = create_app()
    gc.collect()
    gc.freeze()
    return app


def options(
    host: str,
    port: int,
    *,
    forwarded_allow_ips: str | None = None,
    log_level: str = "info",
) -> dict[str, Any]:
    """uvicorn's settings for the portal. Behind a TLS reverse proxy, the proxy's address goes
    in ``forwarded_allow_ips``: uvicorn then takes the client's address and the https scheme
    from its X-Forwarded-* headers (the throttle counts real clients, cookies get ``Secure``);
    from anyone else those headers are ignored."""
    return {
        "host": host,
        "port": port,
        "log_config": log_config(log_level),
        "log_level": log_level,
        "access_log": True,  # each line goes through the token-redacting filter
        "proxy_headers": True,
        "forwarded_allow_ips": forwarded_allow_ips or "127.0.0.1",
        "server_header": False,
        "timeout_keep_alive": 5,
    }


def config(host: str, port: int, *, app: Any, log_level: str = "info") -> uvicorn.Config:
    """uvicorn's configuration for ``app`` served in this very process (``portal.embedded``)."""
    return uvicorn.Config(app, **options(host, port, log_level=log_level))


def serve(
    host: str, port: int, *, forwarded_allow_ips: str | None = None, workers: int = 1
) -> None:
    """Serve until stopped, in ``workers`` processes sharing the port (uvicorn's supervisor
    restarts one that dies; SIGTERM stops them all). Each process uses one core at most, so a
    busy host runs as many as it has cores; the portal keeps nothing in one process that
    another needs (signed cookies, the database), except the throttle on unknown links and the
    upload queue, which count per process."""
    uvicorn.run(
        APP,
        factory=True,
        workers=workers,
        **options(host, port, forwarded_allow_ips=forwarded_allow_ips),
    )
