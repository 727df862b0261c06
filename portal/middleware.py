"""Small ASGI middlewares: security headers on every response, the body cap, the upload queue.

The body cap must live here, not in a route: Starlette parses and spools a whole multipart body
to a temporary file before the route runs (``request.form()`` reads the entire stream first).
So a request whose ``Content-Length`` is over the cap is answered 413 at once, before a byte of
its body is read, and a body without one (chunked) is counted as it arrives and refused the
moment it passes the cap: a 200 MB upload costs at most the cap, never 200 MB of disk or memory.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models.settings import get_settings
from portal.pages import error_page

# Strict: our own stylesheet and nothing else; no script at all (the portal needs none), no
# framing, forms only to ourselves.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "referrer-policy": "no-referrer",
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
# A multipart body carries its boundaries and part headers around the file itself.
ENVELOPE = 64 * 1024
# A form without a file (a nil return, a language switch) never needs more than this.
SMALL_FORM = 64 * 1024
_LIST_UPLOAD = re.compile(r"^/nop/[^/]+/nop-danh-sach/?$")
_ATTACHMENT_UPLOAD = re.compile(r"^/nop/[^/]+/ho-so/[^/]+/tep-dinh-kem/?$")


class SecurityHeaders:
    """Referrer-Policy, CSP, X-Frame-Options, nosniff on every response; ``no-store`` on every
    page of a unit's link and of the operator area (a shared computer's cache must not keep a
    unit's data or a campaign's documents)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = str(scope.get("path", "")).startswith(
            ("/nop/", "/phieu/", "/duyet/", "/dieu-hanh/")
        )
        secure = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                if private:
                    headers["cache-control"] = "no-store"
                    headers["pragma"] = "no-cache"
                if secure:
                    headers["strict-transport-security"] = "max-age=31536000"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body over {limit} bytes")
        self.limit = limit


def body_limit(path: str) -> int:
    """The largest body a POST to ``path`` may carry."""
    settings = get_settings()
    if _LIST_UPLOAD.match(path):
        return settings.list_max_bytes + ENVELOPE
    if _ATTACHMENT_UPLOAD.match(path):
        return settings.attachment_max_bytes + ENVELOPE
    return SMALL_FORM


def too_large_page(scope: Scope, limit: int) -> Callable[[Scope, Receive, Send], object]:
    megabytes = max(1, round((limit - ENVELOPE) / 1024 / 1024)) if limit > SMALL_FORM else 0
    cap_vi = f"tối đa {megabytes} MB" if megabytes else "biểu mẫu quá dài"
    cap_en = f"at most {megabytes} MB" if megabytes else "the form is too long"
    return error_page(
        Request(scope),
        413,
        ("Tệp quá lớn", "File too large"),
        (
            f"Tệp gửi lên vượt quá giới hạn ({cap_vi}), nên chưa được đọc và không có gì được "
            "lưu. Xin kiểm tra lại tệp (đúng danh sách của đơn vị, không kèm ảnh lớn) rồi gửi "
            "lại.",
            f"The upload is over the limit ({cap_en}), so it was not read and nothing was "
            "saved. Please check the file and send it again.",
        ),
        headers={"connection": "close"},
    )


class BodyLimit:
    """Refuse an over-large request body with a 413 page, before it is parsed."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int] = body_limit) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(str(scope.get("path", "")))
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await too_large_page(scope, limit)(scope, receive, send)  # type: ignore[misc]
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:
            if started:
                raise
            await too_large_page(scope, limit)(scope, receive, send)  # type: ignore[misc]


RETRY_AFTER_SECONDS = 60


def _busy_page(scope: Scope) -> Callable[[Scope, Receive, Send], object]:
    return error_page(
        Request(scope),
        503,
        ("Hệ thống đang bận", "The portal is busy"),
        (
            "Rất nhiều đơn vị đang gửi danh sách cùng lúc; tệp của đơn vị chưa được đọc và không "
            "có gì được lưu. Xin gửi lại sau khoảng một phút.",
            "Many units are sending their lists at this moment; your file was not read and "
            "nothing was saved. Please send it again in about a minute.",
        ),
        headers={"retry-after": str(RETRY_AFTER_SECONDS), "connection": "close"},
    )


class UploadQueue:
    """At most ``portal_upload_workers`` uploads are read and checked at once, up to
    ``portal_upload_queue`` more wait their turn in arrival order, and past that an upload is
    answered 503 with Retry-After before a byte of it is read. Parsing a list is CPU work: a
    hundred at once would only share the CPU a hundred ways and hold a hundred files in memory,
    so a rush is served in turn, with bounded memory, and nobody's request hangs or is lost."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        settings = get_settings()
        self.slots = asyncio.Semaphore(settings.portal_upload_workers)
        self.queue_limit = settings.portal_upload_queue
        self.waiting = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        is_upload = scope["type"] == "http" and scope["method"] == "POST"
        if not (is_upload and (_LIST_UPLOAD.match(path) or _ATTACHMENT_UPLOAD.match(path))):
            await self.app(scope, receive, send)
            return
        if self.slots.locked() and self.waiting >= self.queue_limit:
            await _busy_page(scope)(scope, receive, send)  # type: ignore[misc]
            return
        self.waiting += 1
        try:
            await self.slots.acquire()
        finally:
            self.waiting -= 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.slots.release()
