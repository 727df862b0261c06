"""What a conference invitee reads and answers through their link (``/moi/<token>/``): the
invitation (time, place, seat area, what to bring, their honours), and one form — attend, send
a named deputy, or decline — until the cut-off; after it the page is read-only and a POST is
refused with 409. Another door's token opens nothing here, nor an invitation's token another
door: the tokens live in tables of their own. Every POST: the link (404/429), the CSRF token
(403), the cut-off (409), the fields (the page again, 422), then one service call."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from models import clock
from models.ceremony import SEAT_STATE_EN, SEAT_STATE_VI
from models.db import session_scope
from models.rules.ceremony import CATEGORY_EN, CATEGORY_VI
from portal.access import (
    check_csrf_for,
    csrf_field_for,
    one_at_a_time,
    resolve_token,
    set_csrf_cookie,
)
from portal.pages import render, to_page_under
from portal.security import CSRF_FIELD
from services.errors import OperatorError
from services.rsvp import Answer, InviteLink, answer_invitation, open_invite_link, rsvp_page

router = APIRouter()
COOKIE_PATH = "/moi/"
MAX_FIELDS = 6
FIELDS = ("answer", "deputy_name", "deputy_position", "position")
FLASH = {
    "ok": (
        "Đã ghi nhận câu trả lời; thư xác nhận đã được gửi. Cảm ơn đồng chí.",
        "Your answer is recorded; a confirmation email is on its way. Thank you.",
    ),
}


def _csrf_id(link: InviteLink) -> str:
    # An invitation's forms never share a CSRF value with another door's.
    return f"moi|{link.token_id}"


def resolve(request: Request, token: str) -> InviteLink:
    return resolve_token(request, token, open_invite_link)


def render_invitation(
    request: Request, link: InviteLink, *, status_code: int = 200, **extra: Any
) -> Response:
    with session_scope() as session:
        page = rsvp_page(session, link, clock.now())
    field, nonce = csrf_field_for(request, _csrf_id(link))
    context = {
        "page": page,
        "csrf": field,
        "flash": FLASH.get(request.query_params.get("ok", "")),
        "state_text": (SEAT_STATE_VI[page.state], SEAT_STATE_EN[page.state]),
        "category_text": (CATEGORY_VI[page.category], CATEGORY_EN[page.category]),
        "errors": {},
        "values": {},
    } | extra
    response = render(request, "rsvp.html.j2", context, status_code=status_code)
    set_csrf_cookie(response, request, nonce, path=COOKIE_PATH)
    return response


@router.get("/moi/{token}")
async def to_invitation(request: Request, token: str) -> Response:
    """The emailed link, to the invitation's page under it (``to_page_under``)."""
    await run_in_threadpool(resolve, request, token)
    return to_page_under(request, token)


@router.get("/moi/{token}/")
async def invitation(request: Request, token: str) -> Response:
    link = await run_in_threadpool(resolve, request, token)
    return await run_in_threadpool(render_invitation, request, link)


def _answer(link: InviteLink, values: dict[str, str]) -> None:
    try:
        answer = Answer(values.get("answer", ""))
    except ValueError:
        raise OperatorError(
            "field_required",
            "Xin chọn một câu trả lời.",
            "Please choose an answer.",
            field="answer",
        ) from None
    # Per campaign, not per invitee: a decline frees a seat another answer may take.
    with one_at_a_time("moi", link.campaign_id), session_scope() as session:
        answer_invitation(
            session,
            link,
            answer,
            now=clock.now(),
            deputy_name=values.get("deputy_name", ""),
            deputy_position=values.get("deputy_position", ""),
            position=values.get("position", ""),
        )


@router.post("/moi/{token}/tra-loi")
async def answer(request: Request, token: str) -> Response:
    link = await run_in_threadpool(resolve, request, token)
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    check_csrf_for(request, form, _csrf_id(link))
    values = {k: v for k in FIELDS if isinstance(v := form.get(k), str)}
    try:
        await run_in_threadpool(_answer, link, values)
    except OperatorError as refused:
        closed = refused.code == "rsvp_closed"
        errors = {str(refused.params.get("field", "top")): (refused.vi, refused.en)}
        return await run_in_threadpool(
            lambda: render_invitation(
                request,
                link,
                status_code=409 if closed else 422,
                errors=errors,
                values={k: v for k, v in values.items() if k != CSRF_FIELD},
            )
        )
    return RedirectResponse("./?ok=ok", status_code=303)
