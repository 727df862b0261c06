"""The one mailer: yagmail over ONE SMTP connection, reused for every message of a run.

Why not ``yagmail.SMTP.send()``: it opens a new connection on every call (leaking the old one)
and, when a connection drops at DATA, sleeps 18 s and returns ``False`` without raising. So we
``login()`` once and hand each message to ``yag.smtp.sendmail(...)`` ourselves, which gives us
the server's real answer (refusal dict or exception) to classify.

Why not ``prepare_send()`` verbatim: it returns a string, and yagmail puts every content item
into *both* alternatives, turning ``\\n`` into ``<br>`` even in the text/plain part. We call the
two functions ``prepare_send`` is made of (``resolve_addresses`` + ``prepare_message``), which
give us yagmail's message object (From with the sender's name, To, Cc, Subject, Date,
Message-ID, multipart skeleton), then put our own text and HTML into its two leaves.

Secrets: the SMTP password is read from ``Settings`` only at login and is scrubbed (with its
base64 AUTH forms) from every error text this module returns or logs.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import secrets
import smtplib
import ssl
from dataclasses import dataclass, field
from email.mime.text import MIMEText
from email.utils import format_datetime
from enum import StrEnum
from types import TracebackType

import yagmail
from yagmail.headers import resolve_addresses
from yagmail.message import prepare_message

from models.clock import now as clock_now
from models.settings import Settings, SmtpTlsMode
from notifications.addresses import InvalidAddress, normalise_address, parse_mailbox
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


class MailerError(RuntimeError):
    """Connecting or logging in failed; the message is already scrubbed of secrets."""


def _reply_text(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {text}".strip()


def _is_transient_code(code: int) -> bool:
    return 400 <= code < 500


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
        self.connect_error: str | None = None
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
        connection_options: dict[str, object] = {"timeout": self.settings.smtp_timeout_seconds}
        if tls is SmtpTlsMode.SSL:
            connection_options["context"] = context  # reaches smtplib.SMTP_SSL
        yag = yagmail.SMTP(
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
        """Open (or reopen) the one connection and log in; raises ``MailerError`` (scrubbed)."""
        self._drop()
        yag = self._client()
        self._yag = yag
        try:
            yag.login()  # connect, EHLO, STARTTLS per settings; no AUTH (skip_login)
            if self.settings.smtp_user:
                yag.smtp.login(self.settings.smtp_user, self._password.get_secret_value())
        except OSError as exc:  # refused, timeout, TLS, SMTP replies (all OSError subclasses)
            self._drop()
            self.connect_error = self._describe(exc)
            raise MailerError(self.connect_error) from None
        self._connected = True
        self.connect_error = None
        self.connections_opened += 1
        log.info(
            "SMTP connected to %s:%s (tls=%s, login=%s)",
            self.settings.smtp_host,
            self.settings.smtp_port,
            self.settings.smtp_tls,
            "yes" if self.settings.smtp_user else "no",
        )

    def _drop(self) -> None:
        """Forget the connection without a polite QUIT (used after errors)."""
        yag, self._yag, self._connected = self._yag, None, False
        if yag is None:
            return
        yag.is_closed = True  # keep yagmail's __del__ from trying QUIT on a dead socket
        smtp = yag.smtp
        if smtp is not None:
            with contextlib.suppress(OSError):
                smtp.close()

    def close(self) -> None:
        """QUIT politely, then close; never raises."""
        yag = self._yag
        if yag is not None and self.connected:
            with contextlib.suppress(OSError):  # SMTPException is an OSError too
                yag.smtp.quit()
        self._drop()

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
        bare: list[str] = []
        for value in [*message.to, *message.cc]:
            _name, address = parse_mailbox(value)
            if address.lower() not in {a.lower() for a in bare}:
                bare.append(address)
        if not message.to or not bare:
            raise InvalidAddress(", ".join(message.to), "no recipient / không có người nhận")
        return bare

    def build(self, message: OutgoingEmail) -> str:
        """The message as ASCII text for ``sendmail``: yagmail's headers, our two bodies."""
        to = [clean_header(a) for a in message.to]
        cc = [clean_header(a) for a in message.cc]
        addresses = resolve_addresses(self.sender, self.sender_name, to, cc or None, None)
        mime = prepare_message(
            self.sender,
            self.sender_name,
            addresses,
            clean_header(message.subject),
            None,  # no yagmail contents: it would put <br> into the text part
            None,
            {
                "Date": format_datetime(clock_now()),
                # RFC 3834: tells out-of-office robots not to answer automatic nudges.
                "Auto-Submitted": "auto-generated",
            },
            "utf-8",
            False,  # prettify_html
            clean_header(message.message_id),
            True,
            None,
        )
        replaced = 0
        for part in mime.walk():
            if not part.is_multipart():
                continue
            # Our own boundary: otherwise the generator invents one and compiles a regular
            # expression per multipart to prove it absent from the text (a quarter of the build
            # time). "=_" cannot occur in base64, the encoding of both our text parts.
            part.set_boundary(f"=_tonvinh_{secrets.token_hex(12)}")
            children = part.get_payload()
            assert isinstance(children, list)
            for index, child in enumerate(children):
                kind = child.get_content_type()
                if kind == "text/plain" and not child.is_multipart():
                    children[index] = MIMEText(message.text, "plain", "utf-8")
                    replaced += 1
                elif kind == "text/html" and not child.is_multipart():
                    children[index] = MIMEText(message.html, "html", "utf-8")
                    replaced += 1
        if replaced != 2:  # a yagmail upgrade changed the skeleton: fail loudly, send nothing
            raise RuntimeError(f"unexpected yagmail MIME structure ({replaced} text parts)")
        return mime.as_string()

    # -- sending ------------------------------------------------------------------------------

    def send(self, message: OutgoingEmail) -> DeliveryResult:
        """Send one message on the shared connection and classify the server's answer."""
        try:
            recipients = self.envelope_recipients(message)
            payload = self.build(message)
        except InvalidAddress as exc:
            return DeliveryResult(DeliveryOutcome.PERMANENT, {}, self.redact(str(exc)))

        if not self.connected:
            try:
                self.connect()
            except MailerError as exc:
                return DeliveryResult(DeliveryOutcome.TRANSIENT, {}, str(exc), reached_server=False)
        assert self._yag is not None

        try:
            refused = self._yag.smtp.sendmail(self.sender, recipients, payload)
        except smtplib.SMTPRecipientsRefused as exc:
            results = {
                str(addr): f"refused: {_reply_text(code, msg)}"
                for addr, (code, msg) in exc.recipients.items()
            }
            transient = any(_is_transient_code(code) for code, _msg in exc.recipients.values())
            outcome = DeliveryOutcome.TRANSIENT if transient else DeliveryOutcome.PERMANENT
            return self._failed(outcome, self.redact_results(results), exc)
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
            reply = f"refused: {_reply_text(exc.smtp_code, exc.smtp_error)}"
            results = dict.fromkeys(recipients, reply)
            outcome = (
                DeliveryOutcome.TRANSIENT
                if _is_transient_code(exc.smtp_code)
                else DeliveryOutcome.PERMANENT
            )
            return self._failed(outcome, self.redact_results(results), exc)
        except smtplib.SMTPServerDisconnected as exc:
            self._drop()
            return self._failed(DeliveryOutcome.TRANSIENT, {}, exc)
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 421:  # smtplib has already closed the socket
                self._drop()
            outcome = (
                DeliveryOutcome.TRANSIENT
                if _is_transient_code(exc.smtp_code)
                else DeliveryOutcome.PERMANENT
            )
            return self._failed(outcome, {}, exc)
        except smtplib.SMTPException as exc:  # e.g. SMTPNotSupportedError: retrying won't help
            return self._failed(DeliveryOutcome.PERMANENT, {}, exc)
        except OSError as exc:  # timeouts, resets (SMTPException is an OSError: order matters)
            # The socket is in an unknown state after a timeout or reset: start afresh.
            self._drop()
            return self._failed(DeliveryOutcome.TRANSIENT, {}, exc)

        self.sent += 1
        results = {address: "accepted" for address in recipients}
        for address, (code, msg) in refused.items():
            results[str(address)] = f"refused: {_reply_text(code, msg)}"
        results = self.redact_results(results)
        if refused:
            log.warning("Message %s: some recipients refused: %s", message.message_id, results)
            return DeliveryResult(DeliveryOutcome.PARTIAL, results, None)
        return DeliveryResult(DeliveryOutcome.SENT, results, None)

    def redact_results(self, results: dict[str, str]) -> dict[str, str]:
        return {address: self.redact(reply) for address, reply in results.items()}

    def _failed(
        self, outcome: DeliveryOutcome, results: dict[str, str], exc: BaseException
    ) -> DeliveryResult:
        error = self._describe(exc)
        log.warning("SMTP delivery %s: %s", outcome, error)
        return DeliveryResult(outcome, results, error)
