"""A council member's secret ballot through their link: ``GET/POST /phieu/{token}``.

The page lists every dossier on the ballot with Đồng ý / Không đồng ý (a dossier the member is
recused on says so and takes no choice; the member may declare a conflict on any other). The
POST is checked in the order of the unit's forms: the link (404/429), the anti-forgery token
(403), the fields (the page again, 422), then one transaction that writes the participation
roll and the anonymous sheet together. A second POST (a double click, two tabs) stores nothing
and shows the same receipt. Nothing here logs what was chosen; the access log has no token.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from models import clock
from models.ballot import RECUSAL_REASON_EN, RECUSAL_REASON_VI
from models.db import session_scope
from portal.access import check_csrf_for, csrf_field_for, resolve_token, set_csrf_cookie
from portal.pages import render
from services.ballot import (
    AlreadyVoted,
    BallotLink,
    VotingClosed,
    ballot_page,
    cast_ballot,
    one_ballot_at_a_time,
    open_ballot_link,
    receipt_code,
    receipt_recorded,
)
from services.errors import OperatorError

router = APIRouter()
COOKIE_PATH = "/phieu/"
# Two fields per dossier (the choice, a declared conflict) and a few more: a council's ballot
# holds hundreds of dossiers at most.
MAX_FIELDS = 5000


def _csrf_id(link: BallotLink) -> str:
    """The ballot link on the CSRF token's scale, apart from every other door's."""
    return f"phieu|{link.token_id}"


def _resolve(request: Request, token: str) -> BallotLink:
    return resolve_token(request, token, open_ballot_link)


def _render(
    request: Request, link: BallotLink, *, status_code: int = 200, **extra: Any
) -> Response:
    with session_scope() as session:
        page = ballot_page(session, link, clock.now())
    field, nonce = csrf_field_for(request, _csrf_id(link))
    context = {
        "page": page,
        "csrf": field,
        "seed": secrets.token_urlsafe(16),
        "errors": {},
        "values": {},
        "receipt": None,
        "checked": None,
        "recusal_vi": RECUSAL_REASON_VI,
        "recusal_en": RECUSAL_REASON_EN,
    } | extra
    response = render(request, "ballot.html.j2", context, status_code=status_code)
    set_csrf_cookie(response, request, nonce, path=COOKIE_PATH)
    return response


@router.get("/phieu/{token}")
async def ballot(request: Request, token: str) -> Response:
    link = await run_in_threadpool(_resolve, request, token)
    code = request.query_params.get("ma", "").strip()
    checked = None
    if code:
        with session_scope() as session:
            checked = (code, receipt_recorded(session, link.campaign_id, code))
    return await run_in_threadpool(_render, request, link, checked=checked)


def _cast(
    link: BallotLink, choices: dict[int, bool | None], declared: set[int], seed: str
) -> tuple[str, bool]:
    """(receipt, stored now?) — a second ballot of the member stores nothing and shows the
    receipt of the form it was sent from, if that form's ballot is the one stored."""
    now = clock.now()
    with one_ballot_at_a_time(link.member_id):
        try:
            with session_scope() as session:
                return cast_ballot(session, link, choices, declared, seed, now), True
        except AlreadyVoted:
            with session_scope() as session:
                receipt = receipt_code(seed)
                return (
                    receipt if receipt_recorded(session, link.campaign_id, receipt) else ""
                ), False


@router.post("/phieu/{token}")
async def submit_ballot(request: Request, token: str) -> Response:
    link = await run_in_threadpool(_resolve, request, token)
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    check_csrf_for(request, form, _csrf_id(link))
    seed = str(form.get("seed") or "")[:64] or secrets.token_urlsafe(16)
    choices: dict[int, bool | None] = {}
    declared: set[int] = set()
    values: dict[str, str] = {}
    for name, value in form.multi_items():
        if not isinstance(value, str):
            continue
        if name.startswith("d-") and name[2:].isdigit():
            choices[int(name[2:])] = {"1": True, "0": False}.get(value)
            values[name] = value
        elif name.startswith("coi-") and name[4:].isdigit():
            declared.add(int(name[4:]))
            values[name] = "on"
    try:
        receipt, stored = await run_in_threadpool(_cast, link, choices, declared, seed)
    except VotingClosed:
        return await run_in_threadpool(_render, request, link, status_code=409)
    except OperatorError as refused:
        return await run_in_threadpool(
            _render,
            request,
            link,
            status_code=422,
            errors={"ballot": (refused.vi, refused.en)},
            values=values,
            seed=seed,
        )
    return await run_in_threadpool(
        _render, request, link, receipt=receipt, stored=stored, status_code=200
    )
