"""The operator area (``/dieu-hanh/``): behind the operator's login, every campaign and every
document it produced, to download. Nothing here opens with a unit's, member's or invitee's
link: the only key is the operator's session (``portal.operator_session``); without it every
route answers the login page (401), and a download is never served."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from models.db import session_scope
from portal.access import Throttled
from portal.operator_session import (
    AREA_PATH,
    check_csrf,
    credentials_match,
    csrf_for,
    end_session,
    is_operator,
    login_throttle,
    set_csrf,
    start_session,
)
from portal.pages import render
from portal.security import client_address
from portal.unit_pages import content_disposition
from services.documents import campaigns_with_documents, list_documents, open_document
from services.errors import OperatorError

router = APIRouter(prefix="/dieu-hanh")
MAX_FIELDS = 5


def _page(
    request: Request, template: str, context: dict[str, object], status_code: int = 200
) -> Response:
    csrf, nonce = csrf_for(request)
    response = render(request, template, {"csrf": csrf, **context}, status_code=status_code)
    set_csrf(response, request, nonce)
    return response


def _next_path(value: object) -> str:
    """Where to go after logging in: a path inside the area, never another site."""
    if isinstance(value, str) and value.startswith(AREA_PATH) and "//" not in value:
        return value
    return AREA_PATH


def login_page(request: Request, *, failed: bool = False, status_code: int = 401) -> Response:
    return _page(
        request,
        "operator_login.html.j2",
        {"failed": failed, "next": _next_path(request.url.path)},
        status_code=status_code,
    )


@router.get("/")
async def campaigns(request: Request) -> Response:
    if not is_operator(request):
        return login_page(request)
    with session_scope() as session:
        listed = campaigns_with_documents(session)
    return _page(request, "operator_campaigns.html.j2", {"campaigns": listed})


@router.post("/dang-nhap")
async def login(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    check_csrf(request, form)
    throttle = login_throttle(request)
    address = client_address(request)
    wait = throttle.retry_after(address)
    if wait:
        raise Throttled(wait)
    user, password = form.get("user"), form.get("password")
    if not (
        isinstance(user, str)
        and isinstance(password, str)
        and credentials_match(user.strip(), password)
    ):
        throttle.miss(address)
        return login_page(request, failed=True)
    response = RedirectResponse(_next_path(form.get("next")), status_code=303)
    start_session(response, request)
    return response


@router.post("/dang-xuat")
async def logout(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    check_csrf(request, form)
    response = RedirectResponse(AREA_PATH, status_code=303)
    end_session(response)
    return response


@router.get("/{campaign_code}/")
async def documents(request: Request, campaign_code: str) -> Response:
    if not is_operator(request):
        return login_page(request)
    try:
        with session_scope() as session:
            listed = list_documents(session, campaign_code)
    except OperatorError:
        return not_found(request)
    return _page(
        request, "operator_documents.html.j2", {"code": campaign_code, "documents": listed}
    )


@router.get("/{campaign_code}/tai-lieu/{file_name}")
async def download(request: Request, campaign_code: str, file_name: str) -> Response:
    if not is_operator(request):
        return login_page(request)

    def load() -> tuple[bytes, str, str] | None:
        with session_scope() as session:
            found = open_document(session, campaign_code, file_name)
            return None if found is None else (found.content, found.media_type, found.file_name)

    found = await run_in_threadpool(load)
    if found is None:
        return not_found(request)
    content, media_type, name = found
    return Response(
        content,
        media_type=media_type,
        headers={"content-disposition": content_disposition(name), "cache-control": "no-store"},
    )


def not_found(request: Request) -> Response:
    return _page(
        request,
        "error.html.j2",
        {
            "status": 404,
            "title": ("Không tìm thấy", "Not found"),
            "message": (
                "Không có đợt thi đua hoặc tài liệu này. Xin quay lại danh sách.",
                "There is no such campaign or document. Go back to the list.",
            ),
        },
        status_code=404,
    )
