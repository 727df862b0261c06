"""Deadlines for an SMTP connection, enforced even against a peer that trickles its bytes.

Why a per-read timeout is not enough: ``smtplib`` reads a reply line through a buffered file
object, and every ``recv`` gets the full socket timeout again. A server that sends one byte of
its greeting every 5 s never lets a 20 s timeout expire, and delivery waits forever.

So a **watchdog** (one small thread per ``Mailer``) holds the deadline of whatever the
connection is doing — connecting (TCP connect, greeting, EHLO, STARTTLS, AUTH), one message,
the polite QUIT — and when it passes, shuts the socket down (``shutdown(SHUT_RDWR)``). The
blocked ``recv``/``send`` returns at once (end of stream, or an error), ``smtplib`` raises, and
the mailer reports a timeout (``Watchdog.fired``). The thread holds a ``dup`` of the socket's
descriptor, taken when the socket is created: a shutdown through it reaches the connection
however ``smtplib`` wraps the original (STARTTLS and SMTPS replace the socket object), and the
descriptor can never be closed and reused under us by an unrelated connection.

Name resolution is the one blocking step no socket can interrupt: it runs in a helper thread
joined with the remaining time, and a lookup that outlives it is abandoned (it ends when the
resolver gives up; nothing waits for it). ``socket.getfqdn()`` for EHLO is resolved once per
process the same way.

Arming costs a lock and a few assignments per message; the thread sleeps until the earliest
deadline and wakes only to fire or, idle for ``IDLE_EXIT`` seconds, to exit.
"""

from __future__ import annotations

import contextlib
import ipaddress
import queue
import smtplib
import socket
import ssl
import threading
import time
from functools import cache
from typing import Any

# An idle watchdog thread exits after this long; the next ``arm`` starts a new one.
IDLE_EXIT = 30.0
# How long EHLO's own name may take to look up before we fall back to the bare host name.
LOCAL_NAME_LOOKUP_SECONDS = 2.0


class Watchdog:
    """Shuts down the watched socket when the armed deadline passes; thread-safe."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._deadline: float | None = None  # time.monotonic()
        self._waiting_until: float | None = None  # when the thread will next look
        self._handle: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._what = ""
        self.fired = False
        self.fired_during = ""

    # -- the socket -----------------------------------------------------------------------------

    def watch(self, sock: socket.socket) -> None:
        """Watch ``sock`` (a duplicate descriptor of it) until ``forget``."""
        handle = sock.dup()
        with self._cond:
            old, self._handle = self._handle, handle
        if old is not None:
            old.close()

    def forget(self) -> None:
        """Stop watching and close our duplicate (the connection itself is the caller's)."""
        with self._cond:
            handle, self._handle = self._handle, None
        if handle is not None:
            handle.close()

    # -- the deadline ---------------------------------------------------------------------------

    def arm(self, seconds: float, what: str) -> None:
        """From now, ``what`` (e.g. "connect") must be done within ``seconds``."""
        deadline = time.monotonic() + seconds
        with self._cond:
            self._deadline = deadline
            self._what = what
            self.fired = False
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="smtp-watchdog", daemon=True)
                self._thread.start()
            elif self._waiting_until is None or deadline < self._waiting_until:
                # Only an earlier deadline needs the thread awake; a later one is seen when it
                # next wakes, so a message after a message costs no wake-up at all.
                self._cond.notify()

    def disarm(self) -> bool:
        """The operation finished (or failed); True if the deadline had fired meanwhile."""
        with self._cond:
            self._deadline = None
            return self.fired

    def remaining(self) -> float | None:
        """Seconds left before the armed deadline (None when disarmed)."""
        with self._cond:
            if self._deadline is None:
                return None
            return self._deadline - time.monotonic()

    def stop(self) -> None:
        """Disarm and let the thread exit now (it would after ``IDLE_EXIT`` anyway)."""
        with self._cond:
            self._deadline = None
            self._what = "stop"
            self._cond.notify()
        self.forget()

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                if self._deadline is None:
                    if self._what == "stop":
                        break
                    self._waiting_until = now + IDLE_EXIT
                    self._cond.wait(IDLE_EXIT)
                    if self._deadline is None and time.monotonic() >= self._waiting_until:
                        break
                    continue
                if now >= self._deadline:
                    self.fired = True
                    self.fired_during = self._what
                    self._deadline = None
                    if self._handle is not None:
                        # The peer may already be gone; then there is nothing left to stop.
                        with contextlib.suppress(OSError):
                            self._handle.shutdown(socket.SHUT_RDWR)
                    continue
                self._waiting_until = self._deadline
                self._cond.wait(self._deadline - now)
            self._thread = None
            self._waiting_until = None
            self._what = ""


