"""A misbehaving SMTP server on loopback: real sockets, real SMTP replies, delivered slowly.

aiosmtpd answers as fast as it can; the peers an outbox meets in the wild do not. This one,
raw sockets and a thread per connection, can wait before every reply (a server answering each
command after seconds), trickle its greeting one byte at a time (no per-read timeout ever
expires), start the answer to a message and stall, refuse a login, refuse recipients with a
chosen reply. It records the Message-ID of every message whose data it received, so a test
counts what arrived, duplicates included.
"""

from __future__ import annotations

import base64
import contextlib
import re
import socket
import threading
from collections import Counter
from types import TracebackType

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)\s*$", re.IGNORECASE | re.MULTILINE)


class SmtpPeer:
    """Start with ``with SmtpPeer(...) as peer``; ``peer.port`` is where it listens."""

    def __init__(
        self,
        *,
        reply_delay: float = 0.0,
        dribble_greeting_every: float | None = None,
        stall_message_reply: bool = False,
        auth: tuple[str, str] | None = None,
        rcpt_reply: str | None = None,
    ) -> None:
        self.reply_delay = reply_delay
        self.dribble_greeting_every = dribble_greeting_every
        self.stall_message_reply = stall_message_reply
        self.auth = auth
        self.rcpt_reply = rcpt_reply
        self.received: list[str] = []  # Message-IDs, in arrival order, repeats kept
        self.connections = 0
        self.closed_by_client = 0  # connections the client hung up (or shut down)
        self.logins = 0
        self.refused_logins = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self.port = 0

    # -- what arrived --------------------------------------------------------------------------

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(self.received)

    # -- life -----------------------------------------------------------------------------------

    def __enter__(self) -> SmtpPeer:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        self._listener = listener
        self.port = listener.getsockname()[1]
        accept = threading.Thread(target=self._accept, name="peer-accept", daemon=True)
        accept.start()
        self._threads.append(accept)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stopping.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):  # wakes the accept() (close alone does not)
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._sockets.append(conn)
            worker = threading.Thread(target=self._session, args=(conn,), daemon=True)
            worker.start()
            self._threads.append(worker)

    # -- one SMTP session ----------------------------------------------------------------------

    def _send(self, conn: socket.socket, text: str) -> None:
        if self.reply_delay and self._stopping.wait(self.reply_delay):
            raise ConnectionAbortedError("stopping")
        conn.sendall(text.encode())

    def _greet(self, conn: socket.socket) -> None:
        greeting = b"220 peer.test ESMTP ready\r\n"
        if self.dribble_greeting_every is None:
            self._send(conn, greeting.decode())
            return
        for byte in greeting:  # one byte at a time: every read gets *something* in time
            conn.sendall(bytes([byte]))
            if self._stopping.wait(self.dribble_greeting_every):
                return

    def _session(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        try:
            self._greet(conn)
            while not self._stopping.is_set():
                line = reader.readline()
                if not line:
                    with self._lock:
                        self.closed_by_client += 1
                    return
                if not self._command(conn, reader, line.rstrip(b"\r\n").decode("latin-1")):
                    return
        except OSError:
            with self._lock:
                self.closed_by_client += 1
        finally:
            reader.close()
            conn.close()

    def _command(self, conn: socket.socket, reader: object, line: str) -> bool:
        verb = line.split(" ", 1)[0].upper()
        if verb == "EHLO":
            features = ["peer.test", *(["AUTH PLAIN"] if self.auth else []), "8BITMIME"]
            lines = [f"250-{f}" for f in features[:-1]] + [f"250 {features[-1]}"]
            self._send(conn, "\r\n".join(lines) + "\r\n")
        elif verb == "HELO":
            self._send(conn, "250 peer.test\r\n")
        elif verb == "AUTH":
            self._login(conn, reader, line)
        elif verb == "MAIL":
            self._send(conn, "250 2.1.0 OK\r\n")
        elif verb == "RCPT":
            self._send(conn, f"{self.rcpt_reply or '250 2.1.5 OK'}\r\n")
        elif verb == "DATA":
            self._send(conn, "354 End data with <CR><LF>.<CR><LF>\r\n")
            data = self._data(reader)
            found = _MESSAGE_ID.search(data.split(b"\r\n\r\n", 1)[0])
            with self._lock:  # the message is ours now, whatever becomes of our answer
                self.received.append(found.group(1).decode() if found else "?")
            if self.stall_message_reply:
                conn.sendall(b"25")  # the answer starts ... and never ends
                self._stopping.wait()
                return False
            self._send(conn, "250 2.0.0 queued\r\n")
        elif verb in ("RSET", "NOOP"):
            self._send(conn, "250 2.0.0 OK\r\n")
        elif verb == "QUIT":
            self._send(conn, "221 2.0.0 bye\r\n")
            return False
        else:
            self._send(conn, "502 5.5.2 not implemented\r\n")
        return True

    @staticmethod
    def _data(reader: object) -> bytes:
        lines: list[bytes] = []
        while True:
            line = reader.readline()  # type: ignore[attr-defined]
            if not line or line == b".\r\n":
                return b"".join(lines)
            lines.append(line)

    def _login(self, conn: socket.socket, reader: object, line: str) -> None:
        parts = line.split()
        if len(parts) < 2 or parts[1].upper() != "PLAIN" or self.auth is None:
            self._send(conn, "504 5.5.4 mechanism not supported\r\n")
            return
        if len(parts) == 3:
            answer = parts[2]
        else:
            self._send(conn, "334 \r\n")
            answer = reader.readline().strip().decode()  # type: ignore[attr-defined]
        try:
            _zid, user, password = base64.b64decode(answer).decode().split("\0")
        except ValueError:
            user, password = "", ""
        if (user, password) == self.auth:
            with self._lock:
                self.logins += 1
            self._send(conn, "235 2.7.0 Authentication successful\r\n")
        else:
            with self._lock:
                self.refused_logins += 1
            self._send(conn, "535 5.7.8 Authentication credentials invalid\r\n")
