"""The embedded SMTP server as a long-lived process: a pilot's mail goes to a Maildir.

    python -m deploy.mailbox --host 127.0.0.1 --port 8025 --dir var/mailbox

`make up` starts it only when TONVINH_SMTP_HOST is a loopback address and nothing listens on
TONVINH_SMTP_PORT; with a real SMTP relay configured it is never started. Stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path
from types import FrameType

from models.private_files import private_umask
from notifications.smtp_server import MailboxServer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="local SMTP server writing to a Maildir")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", type=Path, default=Path("var/mailbox"))
    args = parser.parse_args(argv)
    private_umask()  # every email is a file: owner-only, whoever started this process
    args.dir.parent.mkdir(parents=True, exist_ok=True)  # Maildir creates only its own folder
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with MailboxServer(args.dir, host=args.host, port=args.port) as server:
        print(f"SMTP {server.host}:{server.port} → {args.dir.resolve()}", flush=True)
        stopping.wait()


if __name__ == "__main__":
    main()
