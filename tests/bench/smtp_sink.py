"""A real SMTP server (aiosmtpd) in its own process, for the benchmarks.

    python -m tests.bench.smtp_sink [--maildir DIR]

Prints one JSON line ``{"port": N}`` when it is listening, then answers commands on stdin, one
per line: ``stats`` prints ``{"received": N, "connections": N, "bytes": N}``, ``reset`` zeroes
the counters, ``quit`` (or end of input) stops it. By default it counts and discards each
message (the server is then as cheap as it can be, so the ceiling is as high as it can be);
``--maildir`` writes every message to a Maildir with ``notifications.smtp_server.MailboxServer``
instead, the embedded server the product runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from notifications.smtp_server import MailboxServer, free_port


class CountingHandler:
    """Accepts every message and keeps only counts."""

    def __init__(self) -> None:
        self.received = 0
        self.bytes = 0
        self.connections = 0
        self._lock = threading.Lock()

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        if not getattr(server, "bench_counted", False):
            server.bench_counted = True
            with self._lock:
                self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.received += 1
            self.bytes += len(envelope.original_content or b"")
        return "250 2.0.0 OK"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--maildir", type=Path, default=None)
    args = parser.parse_args()
    if args.maildir is not None:
        server = MailboxServer(args.maildir).start()
        port = server.port

        def stats() -> dict[str, int]:
            return {"received": server.received, "connections": server.connections, "bytes": 0}

        def reset() -> None:
            server.handler.received = 0
            server.handler.connections = 0

        stop = server.stop
    else:
        handler = CountingHandler()
        port = free_port("127.0.0.1")
        controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=10.0)
        controller.start()

        def stats() -> dict[str, int]:
            return {
                "received": handler.received,
                "connections": handler.connections,
                "bytes": handler.bytes,
            }

        def reset() -> None:
            handler.received = handler.bytes = handler.connections = 0

        stop = controller.stop
    print(json.dumps({"port": port}), flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "stats":
            print(json.dumps(stats()), flush=True)
        elif command == "reset":
            reset()
            print(json.dumps({"ok": True}), flush=True)
        elif command == "quit":
            break
    stop()


if __name__ == "__main__":
    main()
