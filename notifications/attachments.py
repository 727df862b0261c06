"""Files an email carries: where each lives (a path relative to ``Settings.output_dir``), the
name the recipient sees, and the MIME part the mailer writes for it.

The call carries the unit's own Excel list, the council's emails its dossier pack or minutes.
Delivery takes a file this host's output folder lacks from the copy the database keeps
(``services.documents``), so a worker on another host sends what the dispatching one wrote.
The mailer builds a message without attachments as before (one multipart/alternative) and wraps
it in multipart/mixed only for a message with attachments. The file is read when the message is
built, just before it goes: a file that is neither there nor in the database (or a path that
would leave the output folder) is ``AttachmentMissing``, a permanent failure of that one message
that the operator sees in ``tonvinh mail failed`` and can requeue once the file is back.

File names: an ASCII name travels as typed (``filename="…"``); any other (a Vietnamese name)
as RFC 2231 ``filename*=utf-8''…`` in Content-Disposition, in continuation pieces so no line
grows long, and as RFC 2047 encoded words in Content-Type's ``name``, which older Outlook reads.
"""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import quote

# The types our files have, whatever the machine's mime.types says (Python's own table lacks
# some of them on older systems).
MIME_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pdf": "application/pdf",
    ".csv": "text/csv",
}
# Percent-encoded characters per RFC 2231 continuation piece: keeps each line under 78.
_PIECE = 48
# Characters a quoted parameter value or a header must not carry as typed.
_UNSAFE = str.maketrans({'"': "'", "\\": "_", "/": "_", "\r": " ", "\n": " ", "\t": " "})


class AttachmentMissing(Exception):
    """An attachment's file cannot be read (gone, or outside the output folder)."""

    def __init__(self, path: str, detail: str) -> None:
        self.path = path
        super().__init__(
            f"Không đọc được tệp đính kèm {path} ({detail}); tạo lại tệp (chạy lại bước gửi "
            f"công văn) rồi gửi lại thư bằng 'tonvinh mail requeue' / attachment {path} cannot "
            f"be read ({detail}); recreate it, then requeue the message"
        )


@dataclass(frozen=True)
class MailAttachment:
    """One file an email carries: ``path`` relative to ``Settings.output_dir`` (POSIX
    separators), ``name`` the file name the recipient sees."""

    path: str
    name: str
    # The bytes, when delivery took them from the database's copy (``services.documents``)
    # because this host's output folder does not have the file; never stored in the outbox.
    content: bytes | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "name": self.name}

    @classmethod
    def from_json(cls, value: Mapping[str, str]) -> MailAttachment:
        return cls(path=str(value["path"]), name=str(value["name"]))


def from_column(value: Iterable[Mapping[str, str]] | None) -> tuple[MailAttachment, ...]:
    """The ``outboxmessage.attachments`` column (NULL for most rows) as attachments."""
    return tuple(MailAttachment.from_json(item) for item in value or ())


def to_column(attachments: Iterable[MailAttachment]) -> list[dict[str, str]] | None:
    """Attachments as the column stores them; None (SQL NULL) when there are none."""
    return [a.to_json() for a in attachments] or None


def mime_type(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    return MIME_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def read(root: Path, attachment: MailAttachment) -> bytes:
    """The attachment's bytes (its database copy, or the file under ``root`` only);
    ``AttachmentMissing`` otherwise."""
    if attachment.content is not None:
        return attachment.content
    relative = PurePosixPath(attachment.path)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise AttachmentMissing(attachment.path, "đường dẫn không hợp lệ / not a relative path")
    try:
        return (root / relative).read_bytes()
    except OSError as exc:
        raise AttachmentMissing(attachment.path, exc.strerror or type(exc).__name__) from None


def _shown_name(name: str) -> str:
    """The name as a header may carry it: no quotes, slashes or line breaks; never empty."""
    cleaned = " ".join(name.translate(_UNSAFE).split())
    return cleaned or "tep-dinh-kem"


def _disposition(name: str) -> str:
    if name.isascii() and len(name) <= _PIECE:
        return f'attachment; filename="{name}"'
    encoded = quote(name.encode("utf-8"), safe="")
    pieces: list[str] = []
    start = 0
    while start < len(encoded):
        end = min(start + _PIECE, len(encoded))
        while "%" in encoded[end - 2 : end] and end < len(encoded):  # never split a %XX
            end -= 1
        pieces.append(encoded[start:end])
        start = end
    if len(pieces) == 1:
        return f"attachment;\n filename*=utf-8''{pieces[0]}"
    params = [
        f"filename*{i}*=utf-8''{piece}" if i == 0 else f"filename*{i}*={piece}"
        for i, piece in enumerate(pieces)
    ]
    return "attachment;\n " + ";\n ".join(params)


def mime_part(
    boundary: str, attachment: MailAttachment, data: bytes, encode_words: Callable[[str], str]
) -> str:
    """One attachment as a MIME part (base64 body) after ``--boundary``; ``encode_words`` is
    the mailer's RFC 2047 encoder, for Content-Type's ``name``."""
    name = _shown_name(attachment.name)
    shown = encode_words(name)
    kind = mime_type(name)
    # The .xlsx type alone is 66 characters: fold before it rather than pass 78 a line.
    fold = "\n " if len(kind) > 60 else " "
    return (
        f"--{boundary}\n"
        f'Content-Type:{fold}{kind};\n name="{shown}"\n'
        f"Content-Disposition: {_disposition(name)}\n"
        "Content-Transfer-Encoding: base64\n\n"
        f"{base64.encodebytes(data).decode()}"
    )
