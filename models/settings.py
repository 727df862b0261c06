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


class SignerRole(StrEnum):
    MINISTER = "minister"  # the minister signs in person: "BỘ TRƯỞNG"
    DEPUTY = "deputy"  # a deputy minister signs for the minister: "KT. BỘ TRƯỞNG / THỨ TRƯỞNG"


# The signature block each role signs under (Decree 30/2020/NĐ-CP, Appendix I: "KT." = ký thay,
# signing for the head of the agency).
SIGNATURE_BLOCKS = {
    SignerRole.MINISTER: "BỘ TRƯỞNG",
    SignerRole.DEPUTY: "KT. BỘ TRƯỞNG\nTHỨ TRƯỞNG",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TONVINH_", env_file=".env", extra="ignore")

    # Every field has a description: docs/settings.md is generated from them
    # (``python -m models.settings_doc``) and a test keeps the two equal.

    var_dir: Path = Field(
        default=Path("var"),
        description="Folder of the runtime state: SQLite database, mailbox, generated files, "
        "the portal's secret key.",
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL of tonvinh's database, e.g. postgresql://user@host/db. "
        "Empty: the SQLite file <var_dir>/tonvinh.sqlite.",
    )
    lang: str = Field(
        default="vi",
        description="Language of the command line's messages and help: vi, or en.",
    )

    smtp_host: str = Field(default="127.0.0.1", description="SMTP server emails are sent to.")
    smtp_port: int = Field(default=8025, description="SMTP server's port.")
    smtp_tls: SmtpTlsMode = Field(
        default=SmtpTlsMode.NONE,
        description="none (plain, local server only), starttls (usually port 587) or ssl "
        "(implicit TLS, usually port 465).",
    )
    smtp_user: str = Field(default="", description="SMTP login name; empty: no login.")
    smtp_password: SecretStr = Field(default=SecretStr(""), description="SMTP password.")
    smtp_sender: str = Field(
        default="thidua@example.gov.vn", description="From address of every email."
    )
    smtp_sender_name: str = Field(
        default="Vụ Thi đua - Khen thưởng", description="Display name of the From address."
    )
    smtp_timeout_seconds: float = Field(
        default=20.0,
        description="Socket timeout per read; a peer trickling bytes resets it, so the two "
        "deadlines below bound the whole exchange.",
    )
    # Deadlines, not only timeouts: a watchdog closes the socket when one passes, however the
    # peer trickles its bytes (notifications/deadline.py). Both must fit well inside the claim
    # lease (checked below).
    smtp_connect_deadline_seconds: float = Field(
        default=20.0,
        gt=0,
        description="Deadline to connect: TCP connect, greeting, EHLO, STARTTLS and AUTH. With "
        "the message deadline it must be less than the outbox claim lease.",
    )
    smtp_message_deadline_seconds: float = Field(
        default=20.0,
        gt=0,
        description="Deadline to send one message: MAIL, RCPT, DATA and the server's answer.",
    )
    smtp_connections: int = Field(
        default=1,
        ge=1,
        le=16,
        description="SMTP connections one delivery run opens at once, each in a process of its "
        "own (forked) sending its own claimed batches (the wait for one answer overlaps "
        "another's). Ask the relay's administrator what it allows; a crash repeats at most one "
        "message per connection.",
    )

    # The department that runs the campaign (configuration, not code: ministries merge).
    department_name: str = Field(
        default="Vụ Thi đua - Khen thưởng",
        description="The department that runs the campaign, as letters name it.",
    )
    ministry_name: str = Field(
        default="Bộ Thông tin và Truyền thông",
        description="The ministry, as letters and the decision name it.",
    )
    department_head_name: str = Field(
        default="Vụ trưởng Vụ Thi đua - Khen thưởng",
        description="Who escalations to the department are addressed to.",
    )
    department_head_email: str = Field(
        default="vutruong.tdkt@example.gov.vn",
        description="Where escalations to the department go.",
    )

    submission_base_url: str = Field(
        default="http://127.0.0.1:8030/nop",
        description="Each unit's link in emails is <this>/<token>. Behind a reverse proxy, the "
        "public address, e.g. https://thidua.example.gov.vn/nop.",
    )
    portal_host: str = Field(default="127.0.0.1", description="Address `tonvinh portal` binds.")
    portal_port: int = Field(
        default=8030, ge=1, le=65535, description="Port `tonvinh portal` listens on."
    )
    portal_processes: int = Field(
        default=1,
        ge=1,
        le=32,
        description="Processes `tonvinh portal` serves with (uvicorn workers sharing its port). "
        "Each uses one core at most: a busy host runs as many as it has cores. PostgreSQL only "
        "(with SQLite, one). The throttle on unknown links and the upload queue count per "
        "process.",
    )
    secret_key: SecretStr = Field(
        default=SecretStr(""),
        description="Signs the portal's anti-forgery tokens and operator sessions. Empty: "
        "generated once into <var_dir>/secret_key (mode 600).",
    )
    portal_misses_per_minute: int = Field(
        default=20,
        ge=1,
        description="Unknown links one client address may open within a minute; then it is "
        "answered 429 until the minute has passed.",
    )
    portal_upload_workers: int = Field(
        default=4,
        ge=1,
        le=64,
        description="Uploads (lists, attachments) the portal reads and checks at once; parsing "
        "is CPU work, so more at once would only hold more files in memory.",
    )
    portal_upload_queue: int = Field(
        default=200,
        ge=0,
        description="Uploads that may wait their turn; past that a unit is answered 503 with "
        "Retry-After before its file is read (nothing kept).",
    )
    attachment_max_bytes: int = Field(
        default=10 * 1024 * 1024,
        gt=0,
        description="Largest attachment (PDF, DOCX, ODT, JPEG, PNG) a unit may add to a dossier.",
    )

    operator_base_url: str = Field(
        default="http://127.0.0.1:8030",
        description="The portal's address as the operator reaches it: artifacts link each "
        "document to <this>/dieu-hanh/… . `make up` sets it to the portal it starts.",
    )
    operator_auth: SecretStr = Field(
        default=SecretStr(""),
        description="The operator area's login, user:password. Empty: the Prefect server's "
        "PREFECT_SERVER_API_AUTH_STRING (`make up` writes it to var/deploy.env); neither set: "
        "every login is refused.",
    )
    operator_session_hours: float = Field(
        default=8.0, gt=0, description="How long an operator's login lasts."
    )
    operator_login_failures_per_minute: int = Field(
        default=5,
        ge=1,
        description="Failed operator logins one client address may make within a minute; "
        "then it waits (429).",
    )

    decision_number_suffix: str = Field(
        default="QĐ-BTTTT",
        description="The decision number's symbol after '/': numbers are <n>/<suffix>, e.g. "
        "125/QĐ-BTTTT (QĐ-BKHCN for the Ministry of Science and Technology).",
    )
    signer_role: SignerRole = Field(
        default=SignerRole.DEPUTY,
        description="Who signs by default: minister (block 'BỘ TRƯỞNG') or deputy (a deputy "
        "minister signing for the minister: 'KT. BỘ TRƯỞNG / THỨ TRƯỞNG'). `tonvinh honour "
        "sign --role` overrides it for one decision.",
    )
    signer_title: str = Field(
        default="",
        description="A signature block other than the role's, one line per line (write a line "
        "break as \\n), e.g. 'KT. BỘ TRƯỞNG\\nTHỨ TRƯỞNG THƯỜNG TRỰC'. Empty: the role's block.",
    )
    default_signer: str = Field(
        default="Phan Tâm",
        description="Signer's name when `tonvinh honour sign --signer` names nobody.",
    )
    # The approving leader (lãnh đạo phê duyệt): when the approval flow pauses, this person gets
    # an email with a personal link to the leadership page; the Prefect UI form stays the other
    # door.
    approver_name: str = Field(
        default="", description="The approving leader's name; empty: the default signer."
    )
    approver_title: str = Field(
        default="Thứ trưởng", description="The approving leader's title, as the email names it."
    )
    approver_email: str = Field(
        default="thutruong@example.gov.vn",
        description="Where the approving leader's link goes when the approval flow pauses; "
        "empty sends no link (approval then only in the Prefect UI).",
    )
    approval_base_url: str = Field(
        default="http://127.0.0.1:8030/duyet",
        description="The leader's link is <this>/<token>; behind a reverse proxy, the public "
        "address.",
    )

    reminder_offsets: list[int] = Field(
        default_factory=lambda: [-5, -2, 1],
        description="The reminder ladder: working days relative to a unit's deadline "
        "(negative = before), as JSON, e.g. [-5,-2,1].",
    )
    escalation_every_working_days: int = Field(
        default=2,
        description="After the deadline, a late unit's head is reminded every this many "
        "working days.",
    )
    max_reminders_per_unit: int = Field(
        default=6, description="No unit gets more reminders than this in one campaign."
    )
    reminder_send_hour: int = Field(
        default=8,
        ge=0,
        le=23,
        description="Hour of the day (Vietnam time) a step of the ladder falls due and the "
        "scheduler sends it.",
    )
    council_convocation_working_days: int = Field(
        default=5,
        ge=0,
        description="Council members get the convocation (meeting, dossier pack, ballot link) "
        "this many working days before the council day, and a reminder one working day before "
        "the close.",
    )
    ballot_base_url: str = Field(
        default="",
        description="A council member's ballot link is <this>/<token>; empty: the portal of "
        "TONVINH_SUBMISSION_BASE_URL, path /phieu.",
    )

    rule_overrides: dict[str, float | str] = Field(
        default_factory=dict,
        description="Values a rule pack marks unconfirmed, as JSON keyed by their path in the "
        'pack, e.g. {"CSTDCS.council_threshold": 0.75} or {"quorum": "3/4"}; also '
        "tie_break.collective_women_share, returned_dossier.resubmission_working_days, "
        "frozen_nominee.verdict (ineligible or returned).",
    )

    # Misfire grace, 6 h: steps fall due at the send hour (08:00), so six hours covers a night
    # outage or a morning restart and still delivers before about 14:00, inside office hours; a
    # step missed by more is not sent late (the next step covers the unit, and `tonvinh remind`
    # sends the due step by hand at any time).
    scheduler_misfire_grace_minutes: int = Field(
        default=6 * 60,
        description="How late a reminder may still go out after its time when the scheduler "
        "was down; missed by more, it is skipped (the next step covers the unit).",
    )
    scheduler_sync_every_minutes: int = Field(
        default=15,
        description="How often the scheduler re-reads campaigns and deadlines into its jobs.",
    )
    scheduler_deliver_every_minutes: int = Field(
        default=1,
        description="How often the scheduler delivers the outbox (retries, and the emails a "
        "crashed runner held once its claim lease has run out: with the 45 s lease, within a "
        "minute). A run that finds nothing due opens no SMTP connection.",
    )
    scheduler_lock_check_seconds: int = Field(
        default=30,
        description="How often a running scheduler checks it still holds the one-scheduler lock.",
    )
    scheduler_artifacts_every_minutes: int = Field(
        default=1,
        ge=1,
        description="Campaigns whose units sent something through the portal get their "
        "artifacts refreshed at most this often (one flow run for all of them).",
    )
    scheduler_workers: int = Field(default=4, description="Threads the scheduler runs its jobs on.")

    list_max_bytes: int = Field(
        default=20 * 1024 * 1024,
        gt=0,
        description="Largest Excel list or CSV file read; a larger one is refused unread.",
    )
    list_max_rows: int = Field(
        default=10_000,
        gt=0,
        description="A unit's list template's row capacity per sheet; reading is bounded by it.",
    )

    approval_timeout_seconds: int = Field(
        default=7 * 24 * 3600,
        description="How long the approval run waits for leadership's form before it fails.",
    )
    outbox_batch_size: int = Field(
        default=200, description="Emails one delivery runner claims at a time."
    )
    outbox_claim_lease_seconds: float = Field(
        default=45.0,
        gt=0,
        description="How long a runner's claim on emails lasts without renewal (wall clock); a "
        "dead runner's emails return to the queue within this time.",
    )
    outbox_run_deadline_seconds: float = Field(
        default=600.0,
        gt=0,
        description="One delivery run starts no new message after this; the rest wait for the "
        "next run.",
    )
    outbox_fault_probe_minutes: float = Field(
        default=15.0,
        ge=0,
        description="While a configuration fault (login, TLS, relay refused) is open, delivery "
        "tries the server at most this often; `tonvinh mail requeue` tries at once.",
    )

    default_actor: str = Field(
        default="operator",
        description="Who the audit log names for an action from the CLI or a form that gives "
        "no name.",
    )

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
        return signature_block(value)

    @field_validator("default_signer")
    @classmethod
    def _signer(cls, value: str) -> str:
        name = " ".join(unicodedata.normalize("NFC", value).split())
        if not name:
            raise ValueError("default_signer must not be empty")
        return name

    @property
    def approver(self) -> str:
        """Who approves: the configured leader, else the default signer."""
        return " ".join(unicodedata.normalize("NFC", self.approver_name).split()) or (
            self.default_signer
        )

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

    def signature_block_for(self, role: SignerRole | None = None) -> str:
        """The block above the signer's name: the configured title if any, else the role's."""
        if self.signer_title and role in (None, self.signer_role):
            return self.signer_title
        return signature_block(SIGNATURE_BLOCKS[role or self.signer_role])

    @property
    def scheduler_misfire_grace(self) -> timedelta:
        return timedelta(minutes=self.scheduler_misfire_grace_minutes)

    def door_url(self, door: str) -> str:
        """A door of the portal beside the units' (``…/nop`` → ``…/<door>``): where the task,
        invitation and (by default) ballot links live."""
        base = self.submission_base_url.rstrip("/")
        return base.rpartition("/")[0] + f"/{door}" if base.endswith("/nop") else f"{base}/{door}"

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


def signature_block(value: str) -> str:
    """A block as lines (``\\n`` written as two characters counts as a line break), NFC."""
    text = unicodedata.normalize("NFC", value).replace("\\n", "\n")
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


@lru_cache
def get_settings() -> Settings:
    return Settings()
