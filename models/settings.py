"""One place for configuration: every knob is an environment variable prefixed ``TONVINH_``."""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SmtpTlsMode(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    SSL = "ssl"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TONVINH_", env_file=".env", extra="ignore")

    # Runtime state (database, mailbox, generated documents) lives under one folder.
    var_dir: Path = Path("var")
    database_url: str = ""  # empty: SQLite file var/tonvinh.sqlite
    lang: str = "vi"  # operator language; "en" is the fallback

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_tls: SmtpTlsMode = SmtpTlsMode.NONE
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_sender: str = "thidua@example.gov.vn"
    smtp_sender_name: str = "Vụ Thi đua - Khen thưởng"
    smtp_timeout_seconds: float = 20.0  # per read: a peer trickling bytes resets it (below)
    # Deadlines, not only timeouts: a watchdog closes the socket when one passes, however the
    # peer trickles its bytes (notifications/deadline.py). Connecting covers the TCP connect,
    # the greeting, EHLO, STARTTLS and AUTH; a message covers MAIL, RCPT, DATA and the answer.
    # Both must fit well inside the claim lease (checked below).
    smtp_connect_deadline_seconds: float = Field(default=20.0, gt=0)
    smtp_message_deadline_seconds: float = Field(default=20.0, gt=0)

    # The department that runs the campaign (configuration, not code: ministries merge).
    department_name: str = "Vụ Thi đua - Khen thưởng"
    ministry_name: str = "Bộ Thông tin và Truyền thông"
    department_head_name: str = "Vụ trưởng Vụ Thi đua - Khen thưởng"
    department_head_email: str = "vutruong.tdkt@example.gov.vn"

    # The unit portal (``tonvinh portal``): each unit's link is "<submission_base_url>/<token>".
    # The default is the local portal, so the links in emails work out of the box; behind a
    # reverse proxy set the public address (https://thidua.example.gov.vn/nop, deploy/README.md).
    submission_base_url: str = "http://127.0.0.1:8030/nop"
    portal_host: str = "127.0.0.1"
    portal_port: int = Field(default=8030, ge=1, le=65535)
    # Signs the portal's anti-forgery tokens. Empty: generated once into var/secret_key (0600).
    secret_key: SecretStr = SecretStr("")
    # Unknown links one client address may try within a minute; then it waits (429).
    portal_misses_per_minute: int = Field(default=20, ge=1)
    # The largest attachment a unit may add to a dossier (PDF, DOCX, ODT, JPEG, PNG).
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)

    # The commendation decision (configuration too: the signer and the ministry's symbol change
    # with mergers and appointments). A decision is numbered "<n>/<suffix>", e.g. "125/QĐ-BTTTT";
    # the Ministry of Science and Technology would set "QĐ-BKHCN".
    decision_number_suffix: str = "QĐ-BTTTT"
    # The signature block above the signer's name, one line per line of the block; in an
    # environment variable a line break may be written as the two characters "\n".
    signer_title: str = "KT. BỘ TRƯỞNG\nTHỨ TRƯỞNG"
    # Who signs when the operator names nobody (``tonvinh honour --signer``).
    default_signer: str = "Phan Tâm"

    # Reminder ladder in working days relative to a unit's deadline (negative = before).
    reminder_offsets: list[int] = Field(default_factory=lambda: [-5, -2, 1])
    escalation_every_working_days: int = 2
    max_reminders_per_unit: int = 6
    # Hour of the day (Vietnam time) a step of the ladder falls due and the scheduler sends it.
    reminder_send_hour: int = Field(default=8, ge=0, le=23)

    # The council's e-ballot: members get the convocation (meeting, dossier pack, ballot link)
    # this many working days before council_on, and a reminder one working day before the close.
    council_convocation_working_days: int = Field(default=5, ge=0)
    # Where a council member's ballot link points: "<ballot_base_url>/<token>"; empty: the
    # portal of submission_base_url, path /phieu.
    ballot_base_url: str = ""

    # Overrides for values a rule pack marks unconfirmed, e.g. {"CSTDCS.council_threshold": 0.75}
    # or {"quorum": "3/4"} (a share may be a fraction, as the rule pack itself writes it; the
    # pack checks each value and says which key is wrong). The key is the value's path in the
    # pack: also "tie_break.collective_women_share", "returned_dossier.resubmission_working_days"
    # and "frozen_nominee.verdict" ("ineligible" or "returned"), where the pack marks them "U".
    rule_overrides: dict[str, float | str] = Field(default_factory=dict)

    # The one scheduler (``tonvinh scheduler``; env TONVINH_SCHEDULER_*). Misfire grace, 6 h by
    # default: how late a reminder may still go out after its time when the scheduler was down.
    # Steps fall due at the send hour (08:00 by default): six hours covers a night-time outage
    # or a morning restart and still delivers the same working day before about 14:00, inside
    # office hours. A step missed by more is not sent late (it would arrive in the evening or
    # on another day); the next step of the ladder covers the unit, and ``tonvinh remind``
    # sends the due step by hand at any time.
    scheduler_misfire_grace_minutes: int = 6 * 60
    scheduler_sync_every_minutes: int = 15
    scheduler_deliver_every_minutes: int = 5
    scheduler_lock_check_seconds: int = 30
    # Campaigns whose units sent something through the portal get their artifacts refreshed by
    # the scheduler at most this often (one flow run for all of them, never one per upload).
    scheduler_artifacts_every_minutes: int = Field(default=1, ge=1)
    scheduler_workers: int = 4

    # A unit's Excel list: the upload cap, and the template's row capacity per sheet. Reading any
    # file is bounded by these (documents.nomination_list.limits): a list of this many rows is
    # read in a few seconds, and a larger or stranger file is refused with the reason.
    list_max_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    list_max_rows: int = Field(default=10_000, gt=0)

    approval_timeout_seconds: int = 7 * 24 * 3600
    outbox_batch_size: int = 200
    # How long a runner's claim on outbox rows lasts without renewal (wall-clock seconds). A
    # healthy runner renews it before each message that could outlive it, so a long batch keeps
    # its rows; a dead runner's rows return to the queue within this time.
    outbox_claim_lease_seconds: float = Field(default=60.0, gt=0)
    # One delivery run starts no new message after this (seconds); the rest stay due for the
    # next run. Bounds a run against a slow-but-alive server (~15 s a message).
    outbox_run_deadline_seconds: float = Field(default=600.0, gt=0)
    # While a configuration fault (login refused, TLS failure, relay refused) is open, delivery
    # tries the server at most this often (one connection, not one per message), so a wrong
    # password does not hammer the server into locking the account. ``tonvinh mail requeue``
    # tries at once.
    outbox_fault_probe_minutes: float = Field(default=15.0, ge=0)

    # An approval recorded from the CLI or a form is tagged with this when no name is given.
    default_actor: str = "operator"

    @field_validator("decision_number_suffix")
    @classmethod
    def _suffix(cls, value: str) -> str:
        # "/QĐ-BKHCN" and " QĐ-BKHCN" both mean the suffix; NFC so that text typed on a Mac
        # (decomposed) prints and searches like the ministry's own documents.
        suffix = unicodedata.normalize("NFC", value).strip().lstrip("/").strip()
        if not suffix:
            raise ValueError("decision_number_suffix must not be empty (e.g. QĐ-BTTTT)")
        return suffix

    @field_validator("signer_title")
    @classmethod
    def _signer_title(cls, value: str) -> str:
        # Environment files and systemd units cannot always hold a real line break.
        text = unicodedata.normalize("NFC", value).replace("\\n", "\n")
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if not lines:
            raise ValueError("signer_title must not be empty (e.g. KT. BỘ TRƯỞNG\\nTHỨ TRƯỞNG)")
        return "\n".join(lines)

    @field_validator("default_signer")
    @classmethod
    def _signer(cls, value: str) -> str:
        name = " ".join(unicodedata.normalize("NFC", value).split())
        if not name:
            raise ValueError("default_signer must not be empty")
        return name

    @model_validator(mode="after")
    def _deadlines_fit_the_lease(self) -> Settings:
        # A message starts only when the lease still covers a reconnect and the message itself
        # (renewed first if not), so a claim can never run out while its message is on the wire.
        needed = self.smtp_connect_deadline_seconds + self.smtp_message_deadline_seconds
        if needed >= self.outbox_claim_lease_seconds:
            raise ValueError(
                "TONVINH_SMTP_CONNECT_DEADLINE_SECONDS + TONVINH_SMTP_MESSAGE_DEADLINE_SECONDS "
                f"({needed:g} s) phải nhỏ hơn TONVINH_OUTBOX_CLAIM_LEASE_SECONDS "
                f"({self.outbox_claim_lease_seconds:g} s). / must be less than the claim lease."
            )
        return self

    @property
    def scheduler_misfire_grace(self) -> timedelta:
        return timedelta(minutes=self.scheduler_misfire_grace_minutes)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'tonvinh.sqlite').resolve()}"

    @property
    def mailbox_dir(self) -> Path:
        return self.var_dir / "mailbox"

    @property
    def output_dir(self) -> Path:
        return self.var_dir / "outputs"

    @property
    def attachments_dir(self) -> Path:
        """Dossiers' attachments, each under its SHA-256 (never a name a client chose)."""
        return self.var_dir / "attachments"


@lru_cache
def get_settings() -> Settings:
    return Settings()
