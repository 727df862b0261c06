"""The embedded SMTP server: the default destination for a demo or a pilot, and the tests' server.

Every accepted message is written to a Maildir (``mailbox.Maildir``, one file per message) as
the raw bytes the client sent, preceded by three headers this server adds:

* ``X-Tonvinh-Envelope-From``: the SMTP ``MAIL FROM`` address;
* ``X-Tonvinh-Envelope-To``: the SMTP ``RCPT TO`` addresses, comma separated (Bcc and refused
  recipients are only visible here, not in the message headers);
* ``X-Tonvinh-Arrival``: a sortable arrival stamp (nanoseconds, then a per-server counter),
  because Maildir file names and mtimes do not give a reliable order for fast deliveries.

Prepending headers keeps one file per message that any mail tool opens, with no sidecar to lose.

For tests the server can answer like a difficult real server: refuse chosen recipients
(``fail_rcpt``), refuse the first N messages at DATA (``fail_data_times`` with ``fail_code``,
4xx or 5xx), accept a login (``auth``), and speak TLS (``tls_context``: STARTTLS, or SMTPS
with ``implicit_tls``). These are real SMTP replies on a real socket.
``connections`` counts the client sessions that greeted the server (HELO/EHLO), so a test can
assert that one connection carried many messages; ``logins`` counts successful AUTH exchanges.
"""

from __future__ import annotations

import email.policy
import logging
import mailbox
import socket
import ssl
import threading
import time
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

log = logging.getLogger(__name__)

ENVELOPE_FROM_HEADER = "X-Tonvinh-Envelope-From"
ENVELOPE_TO_HEADER = "X-Tonvinh-Envelope-To"
ARRIVAL_HEADER = "X-Tonvinh-Arrival"
SERVER_HOSTNAME = "tonvinh.local"  # fixed: socket.getfqdn() can stall on a machine without DNS


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS considers free right now (aiosmtpd 1.4.6 cannot bind port 0 itself)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def _header_safe(value: str) -> str:
    # Envelope addresses come from the client: never let them break our own header lines.
    return "".join(ch if ch.isprintable() else " " for ch in value)


class _MaildirHandler:
    """aiosmtpd hooks: optional refusals, then one Maildir file per accepted message."""

    def __init__(
        self,
        folder: mailbox.Maildir,
        *,
        fail_rcpt: dict[str, str],
        fail_data_times: int,
        fail_code: str,
    ) -> None:
        self.folder = folder
        self.fail_rcpt = {address.lower(): reply for address, reply in fail_rcpt.items()}
        self.fail_data_left = fail_data_times
        self.fail_code = fail_code
        self.connections = 0
        self.logins = 0
        self.received = 0
        self.encrypted = 0  # of the received messages, those that came over TLS
        self.refused = 0
        self._sequence = 0
        self._lock = threading.Lock()

    def _count_connection(self, server: SMTP) -> None:
        # One SMTP protocol object per TCP connection; EHLO repeats on it after STARTTLS (and
        # aiosmtpd even makes a new Session then), so mark the connection, not the greeting.
        if not getattr(server, "tonvinh_counted", False):
            server.tonvinh_counted = True  # type: ignore[attr-defined]
            self.connections += 1

    async def handle_HELO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str
    ) -> str:
        self._count_connection(server)
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        self._count_connection(server)
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        reply = self.fail_rcpt.get(address.lower())
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._lock:
            if self.fail_data_left > 0:
                self.fail_data_left -= 1
                self.refused += 1
                return self.fail_code
            self._sequence += 1
            sequence = self._sequence
        transport = server.transport
        if transport is not None and transport.get_extra_info("ssl_object") is not None:
            self.encrypted += 1
        raw = envelope.original_content or b""
        prefix = (
            f"{ENVELOPE_FROM_HEADER}: {_header_safe(str(envelope.mail_from or ''))}\r\n"
            f"{ENVELOPE_TO_HEADER}: {_header_safe(', '.join(envelope.rcpt_tos))}\r\n"
            f"{ARRIVAL_HEADER}: {time.time_ns():020d}-{sequence:09d}\r\n"
        ).encode("ascii", errors="replace")
        self.folder.add(prefix + raw)
        self.received += 1
        return "250 2.0.0 Message accepted for delivery"


