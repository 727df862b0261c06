"""The one mailer: yagmail over ONE SMTP connection, reused for every message of a run.

Why not ``yagmail.SMTP.send()``: it opens a new connection on every call (leaking the old one)
and, when a connection drops at DATA, sleeps 18 s and returns ``False`` without raising. So we
``login()`` once and hand each message to ``yag.smtp.sendmail(...)`` ourselves, which gives us
the server's real answer (refusal dict or exception) to classify.

Why not yagmail's ``prepare_send()``: it puts every content item into *both* alternatives,
turning ``\\n`` into ``<br>`` even in the text/plain part, and building through ``email.mime``
and its generator cost ~0.6 ms a message, as long as sending it (measured, BENCHMARKS.md). A
nudge is always the same shape — headers, then multipart/alternative with a text and an HTML
part, both UTF-8 in base64 — so ``build`` writes exactly that: the subject and non-ASCII names
as RFC 2047 encoded words, CR/LF already stripped by ``clean_header``.

Deadlines: connecting (greeting, EHLO, STARTTLS, AUTH) and each message have a deadline that a
watchdog enforces by shutting the socket down, however slowly the peer trickles its bytes
(``notifications.deadline``); a result cut short says so (``timed_out``).

Configuration faults: a refused login (535), a TLS failure and a server that refuses to relay
for us (5.7.x, 530) are not this message's problem but every message's; the result names the
fault (``fault``) so delivery stops instead of deferring every message blindly.

Secrets: the SMTP password is read from ``Settings`` only at login and is scrubbed (with its
base64 AUTH forms) from every error text this module returns or logs.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import re
import secrets
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime, formataddr
from enum import StrEnum
from types import TracebackType

import yagmail

from models.clock import now as clock_now
from models.outbox import MailFaultKind
from models.settings import Settings, SmtpTlsMode
from notifications.addresses import InvalidAddress, normalise_address, parse_mailbox
from notifications.attachments import AttachmentMissing, MailAttachment, mime_part, read
from notifications.deadline import DeadlineSMTP, DeadlineSMTP_SSL, Watchdog
from notifications.render import clean_header

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingEmail:
    """One message ready for the wire; addresses are ``formataddr`` strings."""

    to: list[str]
    cc: list[str]
    subject: str
    text: str
    html: str
    message_id: str
    # The Date header: when the message is sent by the campaign's clock (the demo's compressed
    # time included); None means the clock's "now" when it is built.
    date: datetime | None = None
    # Files it carries: read from under Settings.output_dir when built (or their database copy).
    attachments: tuple[MailAttachment, ...] = ()


class DeliveryOutcome(StrEnum):
    SENT = "sent"
    PARTIAL = "partial"  # some recipients refused, others accepted: counts as sent
    TRANSIENT = "transient"  # try again later (4xx, connection trouble)
    PERMANENT = "permanent"  # will never succeed as is (5xx, invalid address)


@dataclass(frozen=True)
class DeliveryResult:
    """The server's answer; ``recipient_results`` maps bare address -> "accepted"/"refused: …"."""

    outcome: DeliveryOutcome
    recipient_results: dict[str, str]
    error: str | None
    # False when no connection could be made at all: nothing was sent, so the caller can
    # defer the rest of its batch instead of knocking on a closed door for every message.
    reached_server: bool = field(default=True)
    # A configuration fault: no message can go until the settings are fixed (see module doc).
    fault: MailFaultKind | None = None
    # A deadline cut the exchange short: the peer is too slow to trust with the rest now.
    timed_out: bool = False


class MailerError(RuntimeError):
    """Connecting or logging in failed; the message is already scrubbed of secrets."""


