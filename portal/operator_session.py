"""Who may open the operator area: the operator's credentials, a signed session cookie, the
area's anti-forgery token and its throttle on failed logins.

Credentials
    "user:password", from ``TONVINH_OPERATOR_AUTH`` or else the Prefect server's own
    (``PREFECT_SERVER_API_AUTH_STRING``, which ``make up`` generates): whoever may run the stages
    may download their documents. Compared as SHA-256 digests in constant time. Neither set: no
    login succeeds (the area is closed, never open).

Session
    ``tv_op`` = "<expiry>.<nonce>.<HMAC(key, op-session|expiry|nonce|credential digest)>": signed
    with the portal's secret key and bound to the credentials, so changing the password ends
    every session. HttpOnly, SameSite=Strict, path ``/dieu-hanh/``, Secure behind https. A unit's,
    member's or invitee's link token is not a session: nothing here looks tokens up.

CSRF
    Every POST (login and logout included) carries ``HMAC(key, nonce | "operator")`` of a nonce
    kept in the ``tv_op_csrf`` cookie (the unit pages' double submit, scoped to this area).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from models.settings import get_settings
from portal.access import CsrfRefused, app_throttle, signing_key
from portal.pages import is_https
from portal.security import CSRF_FIELD, MissThrottle, csrf_token, csrf_valid, new_nonce

SESSION_COOKIE = "tv_op"
OPERATOR_CSRF_COOKIE = "tv_op_csrf"
AREA_PATH = "/dieu-hanh/"
CSRF_SCOPE = "operator"


def configured_credentials() -> str:
    """The operator's "user:password" ("" when none is configured)."""
    own = get_settings().operator_auth.get_secret_value().strip()
    return own or os.environ.get("PREFECT_SERVER_API_AUTH_STRING", "").strip()


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def credentials_match(user: str, password: str) -> bool:
    expected = configured_credentials()
    if ":" not in expected:
        return False
    return hmac.compare_digest(_digest(f"{user}:{password}"), _digest(expected))


def _signature(expiry: int, nonce: str) -> str:
    bound = hashlib.sha256(_digest(configured_credentials())).hexdigest()
    message = f"op-session|{expiry}|{nonce}|{bound}".encode()
    return hmac.new(signing_key(), message, hashlib.sha256).hexdigest()


def new_session_value(now: float | None = None) -> str:
    hours = get_settings().operator_session_hours
    expiry = int((time.time() if now is None else now) + hours * 3600)
    nonce = secrets.token_urlsafe(16)
    return f"{expiry}.{nonce}.{_signature(expiry, nonce)}"


def session_valid(value: str | None, now: float | None = None) -> bool:
    """A cookie this portal signed, for the current credentials, not yet expired."""
    if not value or len(value) > 200 or not configured_credentials():
        return False
    parts = value.split(".")
    if len(parts) != 3 or not parts[0].isdigit():
        return False
    expiry, nonce, signature = int(parts[0]), parts[1], parts[2]
    if expiry < (time.time() if now is None else now):
        return False
    return hmac.compare_digest(_signature(expiry, nonce), signature)


def is_operator(request: Request) -> bool:
    return session_valid(request.cookies.get(SESSION_COOKIE))


def _cookie(response: Response, request: Request, name: str, value: str) -> None:
    response.set_cookie(
        name, value, httponly=True, samesite="strict", secure=is_https(request), path=AREA_PATH
    )


def start_session(response: Response, request: Request) -> None:
    _cookie(response, request, SESSION_COOKIE, new_session_value())


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path=AREA_PATH)


def csrf_for(request: Request) -> tuple[str, str | None]:
    """The hidden field's value, and a new nonce to set as a cookie if the browser has none."""
    nonce = request.cookies.get(OPERATOR_CSRF_COOKIE, "")
    fresh = not 16 <= len(nonce) <= 64
    if fresh:
        nonce = new_nonce()
    return csrf_token(signing_key(), nonce, CSRF_SCOPE), nonce if fresh else None


def set_csrf(response: Response, request: Request, nonce: str | None) -> None:
    if nonce is not None:
        _cookie(response, request, OPERATOR_CSRF_COOKIE, nonce)


def check_csrf(request: Request, form: FormData) -> None:
    field = form.get(CSRF_FIELD)
    value = field if isinstance(field, str) else None
    cookie = request.cookies.get(OPERATOR_CSRF_COOKIE)
    if not csrf_valid(signing_key(), cookie, value, CSRF_SCOPE):
        raise CsrfRefused()


def login_throttle(request: Request) -> MissThrottle:
    """Failed operator logins per client address."""
    limit = get_settings().operator_login_failures_per_minute
    return app_throttle(request, "operator_throttle", limit)
