"""What the owner of an organising committee task reads and answers through its link
(``/viec/<token>/``): the task, its due and what it waits for; "done", "a problem" (free text),
"more time" (a day and a reason). A unit's token opens nothing here, nor a task's token a unit's
page: the two are looked up in different tables. Every POST: the link (404/429), the CSRF
token (403), the fields (the page again, 422), then one service call in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from models import clock
from models.committee import TASK_STATUS_EN, TASK_STATUS_VI
from models.db import session_scope
from portal.access import (
    check_csrf_for,
    csrf_field_for,
    one_at_a_time,
    resolve_token,
    set_csrf_cookie,
)
from portal.pages import render, to_page_under
from portal.security import CSRF_FIELD
from services.committee import (
    TaskLink,
    mark_done,
    open_task_link,
    report_problem,
    request_extension,
    task_page,
)
from services.errors import OperatorError

router = APIRouter()
COOKIE_PATH = "/viec/"
MAX_FIELDS = 5
FLASH = {
    "done": (
        "Đã ghi nhận: công việc đã hoàn thành. Cảm ơn đồng chí.",
        "Recorded: the task is done. Thank you.",
    ),
    "problem": (
        "Đã gửi vướng mắc tới Ban tổ chức; Ban tổ chức sẽ liên hệ lại.",
        "The problem was sent to the organising committee; it will contact you.",
    ),
    "extension": (
        "Đã gửi đề nghị gia hạn; Ban tổ chức sẽ trả lời. Trong khi chờ, hạn hiện tại vẫn "
        "giữ nguyên.",
        "The request for more time was sent; the committee will answer. Until then the due stands.",
    ),
}


def _csrf_id(link: TaskLink) -> str:
    # Not a unit link's number: a task link's forms never share a CSRF value with another door.
    return f"viec|{link.token_id}"


def resolve(request: Request, token: str) -> TaskLink:
    return resolve_token(request, token, open_task_link)


def render_task(
    request: Request, link: TaskLink, *, status_code: int = 200, **extra: Any
) -> Response:
    with session_scope() as session:
        page = task_page(session, link, clock.now())
    field, nonce = csrf_field_for(request, _csrf_id(link))
    context = {
        "page": page,
        "csrf": field,
        "flash": FLASH.get(request.query_params.get("ok", "")),
        "status_text": (TASK_STATUS_VI[page.status], TASK_STATUS_EN[page.status]),
        "dependency_status": {
            d.key: (TASK_STATUS_VI[d.status], TASK_STATUS_EN[d.status]) for d in page.dependencies
        },
        "errors": {},
        "values": {},
    } | extra
    response = render(request, "task.html.j2", context, status_code=status_code)
    set_csrf_cookie(response, request, nonce, path=COOKIE_PATH)
    return response


@router.get("/viec/{token}")
async def to_task_page(request: Request, token: str) -> Response:
    """The emailed link, to the task's page under it (``to_page_under``)."""
    await run_in_threadpool(resolve, request, token)
    return to_page_under(request, token)


@router.get("/viec/{token}/")
async def task(request: Request, token: str) -> Response:
    link = await run_in_threadpool(resolve, request, token)
    return await run_in_threadpool(render_task, request, link)


async def _form(request: Request, link: TaskLink) -> FormData:
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    check_csrf_for(request, form, _csrf_id(link))
    return form


def _answer(link: TaskLink, action: Callable[[Session], object]) -> None:
    with one_at_a_time("viec", link.task_id), session_scope() as session:
        action(session)


async def _handle(
    request: Request,
    token: str,
    flash: str,
    action: Callable[[TaskLink, FormData], Callable[[Session], object]],
) -> Response:
    link = await run_in_threadpool(resolve, request, token)
    form = await _form(request, link)
    try:
        await run_in_threadpool(_answer, link, action(link, form))
    except OperatorError as refused:
        errors = {str(refused.params.get("field", "top")): (refused.vi, refused.en)}
        values = {k: v for k, v in form.items() if isinstance(v, str) and k != CSRF_FIELD}
        return await run_in_threadpool(
            lambda: render_task(request, link, status_code=422, errors=errors, values=values)
        )
    return RedirectResponse(f"./?ok={flash}", status_code=303)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _day(form: FormData) -> date | None:
    try:
        return date.fromisoformat(_text(form, "until").strip())
    except ValueError:
        return None


@router.post("/viec/{token}/xong")
async def done(request: Request, token: str) -> Response:
    return await _handle(
        request, token, "done", lambda link, _f: lambda s: mark_done(s, link, now=clock.now())
    )


@router.post("/viec/{token}/vuong-mac")
async def problem(request: Request, token: str) -> Response:
    return await _handle(
        request,
        token,
        "problem",
        lambda link, f: lambda s: report_problem(s, link, _text(f, "problem"), now=clock.now()),
    )


@router.post("/viec/{token}/gia-han")
async def extension(request: Request, token: str) -> Response:
    return await _handle(
        request,
        token,
        "extension",
        lambda link, f: (
            lambda s: request_extension(s, link, _day(f), _text(f, "reason"), now=clock.now())
        ),
    )
