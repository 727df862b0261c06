"""The approving leader's page ``/duyet/<token>/``: the council's result, the budget, the draft
decision to download, and the form that answers the paused approval run.

Each request is checked in this order: the link (404/429, the same throttle as the units'), the
body cap, the anti-forgery token (403), whether the link was used (then "already sent", never a
second resume), whether the portal can reach Prefect (else: decide in the Prefect UI), whether
the run still waits (else: closed), the fields (the page again with each error, 422). Then, in
one transaction: the invite is marked used by a guarded row update and the run resumed with the
typed answer; if resuming fails, the mark is rolled back. The run records the decision itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from documents.text import format_vnd
from models import clock
from models.db import session_scope
from portal.access import (
    check_csrf_for,
    csrf_field_for,
    resolve_token,
    set_csrf_cookie,
)
from portal.approval_runs import RunNotPaused, is_paused, prefect_reachable, resume
from portal.pages import error_page, render
from portal.unit_pages import content_disposition
from services.approval import ApprovalRequest
from services.errors import OperatorError
from services.leadership import (
    LeaderLink,
    claim_invite,
    decision_preview,
    leader_request,
    leader_view,
    open_leader_link,
    reload_link,
)

router = APIRouter()

COOKIE_PATH = "/duyet/"
# The form: a few fields and one checkbox per dossier on the list.
MAX_FIELDS = 5000
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

CLOSED = (
    ("Việc phê duyệt đã kết thúc", "The approval is closed"),
    (
        "Đợt trình phê duyệt này không còn chờ ý kiến (đã có ý kiến qua giao diện Prefect, đã hết "
        "thời hạn chờ, hoặc danh sách đã được trình lại), nên đường dẫn không còn dùng được. "
        "Không có gì được lưu. Nếu cần, xin liên hệ Vụ Thi đua – Khen thưởng.",
        "This approval no longer waits for an answer (answered in the Prefect UI, timed out, or "
        "submitted again), so the link no longer works. Nothing was saved. If needed, contact "
        "the emulation and commendation department.",
    ),
)
NO_DRAFT = (
    ("Chưa có dự thảo quyết định", "No draft decision"),
    (
        "Danh sách trình không có hồ sơ nào được Hội đồng thông qua, nên không có dự thảo "
        "quyết định khen thưởng.",
        "The council passed no dossier, so there is no draft decision.",
    ),
)
NO_PREFECT = (
    ("Xin phê duyệt trong giao diện Prefect", "Please approve in the Prefect UI"),
    (
        "Cổng này chưa được kết nối với máy chủ Prefect đang chờ ý kiến phê duyệt (chưa đặt "
        "PREFECT_API_URL), nên không gửi được ý kiến từ trang này. Xin phê duyệt trên trang của "
        "lượt chạy trong giao diện Prefect, hoặc báo Vụ Thi đua – Khen thưởng.",
        "This portal is not connected to the Prefect server the approval waits on "
        "(PREFECT_API_URL is not set), so the answer cannot be sent from here. Please approve on "
        "the flow run's page in the Prefect UI, or tell the department.",
    ),
)


def _open_leader(session: Session, token: str, _now: datetime) -> LeaderLink | None:
    return open_leader_link(session, token)  # the pause, not the clock, decides if it is open


def resolve_leader(request: Request, token: str) -> LeaderLink:
    return resolve_token(
        request, token, lambda session, opened, _now: open_leader_link(session, opened)
    )


def _binding(link: LeaderLink) -> str:
    # Not a unit link's number: a form copied from a unit's page never verifies here.
    return f"duyet|{link.token_id}"


def _closed_page(
    request: Request, link: LeaderLink, *, check_pause: bool = True
) -> Response | None:
    """The page to show instead of the form, if the form cannot be answered now. (An answer
    checks the pause only once it holds the invite: ``_claim_and_resume``.)"""
    if link.used_at is not None:
        return render(request, "leader_sent.html.j2", {"link": link})
    if not prefect_reachable(request):
        return error_page(request, 503, *NO_PREFECT)
    if check_pause and not is_paused(link.flow_run_id):
        return error_page(request, 404, *CLOSED)
    return None


def _render_form(
    request: Request,
    link: LeaderLink,
    *,
    status_code: int = 200,
    errors: dict[str, tuple[str, str]] | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    try:
        with session_scope() as session:
            view = leader_view(session, link)
    except OperatorError:  # the campaign has moved on: the approval is over
        return error_page(request, 404, *CLOSED)
    field, nonce = csrf_field_for(request, _binding(link))
    approver = f"{link.approver_name} ({link.approver_title})" if link.approver_title else ""
    context = {
        "link": link,
        "view": view,
        "budget_text": format_vnd(view.budget_total),
        "csrf": field,
        "errors": errors or {},
        "values": values or {"decision": "approve_all", "approver": approver or link.approver_name},
    }
    response = render(request, "leader.html.j2", context, status_code=status_code)
    set_csrf_cookie(response, request, nonce, COOKIE_PATH)
    return response


def _page(request: Request, token: str) -> Response:
    link = resolve_leader(request, token)
    return _closed_page(request, link) or _render_form(request, link)


@router.get("/duyet/{token}")
async def to_leader_page(request: Request, token: str) -> Response:
    """The emailed link has no trailing slash; the page's links are relative to it."""
    await run_in_threadpool(resolve_leader, request, token)
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"./{token}/{query}", status_code=303)


