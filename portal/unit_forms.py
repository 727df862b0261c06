"""What a unit sends through its link: its Excel list, a nil return (and its withdrawal), a
dossier's attachment. Each POST is checked in the same order: the link (404/429), the body cap
(413, in ``portal.middleware``), the anti-forgery token (403), the fields (the page again with
each error next to its field, 422), then one service call in one transaction — nothing is
half-saved, and a double click stores once (the services lock the unit's row and dedup)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from models import clock
from models.db import session_scope
from models.settings import get_settings
from portal.access import LinkNotFound, check_csrf, one_write_per_unit, resolve_link
from portal.pages import render
from portal.unit_pages import render_dossier_page, render_unit_page
from services import events
from services.attachments import add_attachment, safe_file_name, unit_dossier
from services.campaigns import find_part, load_campaign
from services.errors import OperatorError
from services.intake import IntakeOutcome, IntakeResult, receive_list
from services.links import UnitLink
from services.nil_return import declare_nil_return, withdraw_nil_return
from services.window import check_open

router = APIRouter()

MAX_FIELDS = 10


def actor_for(link: UnitLink, person: str = "") -> str:
    """Who the audit log records: the unit's link (the portal has no accounts), and the person's
    name when the form asks for one."""
    who = f"portal:{link.unit_code}"
    return f"{person} ({who})" if person else who


def field_errors(refused: OperatorError, default: str) -> dict[str, tuple[str, str]]:
    """A refusal as the page shows it: next to its field (``params["field"]``), or on top."""
    return {str(refused.params.get("field", default)): (refused.vi, refused.en)}


async def read_form(request: Request, link: UnitLink, *, files: int = 0) -> FormData:
    form = await request.form(max_files=files, max_fields=MAX_FIELDS)
    check_csrf(request, form, link)
    return form


async def read_upload(form: FormData) -> tuple[str, bytes] | None:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    data = await upload.read()
    return (upload.filename, data) if data else None


# --------------------------------------------------------------------------- the Excel list


def _receive(link: UnitLink, file_name: str, data: bytes) -> IntakeResult:
    now = clock.now()
    with one_write_per_unit(link), session_scope() as session:
        campaign = load_campaign(session, link.campaign_code)
        part, _unit = find_part(session, campaign, link.unit_code)
        check_open(campaign, part, now.date())
        # The same service as the operator's intake; a list of another unit is refused.
        return receive_list(
            session,
            link.campaign_code,
            data,
            safe_file_name(file_name, ".xlsx"),
            now=now,
            actor=actor_for(link),
            unit_code=link.unit_code,
        )


@router.post("/nop/{token}/nop-danh-sach")
async def upload_list(request: Request, token: str) -> Response:
    link = await run_in_threadpool(resolve_link, request, token)
    form = await read_form(request, link, files=1)
    upload = await read_upload(form)
    if upload is None:
        missing = (
            "Mục “Tệp danh sách”: chưa chọn tệp, hoặc tệp rỗng. Xin chọn tệp Excel danh sách "
            "của đơn vị.",
            "“List file”: no file chosen, or the file is empty. Choose the unit's Excel list.",
        )
        return await run_in_threadpool(
            render_unit_page, request, link, status_code=422, errors={"file": missing}
        )
    try:
        result = await run_in_threadpool(_receive, link, *upload)
    except OperatorError as refused:
        errors = field_errors(refused, "file")
        return await run_in_threadpool(
            render_unit_page, request, link, status_code=409, errors=errors
        )
    if result.outcome is IntakeOutcome.ACCEPTED:
        # One event per accepted list; the scheduler refreshes the campaign's artifacts.
        payload: dict[str, Any] = {
            "via": "portal",
            "file": result.file,
            "created": result.created,
            "updated": result.updated,
            "withdrawn": result.withdrawn,
        }
        events.publish_unit_events("submitted", link.campaign_code, [(link.unit_code, payload)])
    status = 422 if result.outcome is IntakeOutcome.REJECTED else 200
    return render(request, "result.html.j2", {"result": result}, status_code=status)


# --------------------------------------------------------------------------- the nil return


@router.post("/nop/{token}/khong-de-nghi")
async def nil_return(request: Request, token: str) -> Response:
    link = await run_in_threadpool(resolve_link, request, token)
    form = await read_form(request, link)
    name = str(form.get("name") or "")
    confirmed = form.get("confirm") == "yes"

    def record() -> None:
        with one_write_per_unit(link), session_scope() as session:
            declare_nil_return(
                session,
                link.campaign_code,
                link.unit_code,
                name=name,
                confirmed=confirmed,
                now=clock.now(),
                actor=actor_for(link, name.strip()[:120]),
            )

    try:
        await run_in_threadpool(record)
    except OperatorError as refused:
        errors = field_errors(refused, "nil_return")
        values = {"name": name[:200], "confirm": confirmed}
        return await run_in_threadpool(
            render_unit_page, request, link, status_code=422, errors=errors, values=values
        )
    return RedirectResponse("./?ok=nil-return", status_code=303)


@router.post("/nop/{token}/khong-de-nghi/rut")
async def withdraw_nil(request: Request, token: str) -> Response:
    link = await run_in_threadpool(resolve_link, request, token)
    await read_form(request, link)

    def withdraw() -> None:
        with one_write_per_unit(link), session_scope() as session:
            withdraw_nil_return(
                session, link.campaign_code, link.unit_code, now=clock.now(), actor=actor_for(link)
            )

    try:
        await run_in_threadpool(withdraw)
    except OperatorError as refused:
        errors = field_errors(refused, "nil_return")
        return await run_in_threadpool(
            render_unit_page, request, link, status_code=409, errors=errors
        )
    return RedirectResponse("../?ok=nil-return-withdrawn", status_code=303)


# --------------------------------------------------------------------------- attachments


@router.post("/nop/{token}/ho-so/{nomination_id}/tep-dinh-kem")
async def upload_attachment(request: Request, token: str, nomination_id: int) -> Response:
    link = await run_in_threadpool(resolve_link, request, token)

    def owned() -> bool:
        with session_scope() as session:
            return unit_dossier(session, link.campaign_id, link.unit_id, nomination_id) is not None

    # Another unit's dossier is "not found" before anything else is looked at.
    if not await run_in_threadpool(owned):
        raise LinkNotFound()
    form = await read_form(request, link, files=1)
    kind = str(form.get("kind") or "")
    upload = await read_upload(form)
    file_name, data = upload if upload is not None else ("", b"")

    def attach() -> bool:
        with one_write_per_unit(link), session_scope() as session:
            added = add_attachment(
                session,
                link.campaign_code,
                link.unit_code,
                nomination_id,
                kind=kind,
                data=data,
                file_name=file_name,
                now=clock.now(),
                actor=actor_for(link),
                settings=get_settings(),
            )
            return added.stored

    try:
        stored = await run_in_threadpool(attach)
    except OperatorError as refused:
        if refused.code == "not_found":
            raise LinkNotFound() from None
        errors = field_errors(refused, "file")
        return await run_in_threadpool(
            render_dossier_page,
            request,
            link,
            nomination_id,
            status_code=422,
            errors=errors,
            kind=kind,
        )
    return RedirectResponse(f"./?ok={'attachment' if stored else 'attachment-same'}", 303)