def _reply_text(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {text}".strip()


def _is_transient_code(code: int) -> bool:
    return 400 <= code < 500


# A 5xx refusal of the sender or of every recipient that is about *us* (policy: 5.7.x enhanced
# codes, "relay access denied", "authentication required"), not about an address. Per-address
# refusals ("550 5.1.1 user unknown") stay the message's own permanent failure.
_POLICY = re.compile(
    r"\b5\.7\.\d{1,3}\b|relay|authenticat|auth(?:entication)? required|not permitted"
    r"|access denied|sender address rejected|not owned by",
    re.IGNORECASE,
)
_ABOUT_LOGIN = re.compile(r"authenticat|auth(?:entication)? required|log ?in", re.IGNORECASE)


def refusal_fault(code: int, text: str) -> MailFaultKind | None:
    """The configuration fault a server's refusal (of MAIL FROM or RCPT TO) reveals, if any."""
    if code < 500 or not (code == 530 or _POLICY.search(text)):
        return None
    return MailFaultKind.AUTH if code == 530 or _ABOUT_LOGIN.search(text) else MailFaultKind.RELAY


def connect_fault(exc: BaseException) -> MailFaultKind | None:
    """The configuration fault behind a failed connect/login, if it is one (else transient)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return MailFaultKind.TLS
    if isinstance(exc, ssl.SSLError):
        # A connection cut during the handshake is the network's doing, not the settings'.
        if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError):
            return None
        return MailFaultKind.TLS
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return MailFaultKind.TLS if "STARTTLS" in str(exc).upper() else MailFaultKind.AUTH
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return MailFaultKind.AUTH if exc.smtp_code >= 500 else None
    if isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPHeloError):
        return MailFaultKind.RELAY if exc.smtp_code >= 500 else None  # 554: not for you
    if isinstance(exc, smtplib.SMTPResponseException):
        return refusal_fault(exc.smtp_code, _reply_text(exc.smtp_code, exc.smtp_error))
    if isinstance(exc, smtplib.SMTPException) and "authentication method" in str(exc):
        return MailFaultKind.AUTH  # "No suitable authentication method found."
    return None


def smtp_identity(settings: Settings) -> str:
    """Which server, how, as whom — never the password. A fault is tied to this."""
    user = settings.smtp_user or "-"
    return f"{settings.smtp_host}:{settings.smtp_port} tls={settings.smtp_tls} user={user}"


# RFC 2047 allows encoded words of 75 characters; 39 bytes of UTF-8 make 64 ("=?utf-8?b?" +
# 52 of base64 + "?="), so even the first one, after "Subject: ", keeps its line within the 78
# characters RFC 5322 recommends.
_WORD_BYTES = 39
# ASCII up to this length stays as typed; longer text is folded as encoded words.
_PLAIN_HEADER_MAX = 60


def encode_header_text(text: str) -> str:
    """``text`` (one clean line) as a header may carry it: plain ASCII as typed, anything else
    as RFC 2047 encoded words (UTF-8, base64), one per folded line, never splitting a character.

    The standard library's ``email.header.Header`` does the same in ~60 µs; this takes a few,
    and runs for the subject of every message (names keep ``formataddr``'s one encoded word).
    Tests parse the result back with the ``email`` package.
    """
    if text.isascii() and "=?" not in text and len(text) <= _PLAIN_HEADER_MAX:
        return text
    data = text.encode()
    words: list[str] = []
    start = 0
    while start < len(data):
        end = min(start + _WORD_BYTES, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # inside a UTF-8 sequence
            end -= 1
        words.append(f"=?utf-8?b?{base64.b64encode(data[start:end]).decode()}?=")
        start = end
    return "\n ".join(words)


def _header_mailbox(stored: str, name: str, address: str) -> str:
    """A stored ``formataddr`` string as is (already ASCII, RFC 2047 for the name); a row
    written some other way (a raw Vietnamese name) is formatted afresh."""
    cleaned = clean_header(stored)
    return cleaned if cleaned.isascii() else formataddr((name, address))


@dataclass(frozen=True)
class _Recipients:
    """The validated recipients of one message: header values and envelope addresses."""

    to: list[str]
    cc: list[str]
    envelope: list[str]  # bare addresses of To + Cc, each once (compared without case)


def _recipients(message: OutgoingEmail) -> _Recipients:
    """Validate every To and Cc mailbox; ``InvalidAddress`` if any is bad or To is empty."""
    if not message.to:
        raise InvalidAddress("", "no recipient / không có người nhận")
    headers: dict[str, list[str]] = {"to": [], "cc": []}
    envelope: dict[str, str] = {}
    for field_name, values in (("to", message.to), ("cc", message.cc)):
        for value in values:
            name, address = parse_mailbox(value)
            headers[field_name].append(_header_mailbox(value, name, address))
            envelope.setdefault(address.lower(), address)
    return _Recipients(headers["to"], headers["cc"], list(envelope.values()))


class Mailer:
    """A context manager holding one logged-in SMTP connection for many ``send()`` calls.

    Connection failures never raise out of ``send``: they come back as TRANSIENT results and
    the next ``send`` reconnects. ``__enter__`` tries to connect once; if that fails the first
    ``send`` reports ``reached_server=False``.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sender = normalise_address(settings.smtp_sender)
        self.sender_name = clean_header(settings.smtp_sender_name)
        # Kept as SecretStr (repr "**********"): the plain value exists only while logging in
        # or redacting, never as an attribute someone might log with vars(mailer).
        self._password = settings.smtp_password
        self._yag: yagmail.SMTP | None = None
        self._connected = False
        self._watchdog = Watchdog()
        self.connect_error: str | None = None
        self.connect_fault: MailFaultKind | None = None
        self.connect_timed_out = False
        self.connections_opened = 0
        self.sent = 0

    # -- secrets ------------------------------------------------------------------------------

    @staticmethod
    def _secret_forms(user: str, password: str) -> list[str]:
        """The password as typed and as it travels in AUTH PLAIN / LOGIN (base64)."""
        if not password:
            return []
        forms = {password}
        for raw in (password, f"\0{user}\0{password}", f"{user}\0{user}\0{password}"):
            forms.add(base64.b64encode(raw.encode()).decode())
        return sorted(forms, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """``text`` with every form of the SMTP password replaced by ``***``."""
        secrets = self._secret_forms(self.settings.smtp_user, self._password.get_secret_value())
        for secret in secrets:
            text = text.replace(secret, "***")
        return text

    def _describe(self, exc: BaseException) -> str:
        """A one-line, secret-free account of a failure (server replies decoded, not b'…')."""
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            refusals = "; ".join(
                f"{address}: {_reply_text(code, msg)}"
                for address, (code, msg) in exc.recipients.items()
            )
            return self.redact(f"{type(exc).__name__}: {refusals}")
        if isinstance(exc, smtplib.SMTPResponseException):
            reply = _reply_text(exc.smtp_code, exc.smtp_error)
            return self.redact(f"{type(exc).__name__}: {reply}")
        return self.redact(f"{type(exc).__name__}: {exc}".rstrip(": "))

    # -- connection ---------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        smtp = self._yag.smtp if self._yag is not None else None
        return self._connected and smtp is not None and getattr(smtp, "sock", None) is not None

    def _client(self) -> yagmail.SMTP:
        tls = self.settings.smtp_tls
        # smtplib's default TLS context checks neither the certificate nor the host name, so a
        # man in the middle could read the password: always pass a verifying context.
        context = ssl.create_default_context() if tls is not SmtpTlsMode.NONE else None
        connection_options: dict[str, object] = {
            "timeout": self.settings.smtp_timeout_seconds,
            "watchdog": self._watchdog,  # reaches DeadlineSMTP(_SSL), see _WatchedClient
        }
        if tls is SmtpTlsMode.SSL:
            connection_options["context"] = context  # reaches smtplib.SMTP_SSL
        yag = _WatchedClient(
            # {address: display name}: yagmail renders From with formataddr.
            user={self.sender: self.sender_name},
            host=self.settings.smtp_host,
            port=self.settings.smtp_port,
            smtp_ssl=tls is SmtpTlsMode.SSL,
            # A dict is passed on as smtplib's starttls(**options); False means no STARTTLS.
            smtp_starttls={"context": context} if tls is SmtpTlsMode.STARTTLS else False,
            # We log in ourselves: the login name may differ from the sender address, and
            # yagmail's own path would consult keyring / ~/.yagmail.
            smtp_skip_login=True,
            soft_email_validation=False,
            **connection_options,
        )
        yag.set_logging(None)  # yagmail logs to stderr by default; we log ourselves.
        return yag

    def connect(self) -> None:
        """Open (or reopen) the one connection and log in within the connect deadline; raises
        ``MailerError`` (scrubbed; ``connect_fault``/``connect_timed_out`` say what kind)."""
        self._drop()
        self._watchdog.arm(self.settings.smtp_connect_deadline_seconds, "connect")
        try:
            yag = self._client()
            self._yag = yag
            yag.login()  # connect, EHLO, STARTTLS per settings; no AUTH (skip_login)
            if self.settings.smtp_user:
                yag.smtp.login(self.settings.smtp_user, self._password.get_secret_value())
        except OSError as exc:  # refused, timeout, TLS, SMTP replies (all OSError subclasses)
            timed_out = self._watchdog.disarm()
            self._drop()
            self.connect_timed_out = timed_out
            self.connect_fault = None if timed_out else connect_fault(exc)
            self.connect_error = (
                self._deadline_text("connect", exc) if timed_out else self._describe(exc)
            )
            raise MailerError(self.connect_error) from None
        except BaseException:  # a bug or a signal: no deadline may fire on a later exchange
            self._watchdog.disarm()
            self._drop()
            raise
        if self._watchdog.disarm():  # it fired just as the login finished: the socket is shut
            self._drop()
            self.connect_timed_out, self.connect_fault = True, None
            self.connect_error = self._deadline_text("connect", None)
            raise MailerError(self.connect_error)
        self._connected = True
        self.connect_error = None
        self.connect_fault = None
        self.connect_timed_out = False
        self.connections_opened += 1
        log.info(
            "SMTP connected to %s:%s (tls=%s, login=%s)",
            self.settings.smtp_host,
            self.settings.smtp_port,
            self.settings.smtp_tls,
            "yes" if self.settings.smtp_user else "no",
        )

    def _deadline_text(self, what: str, exc: BaseException | None) -> str:
        seconds = (
            self.settings.smtp_connect_deadline_seconds
            if what == "connect"
            else self.settings.smtp_message_deadline_seconds
        )
        stage = "kết nối / connecting" if what == "connect" else "gửi thư / sending a message"
        cause = f" ({self._describe(exc)})" if exc is not None else ""
        return (
            f"Máy chủ thư quá chậm: quá hạn {seconds:g} s khi {stage}, đã ngắt kết nối / "
            f"SMTP server too slow: deadline of {seconds:g} s passed{cause}"
        )

    def _drop(self) -> None:
        """Forget the connection without a polite QUIT (used after errors)."""
        yag, self._yag, self._connected = self._yag, None, False
        self._watchdog.forget()
        if yag is None:
            return
        yag.is_closed = True  # keep yagmail's __del__ from trying QUIT on a dead socket
        smtp = yag.smtp
        if smtp is not None:
            with contextlib.suppress(OSError):
                smtp.close()

    def close(self) -> None:
        """QUIT politely (within a short deadline), then close; never raises."""
        yag = self._yag
        if yag is not None and self.connected:
            # A server that never answers QUIT must not hold the run: a few seconds at most.
            self._watchdog.arm(min(5.0, self.settings.smtp_message_deadline_seconds), "quit")
            with contextlib.suppress(OSError):  # SMTPException is an OSError too
                yag.smtp.quit()
            self._watchdog.disarm()
        self._drop()
        self._watchdog.stop()

    def __enter__(self) -> Mailer:
        try:
            self.connect()
        except MailerError as exc:
            log.warning("SMTP server unavailable, messages will wait: %s", exc)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- building -----------------------------------------------------------------------------

    def envelope_recipients(self, message: OutgoingEmail) -> list[str]:
        """Bare, validated addresses of To + Cc, without duplicates; ``InvalidAddress`` if any."""
        return _recipients(message).envelope

    def build(self, message: OutgoingEmail) -> bytes:
        """The message as ``sendmail`` takes it; ``InvalidAddress`` for a bad recipient,
        ``AttachmentMissing`` for a file it should carry that cannot be read."""
        return self._build(message, _recipients(message))

    def _build(self, message: OutgoingEmail, recipients: _Recipients) -> bytes:
        boundary = f"=_tonvinh_{secrets.token_hex(12)}"  # "=_" never occurs in base64
        headers = [
            f"From: {formataddr((self.sender_name, self.sender))}",
            f"To: {', '.join(recipients.to)}",
            *([f"Cc: {', '.join(recipients.cc)}"] if recipients.cc else []),
            f"Subject: {encode_header_text(clean_header(message.subject))}",
            f"Date: {format_datetime(message.date or clock_now())}",
            f"Message-ID: {clean_header(message.message_id)}",
            # RFC 3834: tells out-of-office robots not to answer automatic nudges.
            "Auto-Submitted: auto-generated",
            "MIME-Version: 1.0",
            f'Content-Type: multipart/alternative;\n boundary="{boundary}"',
        ]
        # Base64 keeps the bodies byte for byte, CR LF and all, in 76-character lines.
        parts = [
            f"--{boundary}\n"
            f'Content-Type: text/{subtype}; charset="utf-8"\n'
            "Content-Transfer-Encoding: base64\n\n"
            f"{base64.encodebytes(body.encode()).decode()}"
            for subtype, body in (("plain", message.text), ("html", message.html))
        ]
        body = "".join(parts) + f"--{boundary}--\n"
        if message.attachments:
            headers[-1], body = self._mixed(headers[-1], body, message.attachments)
        text = "\n".join(headers) + "\n\n" + body
        # Bytes with CR LF already: smtplib then skips its own line-ending pass over the text.
        return text.encode("ascii").replace(b"\n", b"\r\n")

    def _mixed(
        self, alternative_type: str, alternative: str, attached: tuple[MailAttachment, ...]
    ) -> tuple[str, str]:
        """The Content-Type and body of a message with files: multipart/mixed holding the text
        and HTML alternatives as built, then each file, read now from under the output folder
        (``AttachmentMissing`` when one cannot be)."""
        boundary = f"=_tonvinh_{secrets.token_hex(12)}"
        root = self.settings.output_dir
        files = "".join(
            mime_part(boundary, item, read(root, item), encode_header_text) for item in attached
        )
        body = f"--{boundary}\n{alternative_type}\n\n{alternative}{files}--{boundary}--\n"
        return f'Content-Type: multipart/mixed;\n boundary="{boundary}"', body

    # -- sending ------------------------------------------------------------------------------

    def send(self, message: OutgoingEmail) -> DeliveryResult:
        """Send one message on the shared connection and classify the server's answer."""
        try:
            recipients = _recipients(message)
            payload = self._build(message, recipients)
        except InvalidAddress as exc:
            return DeliveryResult(DeliveryOutcome.PERMANENT, {}, self.redact(str(exc)))
        except AttachmentMissing as exc:  # this message's problem: the others still go
            log.error("Message %s not sent: %s", message.message_id, exc)
            return DeliveryResult(DeliveryOutcome.PERMANENT, {}, self.redact(str(exc)))

        if not self.connected:
            try:
                self.connect()
            except MailerError as exc:
                return DeliveryResult(
                    DeliveryOutcome.TRANSIENT,
                    {},
                    str(exc),
                    reached_server=False,
                    fault=self.connect_fault,
                    timed_out=self.connect_timed_out,
                )
        assert self._yag is not None

        self._watchdog.arm(self.settings.smtp_message_deadline_seconds, "message")
        try:
            refused = self._yag.smtp.sendmail(self.sender, recipients.envelope, payload)
        except OSError as exc:  # every SMTP error is an OSError too
            timed_out = self._watchdog.disarm()
            return self._classify(exc, recipients, timed_out)
        except BaseException:  # a bug or a signal: no deadline may fire on a later exchange
            self._watchdog.disarm()
            self._drop()
            raise
        if self._watchdog.disarm():
            # Accepted, but the deadline shut the socket as the answer came: start afresh.
            self._drop()

        self.sent += 1
        results = {address: "accepted" for address in recipients.envelope}
        for address, (code, msg) in refused.items():
            results[str(address)] = f"refused: {_reply_text(code, msg)}"
        results = self.redact_results(results)
        if refused:
            log.warning("Message %s: some recipients refused: %s", message.message_id, results)
            return DeliveryResult(DeliveryOutcome.PARTIAL, results, None)
        return DeliveryResult(DeliveryOutcome.SENT, results, None)

    def _classify(self, exc: OSError, recipients: _Recipients, timed_out: bool) -> DeliveryResult:
        """A failed ``sendmail``: transient or permanent, this message's or the settings'."""
        if timed_out:
            # Whatever smtplib made of the shut socket, the truth is that the peer was too
            # slow; the message may or may not have gone, so it is retried later (at most this
            # one message can arrive twice, as after a crash).
            self._drop()
            error = self._deadline_text("message", exc)
            log.warning("SMTP delivery %s: %s", DeliveryOutcome.TRANSIENT, error)
            return DeliveryResult(DeliveryOutcome.TRANSIENT, {}, error, timed_out=True)
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            results = {
                str(addr): f"refused: {_reply_text(code, msg)}"
                for addr, (code, msg) in exc.recipients.items()
            }
            transient = any(_is_transient_code(code) for code, _msg in exc.recipients.values())
            outcome = DeliveryOutcome.TRANSIENT if transient else DeliveryOutcome.PERMANENT
            faults = {
                refusal_fault(code, _reply_text(code, msg)) for code, msg in exc.recipients.values()
            }
            fault = faults.pop() if len(faults) == 1 else None  # every recipient, one reason
            return self._failed(outcome, self.redact_results(results), exc, fault)
        if isinstance(exc, smtplib.SMTPDataError | smtplib.SMTPSenderRefused):
            reply = f"refused: {_reply_text(exc.smtp_code, exc.smtp_error)}"
            results = dict.fromkeys(recipients.envelope, reply)
            outcome = (
                DeliveryOutcome.TRANSIENT
                if _is_transient_code(exc.smtp_code)
                else DeliveryOutcome.PERMANENT
            )
            fault = None
            if isinstance(exc, smtplib.SMTPSenderRefused):  # at DATA it is about the content
                fault = refusal_fault(exc.smtp_code, _reply_text(exc.smtp_code, exc.smtp_error))
            return self._failed(outcome, self.redact_results(results), exc, fault)
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            self._drop()
            return self._failed(DeliveryOutcome.TRANSIENT, {}, exc)
        if isinstance(exc, smtplib.SMTPResponseException):
            if exc.smtp_code == 421:  # smtplib has already closed the socket
                self._drop()
            outcome = (
                DeliveryOutcome.TRANSIENT
                if _is_transient_code(exc.smtp_code)
                else DeliveryOutcome.PERMANENT
            )
            fault = refusal_fault(exc.smtp_code, _reply_text(exc.smtp_code, exc.smtp_error))
            return self._failed(outcome, {}, exc, fault)
        if isinstance(exc, smtplib.SMTPException):  # e.g. SMTPNotSupportedError: won't help
            return self._failed(DeliveryOutcome.PERMANENT, {}, exc)
        # Timeouts, resets: the socket is in an unknown state, start afresh.
        self._drop()
        return self._failed(DeliveryOutcome.TRANSIENT, {}, exc)

    def redact_results(self, results: dict[str, str]) -> dict[str, str]:
        return {address: self.redact(reply) for address, reply in results.items()}

    def _failed(
        self,
        outcome: DeliveryOutcome,
        results: dict[str, str],
        exc: BaseException,
        fault: MailFaultKind | None = None,
    ) -> DeliveryResult:
        error = self._describe(exc)
        log.warning("SMTP delivery %s: %s", outcome, error)
        return DeliveryResult(outcome, results, error, fault=fault)


class _WatchedClient(yagmail.SMTP):
    """yagmail's client building our watched ``smtplib`` classes (same arguments, plus
    ``watchdog`` in the connection options), so its login path stays the one we use."""

    @property
    def connection(self) -> type[smtplib.SMTP]:
        return DeadlineSMTP_SSL if self.ssl else DeadlineSMTP
