"""The portal's logging: uvicorn's access log without the link tokens.

A unit's token travels in the URL path (``/nop/<token>/…``), and uvicorn's access log prints
every path. ``RedactTokens`` rewrites each record before any handler sees it — the access line,
an error message, a traceback — replacing the token by "…". It sits on the loggers that emit
(``uvicorn.access``, ``uvicorn.error``, ``portal``) and on the handlers, so a record reaching a
handler from any other logger is redacted too.
"""

from __future__ import annotations

import logging
import re
from typing import Any

# A path segment after /nop/ (a unit's link), /phieu/ (a council member's ballot link),
# /duyet/ (the approving leader's), /viec/ (a committee task owner's) or /moi/ (a conference
# invitee's) is a token, whatever it looks like.
_TOKEN_IN_PATH = re.compile(r"(/(?:nop|phieu|duyet|viec|moi)/)[^/\s?#\"']+")
REDACTED = r"\1…"


def redact(text: str) -> str:
    return _TOKEN_IN_PATH.sub(REDACTED, text)


def _redacted(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactTokens(logging.Filter):
    """Replace every link token in a record by "…" (always lets the record through)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_tokens_redacted", False):
            return True
        # Arguments are redacted one by one, not flattened into the message: uvicorn's access
        # formatter reads its fields (client, method, path, status) from record.args.
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(value) for value in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redacted(value) for key, value in record.args.items()}
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler to report
            return True
        if redact(message) != message:  # a token inside an argument that is not a string
            record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record._tokens_redacted = True
        return True


LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "portal")


def install(logger_names: tuple[str, ...] = LOGGERS) -> None:
    """Put the filter on these loggers (idempotent): records are redacted where they are made."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())


def log_config(level: str = "info") -> dict[str, Any]:
    """uvicorn's logging configuration with the redacting filter on every handler and logger."""
    redacting = {"redact": {"()": "portal.logs.RedactTokens"}}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": redacting,
        "formatters": {
            "default": {
                "()": "uvicorn.logging.DefaultFormatter",
                "fmt": "%(asctime)s %(levelprefix)s %(name)s: %(message)s",
                "use_colors": False,
            },
            "access": {
                "()": "uvicorn.logging.AccessFormatter",
                "fmt": '%(asctime)s %(levelprefix)s %(client_addr)s - "%(request_line)s" '
                "%(status_code)s",
                "use_colors": False,
            },
        },
        "handlers": {
            "default": {
                "formatter": "default",
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "filters": ["redact"],
            },
            "access": {
                "formatter": "access",
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "filters": ["redact"],
            },
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper(), "filters": ["redact"]},
            "uvicorn.access": {
                "handlers": ["access"],
                "level": level.upper(),
                "propagate": False,
                "filters": ["redact"],
            },
            "portal": {
                "handlers": ["default"],
                "level": level.upper(),
                "propagate": False,
                "filters": ["redact"],
            },
        },
    }
