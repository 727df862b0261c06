"""What a unit reads through its link: its page, a dossier's page, its own Excel list and its
attachments. Every id in a path is looked up within the link's own unit and campaign; anything
else is a 404, exactly like an id that does not exist."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from models import clock
from models.db import session_scope
from models.settings import get_settings
from portal.access import LinkNotFound, csrf_field, resolve_link, set_csrf_cookie
from portal.pages import render, to_page_under
from services.attachments import open_attachment
from services.errors import OperatorError
from services.links import UnitLink
from services.unit_page import dossier_page, unit_list_file, unit_page

router = APIRouter()

# What a page says after a form was taken (Post/Redirect/Get): ?ok=<key>.
FLASH = {
    "nil-return": (
        "Đã ghi nhận: đơn vị không đề nghị khen thưởng năm nay. Đơn vị sẽ không nhận thêm thư "
        "nhắc hạn.",
        "Recorded: the unit nominates nobody this year. It will get no more reminders.",
    ),
    "nil-return-withdrawn": (
        "Đã rút trả lời “không đề nghị”. Xin gửi danh sách trước hạn.",
        "The “no nominations” answer is withdrawn. Please send the list before the deadline.",
    ),
    "attachment": ("Đã nhận tệp đính kèm.", "The attachment was received."),
    "attachment-same": (
        "Tệp này đã có trong hồ sơ; không lưu thêm bản nào.",
        "This file was already attached; nothing was added.",
    ),
}


def content_disposition(file_name: str) -> str:
    """``attachment`` with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987)."""
    fallback = "".join(
        ch if ch.isascii() and (ch.isalnum() or ch in "._- ") else "_" for ch in file_name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def page_context(
    request: Request, link: UnitLink, **extra: Any
) -> tuple[dict[str, Any], str | None]:
    """The unit page's context (``extra`` adds form errors and values) and a CSRF nonce to set."""
    with session_scope() as session:
        page = unit_page(session, link, clock.now())
    field, nonce = csrf_field(request, link)
    flash = FLASH.get(request.query_params.get("ok", ""))
    context = {"page": page, "csrf": field, "flash": flash, "errors": {}, "values": {}}
    return context | extra, nonce


def render_unit_page(
    request: Request, link: UnitLink, *, status_code: int = 200, **extra: Any
) -> Response:
    context, nonce = page_context(request, link, **extra)
    response = render(request, "unit.html.j2", context, status_code=status_code)
    set_csrf_cookie(response, request, nonce)
    return response


def render_dossier_page(
    request: Request, link: UnitLink, nomination_id: int, *, status_code: int = 200, **extra: Any
) -> Response:
    try:
        with session_scope() as session:
            page, row = dossier_page(session, link, nomination_id, clock.now())
    except OperatorError as refused:
        if refused.code == "not_found":
            raise LinkNotFound() from None
        raise
    field, nonce = csrf_field(request, link)
    flash = FLASH.get(request.query_params.get("ok", ""))
    context = {"page": page, "row": row, "csrf": field, "flash": flash, "errors": {}}
    response = render(request, "dossier.html.j2", context | extra, status_code=status_code)
    set_csrf_cookie(response, request, nonce)
    return response


@router.get("/nop/{token}")
async def to_unit_page(request: Request, token: str) -> Response:
    """The emailed link, to the unit's page under it (``to_page_under``)."""
    await run_in_threadpool(resolve_link, request, token)
    return to_page_under(request, token)


@router.get("/nop/{token}/")
async def unit_home(request: Request, token: str) -> Response:
    link = await run_in_threadpool(resolve_link, request, token)
    return await run_in_threadpool(render_unit_page, request, link)


@router.get("/nop/{token}/danh-sach.xlsx")
async def unit_list(request: Request, token: str) -> Response:
    link = await run_in_threadpool(resolve_link, request, token)

    def build() -> tuple[str, bytes]:
        with session_scope() as session:
            return unit_list_file(session, link, clock.now())

    name, data = await run_in_threadpool(build)
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"content-disposition": content_disposition(name)},
    )


@router.get("/nop/{token}/ho-so/{nomination_id}/")
async def dossier(request: Request, token: str, nomination_id: int) -> Response:
    link = await run_in_threadpool(resolve_link, request, token)
    return await run_in_threadpool(render_dossier_page, request, link, nomination_id)


@router.get("/nop/{token}/tep/{attachment_id}")
async def attachment(request: Request, token: str, attachment_id: int) -> Response:
    link = await run_in_threadpool(resolve_link, request, token)

    def find() -> Any:
        with session_scope() as session:
            return open_attachment(
                session, link.campaign_id, link.unit_id, attachment_id, get_settings()
            )

    found = await run_in_threadpool(find)
    if found is None:
        raise LinkNotFound()
    view, path = found
    return FileResponse(
        path,
        media_type=view.media_type,
        headers={"content-disposition": content_disposition(view.file_name)},
    )
