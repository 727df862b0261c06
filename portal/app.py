"""The unit portal: a thin FastAPI shell over ``services`` (no Prefect, no flow run per request).

``create_app()`` builds it: the unit's pages and forms (``portal.unit_pages``,
``portal.unit_forms``), the operator's document area (``portal.operator``), the security
headers and the body cap (``portal.middleware``), friendly
Vietnamese/English pages for 403, 404, 413, 429 and 500, and the stylesheet. Everything it needs
per request (settings, database, clock) is read per request, so tests can run one server across
databases. No JavaScript anywhere: every page works as plain HTML forms.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from models.secret_key import check_configured
from models.settings import get_settings
from portal import events, logs
from portal.access import CsrfRefused, LinkNotFound, Throttled
from portal.ballot_pages import router as ballot_router
from portal.leader_pages import router as leader_router
from portal.middleware import (
    BodyLimit,
    BodyTooLarge,
    SecurityHeaders,
    UploadQueue,
    too_large_page,
)
from portal.operator import router as operator_router
from portal.pages import error_page, render
from portal.rsvp_pages import router as rsvp_router
from portal.security import MissThrottle
from portal.task_pages import router as task_router
from portal.unit_forms import router as forms_router
from portal.unit_pages import router as pages_router

log = logging.getLogger("portal")
STATIC = Path(__file__).parent / "static"

NOT_FOUND = (
    ("Không tìm thấy trang", "Page not found"),
    (
        "Đường dẫn không đúng, đã hết hiệu lực hoặc đã được thay bằng đường dẫn mới. Xin mở "
        "đường dẫn trong thư mới nhất của Vụ Thi đua – Khen thưởng gửi đơn vị, hoặc liên hệ Vụ "
        "để được cấp lại.",
        "This link is wrong, no longer valid or was replaced by a new one. Open the link in the "
        "latest email the department sent your unit, or contact the department for a new one.",
    ),
)


async def _not_found(request: Request, _exc: Exception) -> Response:
    return error_page(request, 404, *NOT_FOUND)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        return error_page(
            request,
            405,
            ("Thao tác không hợp lệ", "Not allowed"),
            ("Trang này không nhận thao tác đó.", "This page does not take that request."),
        )
    return error_page(request, 404, *NOT_FOUND)


async def _throttled(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Throttled)
    return error_page(
        request,
        429,
        ("Xin thử lại sau ít phút", "Please try again in a few minutes"),
        (
            f"Có quá nhiều lần mở đường dẫn không đúng từ máy này. Xin chờ khoảng "
            f"{exc.retry_after} giây rồi mở lại đường dẫn trong thư.",
            f"Too many wrong links were opened from this address. Wait about "
            f"{exc.retry_after} seconds, then open the link in the email again.",
        ),
        headers={"retry-after": str(exc.retry_after)},
    )


async def _csrf(request: Request, _exc: Exception) -> Response:
    return error_page(
        request,
        403,
        ("Biểu mẫu đã hết hiệu lực", "The form has expired"),
        (
            "Không nhận được biểu mẫu này (trang đã mở quá lâu, mở từ nơi khác, hoặc trình "
            "duyệt chặn cookie). Không có gì được lưu. Xin mở lại trang của đơn vị rồi gửi lại.",
            "This form could not be accepted (the page was open too long, came from elsewhere, "
            "or the browser blocks cookies). Nothing was saved. Reopen your unit's page and "
            "send it again.",
        ),
    )


async def _too_large(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BodyTooLarge)
    response = too_large_page(request.scope, exc.limit)
    assert isinstance(response, Response)
    return response


async def _server_error(request: Request, exc: Exception) -> Response:
    # The path is logged through the redacting filter (portal.logs): never the token.
    log.error("Lỗi máy chủ / server error at %s", request.url.path, exc_info=exc)
    return error_page(
        request,
        500,
        ("Lỗi hệ thống", "Server error"),
        (
            "Hệ thống gặp lỗi khi xử lý yêu cầu; không có gì được lưu dở dang. Xin thử lại sau "
            "ít phút; nếu vẫn lỗi, xin báo Vụ Thi đua – Khen thưởng.",
            "Something went wrong; nothing was half-saved. Please try again in a few minutes; "
            "if it persists, tell the department.",
        ),
    )


async def _home(request: Request) -> Response:
    return render(request, "home.html.j2")


def create_app() -> FastAPI:
    """The portal application (no OpenAPI pages: units read HTML, nobody needs the schema)."""
    logs.install()
    settings = get_settings()
    if settings.secret_key.get_secret_value().strip():
        # A bad configured key stops the portal at start, not at a unit's first form.
        check_configured(settings.secret_key.get_secret_value().strip())
    app = FastAPI(
        title="tonvinh — cổng nộp hồ sơ của đơn vị",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.throttle = MissThrottle(settings.portal_misses_per_minute)
    app.include_router(pages_router)
    app.include_router(forms_router)
    app.include_router(operator_router)
    app.include_router(leader_router)
    app.include_router(ballot_router)
    app.include_router(task_router)
    app.include_router(rsvp_router)
    app.add_api_route("/", _home, methods=["GET"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(LinkNotFound, _not_found)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _not_found)  # e.g. /ho-so/abc
    app.add_exception_handler(Throttled, _throttled)
    app.add_exception_handler(CsrfRefused, _csrf)
    app.add_exception_handler(BodyTooLarge, _too_large)
    app.add_exception_handler(Exception, _server_error)
    # Added last = outermost: headers go on every response, the 413 and 503 pages included;
    # the body cap refuses an oversized upload before it queues.
    app.add_middleware(UploadQueue)
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)
    events.connect_prefect()
    return app
