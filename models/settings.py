"""One place for configuration: every knob is an environment variable prefixed ``TONVINH_``."""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
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
    smtp_timeout_seconds: float = 20.0

    # The department that runs the campaign (configuration, not code: ministries merge).
    department_name: str = "Vụ Thi đua - Khen thưởng"
    ministry_name: str = "Bộ Thông tin và Truyền thông"
    department_head_name: str = "Vụ trưởng Vụ Thi đua - Khen thưởng"
    department_head_email: str = "vutruong.tdkt@example.gov.vn"
    submission_base_url: str = "https://thidua.example.gov.vn/nop"

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
    scheduler_workers: int = 4

    # A unit's Excel list: the upload cap, and the template's row capacity per sheet. Reading any
    # file is bounded by these (documents.nomination_list.limits): a list of this many rows is
    # read in a few seconds, and a larger or stranger file is refused with the reason.
    list_max_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    list_max_rows: int = Field(default=10_000, gt=0)

    approval_timeout_seconds: int = 7 * 24 * 3600
    outbox_batch_size: int = 200

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


@lru_cache
def get_settings() -> Settings:
    return Settings()