def resolve(host: str, port: int, seconds: float) -> list[Any]:
    """``getaddrinfo`` for a TCP connection, abandoned after ``seconds`` (raises TimeoutError)."""
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(host)  # a literal address needs no lookup, and no thread
        return socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    answer: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)

    def lookup() -> None:
        try:
            answer.put((True, socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)))
        except OSError as exc:
            answer.put((False, exc))

    threading.Thread(target=lookup, name="smtp-resolve", daemon=True).start()
    try:
        ok, value = answer.get(timeout=max(seconds, 0.0))
    except queue.Empty:
        raise TimeoutError(f"looking up {host} took longer than {seconds:.1f} s") from None
    if not ok:
        raise value
    return list(value)


@cache
def local_hostname() -> str:
    """This host's name for EHLO: ``getfqdn`` (a DNS lookup that can stall on a machine with a
    broken resolver) bounded to a few seconds, else the bare host name. Once per process."""
    answer: queue.Queue[str] = queue.Queue(maxsize=1)
    threading.Thread(
        target=lambda: answer.put(socket.getfqdn()), name="smtp-fqdn", daemon=True
    ).start()
    try:
        return answer.get(timeout=LOCAL_NAME_LOOKUP_SECONDS)
    except queue.Empty:
        return socket.gethostname() or "localhost"


def _open_socket(
    watchdog: Watchdog, host: str, port: int, timeout: float, source: Any
) -> socket.socket:
    """A connected TCP socket, watched from before ``connect`` so the deadline covers it all."""
    left = watchdog.remaining()
    budget = timeout if left is None else max(min(timeout, left), 0.001)
    error: OSError | None = None
    for family, kind, proto, _name, address in resolve(host, port, budget):
        sock = socket.socket(family, kind, proto)
        try:
            watchdog.watch(sock)
            left = watchdog.remaining()
            sock.settimeout(timeout if left is None else max(min(timeout, left), 0.001))
            if source:
                sock.bind(source)
            sock.connect(address)
            sock.settimeout(timeout)  # per read from here on; the watchdog bounds the whole
            return sock
        except OSError as exc:
            error = exc
            watchdog.forget()
            sock.close()
    raise error or OSError(f"no address for {host}")


class DeadlineSMTP(smtplib.SMTP):
    """``smtplib.SMTP`` whose socket the given watchdog can shut down (yagmail builds it with
    ``watchdog=`` among its connection options)."""

    def __init__(self, host: str = "", port: int = 0, *, watchdog: Watchdog, **kw: Any) -> None:
        self.watchdog = watchdog
        kw.setdefault("local_hostname", local_hostname())
        super().__init__(host, port, **kw)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return _open_socket(self.watchdog, host, port, timeout, self.source_address)


class DeadlineSMTP_SSL(smtplib.SMTP_SSL):  # smtplib spells it so
    """``smtplib.SMTP_SSL`` (implicit TLS), watched the same way; the handshake is covered."""

    context: ssl.SSLContext

    def __init__(self, host: str = "", port: int = 0, *, watchdog: Watchdog, **kw: Any) -> None:
        self.watchdog = watchdog
        kw.setdefault("local_hostname", local_hostname())
        super().__init__(host, port, **kw)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        plain = _open_socket(self.watchdog, host, port, timeout, self.source_address)
        host_name = getattr(self, "_host", host)  # smtplib keeps the name it was given
        return self.context.wrap_socket(plain, server_hostname=host_name)