class _Controller(Controller):
    """A Controller whose SMTP sessions can authenticate without TLS (loopback tests only)."""

    def __init__(self, handler: _MaildirHandler, *, credentials: tuple[str, str] | None, **kw: Any):
        self._credentials = credentials
        super().__init__(handler, **kw)

    def factory(self) -> SMTP:
        if self._credentials is None:
            return SMTP(self.handler, **self.SMTP_kwargs)
        return SMTP(
            self.handler,
            authenticator=self._authenticate,
            auth_require_tls=False,
            **self.SMTP_kwargs,
        )

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert self._credentials is not None
        user, password = self._credentials
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode("utf-8", "replace") == user
            and data.password.decode("utf-8", "replace") == password
        )
        if ok:
            assert isinstance(self.handler, _MaildirHandler)
            self.handler.logins += 1
        # handled=False: let aiosmtpd answer 535 itself instead of leaving the client hanging.
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)


class MailboxServer:
    """A real SMTP server on loopback writing to a Maildir; use it as a context manager."""

    def __init__(
        self,
        mailbox_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        fail_rcpt: dict[str, str] | None = None,
        fail_data_times: int = 0,
        fail_code: str = "451 4.3.0 Temporary failure, try again later",
        auth: tuple[str, str] | None = None,
        tls_context: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
    ) -> None:
        self.mailbox_dir = Path(mailbox_dir)
        self.host = host
        self.requested_port = port
        self.port = port
        self.handler = _MaildirHandler(
            mailbox.Maildir(self.mailbox_dir, create=True),
            fail_rcpt=fail_rcpt or {},
            fail_data_times=fail_data_times,
            fail_code=fail_code,
        )
        self._auth = auth
        self._tls_context = tls_context
        self._implicit_tls = implicit_tls
        self._controller: _Controller | None = None

    @property
    def connections(self) -> int:
        """Client connections that greeted the server since it was created."""
        return self.handler.connections

    @property
    def logins(self) -> int:
        """Successful AUTH exchanges (only with ``auth=``)."""
        return self.handler.logins

    @property
    def encrypted(self) -> int:
        """Received messages that travelled over TLS (STARTTLS or implicit)."""
        return self.handler.encrypted

    @property
    def received(self) -> int:
        """Messages accepted and written to the Maildir."""
        return self.handler.received

    def start(self) -> MailboxServer:
        """Bind and serve in a background thread; ``port`` then holds the real port."""
        if self._controller is not None:
            return self
        self.port = self.requested_port or free_port(self.host)
        tls: dict[str, Any] = {}
        if self._tls_context is not None:
            # Implicit TLS wraps the socket (SMTPS); otherwise the server offers STARTTLS.
            key = "ssl_context" if self._implicit_tls else "tls_context"
            tls[key] = self._tls_context
        controller = _Controller(
            self.handler,
            credentials=self._auth,
            hostname=self.host,
            port=self.port,
            server_hostname=SERVER_HOSTNAME,
            ready_timeout=10.0,
            **tls,
        )
        controller.start()
        self._controller = controller
        log.info("SMTP server on %s:%s, Maildir %s", self.host, self.port, self.mailbox_dir)
        return self

    def stop(self) -> None:
        """Stop serving; the Maildir stays. Calling it twice is harmless."""
        if self._controller is None:
            return
        self._controller.stop()
        self._controller = None

    def __enter__(self) -> MailboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _arrival_key(message: EmailMessage) -> str:
    return str(message.get(ARRIVAL_HEADER, ""))


def plain_text(message: EmailMessage) -> str:
    """A received message's plain-text body ("" if it has none)."""
    part = message.get_body(preferencelist=("plain",))
    return "" if part is None else str(part.get_content())


def read_mailbox(mailbox_dir: Path) -> list[EmailMessage]:
    """Every message in the Maildir, parsed with ``email.policy.default``, in arrival order."""
    folder_path = Path(mailbox_dir)
    if not (folder_path / "cur").is_dir() and not (folder_path / "new").is_dir():
        return []
    folder = mailbox.Maildir(folder_path, create=False)
    messages: list[EmailMessage] = []
    for key in folder.iterkeys():  # iterating a Mailbox itself yields messages, not keys
        with folder.get_file(key) as handle:
            parsed = message_from_bytes(handle.read(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        messages.append(parsed)
    messages.sort(key=_arrival_key)
    return messages
