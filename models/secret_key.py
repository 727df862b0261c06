"""The key that signs what the portal hands out (its anti-forgery tokens).

``TONVINH_SECRET_KEY`` when set (several portal processes behind one proxy must share it); else
one generated on first use into ``var/secret_key``, created owner-only (0600) and never logged.
Changing it only makes the forms open at that moment ask to be sent again.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from pathlib import Path

from models.settings import Settings

KEY_FILE = "secret_key"


def _read(path: Path) -> bytes | None:
    with contextlib.suppress(FileNotFoundError):
        key = path.read_bytes().strip()
        if len(key) >= 32:
            return key
    return None


MIN_LENGTH = 32


def check_configured(key: str) -> None:
    """Refuse a configured key too short to sign anything (an unedited example, a typo)."""
    if len(key) < MIN_LENGTH:
        raise ValueError(
            f"TONVINH_SECRET_KEY quá ngắn ({len(key)} ký tự, cần ít nhất {MIN_LENGTH}); tạo bằng "
            f"`openssl rand -base64 48`. / TONVINH_SECRET_KEY is too short ({len(key)} "
            f"characters, at least {MIN_LENGTH}); make one with `openssl rand -base64 48`."
        )


def secret_key(settings: Settings) -> bytes:
    """The configured key, or the one in var/secret_key (made now if missing, mode 0600)."""
    configured = settings.secret_key.get_secret_value().strip()
    if configured:
        check_configured(configured)
        return configured.encode()
    path = settings.var_dir / KEY_FILE
    key = _read(path)
    if key is not None:
        return key
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting at once agree on whichever key was written first.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another process created it an instant ago and may still be writing it.
        for _ in range(20):
            key = _read(path)
            if key is not None:
                return key
            time.sleep(0.05)
        raise RuntimeError(f"{path}: empty or too short; delete it to make a new key") from None
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48) + "\n")
    key = _read(path)
    assert key is not None
    return key