@router.get("/duyet/{token}/")
async def leader_page(request: Request, token: str) -> Response:
    return await run_in_threadpool(_page, request, token)


def _preview(request: Request, token: str) -> Response:
    link = resolve_leader(request, token)
    closed = _closed_page(request, link)
    if closed is not None:
        return closed
    try:
        with session_scope() as session:
            name, data = decision_preview(session, link)
    except OperatorError:
        return error_page(request, 404, *CLOSED)
    except ValueError:  # nothing passed: a decision honouring nobody is not a document
        return error_page(request, 404, *NO_DRAFT)
    return Response(
        data, media_type=DOCX, headers={"content-disposition": content_disposition(name)}
    )


@router.get("/duyet/{token}/du-thao-quyet-dinh.docx")
async def leader_preview(request: Request, token: str) -> Response:
    return await run_in_threadpool(_preview, request, token)


def _text(form: FormData, name: str, limit: int = 4000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def _answer(request: Request, link: LeaderLink, form: FormData) -> Response:
    closed = _closed_page(request, link, check_pause=False)
    if closed is not None:
        return closed
    excluded = [v for v in form.getlist("excluded") if isinstance(v, str)]
    choice, reason = _text(form, "decision", 32), _text(form, "exclusion_reason")
    comment, approver = _text(form, "comment"), _text(form, "approver", 300)
    try:
        with session_scope() as session:
            view = leader_view(session, link)
    except OperatorError:
        return error_page(request, 404, *CLOSED)
    answer, errors = leader_request(
        view.listed,
        choice=choice,
        excluded=excluded,
        reason=reason,
        comment=comment,
        approver=approver,
    )
    if answer is None:
        values = {
            "decision": choice,
            "excluded": excluded,
            "exclusion_reason": reason,
            "comment": comment,
            "approver": approver,
        }
        return _render_form(request, link, status_code=422, errors=errors, values=values)
    if not _claim_and_resume(link, answer):
        # Someone (a double click) sent it first: say so, resume nothing.
        return _sent(request, link)
    return RedirectResponse("./", status_code=303)


def _claim_and_resume(link: LeaderLink, answer: ApprovalRequest) -> bool:
    """Mark the invite used and resume the run, both or neither (``RunNotPaused`` rolls the
    mark back); False if the invite was used already. The pause is checked only once the
    invite is held: a double click's second request waits here for the first, then finds the
    invite used (not the run resumed, which would read as "closed")."""
    with session_scope() as session:
        if not claim_invite(session, link.invite_id, answer.decision, clock.now()):
            return False
        if not is_paused(link.flow_run_id):
            raise RunNotPaused()
        # The same typed input as the Prefect UI form (ApprovalForm is ApprovalRequest).
        resume(link.flow_run_id, answer.model_dump(mode="json"))
    return True


def _sent(request: Request, link: LeaderLink) -> Response:
    with session_scope() as session:
        used = reload_link(session, link)
    return render(request, "leader_sent.html.j2", {"link": used})


@router.post("/duyet/{token}/")
async def leader_answer(request: Request, token: str) -> Response:
    link = await run_in_threadpool(resolve_leader, request, token)
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    check_csrf_for(request, form, _binding(link))
    try:
        return await run_in_threadpool(_answer, request, link, form)
    except RunNotPaused:
        return error_page(request, 404, *CLOSED)
