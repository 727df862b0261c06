"""Who a request is: the unit part its link token opens (or a 404 / 429), and its CSRF check."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager as ContextManager
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from typing import TypeVar

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from models import clock
from models.db import session_scope
from models.secret_key import secret_key
from models.settings import get_settings
from portal.pages import is_https
from portal.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    MissThrottle,
    client_address,
    csrf_token,
    csrf_valid,
    new_nonce,
)
from services.links import UnitLink, open_link

L = TypeVar("L")


class LinkNotFound(Exception):
    """Unknown, revoked or malformed token, or an id that is not this unit's: always a 404."""


class Throttled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


class CsrfRefused(Exception):
    """A POST without the form's anti-forgery token for this link (or without its cookie)."""


def app_throttle(request: Request, name: str, limit: int) -> MissThrottle:
    """The app's throttle ``name`` (made on first use with ``limit`` a minute)."""
    found = getattr(request.app.state, name, None)
    if found is None:
        found = MissThrottle(limit)
        setattr(request.app.state, name, found)
    return found


def throttle(request: Request) -> MissThrottle:
    """Unknown links per client address."""
    return app_throttle(request, "throttle", get_settings().portal_misses_per_minute)


def resolve_token(
    request: Request, token: str, opener: Callable[[Session, str, datetime], L | None]
) -> L:
    """What ``opener`` finds for the token at the clock's now; raises ``Throttled`` for an
    address that tried too many unknown tokens, ``LinkNotFound`` for a token that opens nothing
    (and counts the miss). One throttle for every kind of link."""
    misses = throttle(request)
    address = client_address(request)
    wait = misses.retry_after(address)
    if wait:
        raise Throttled(wait)
    with session_scope() as session:
        link = opener(session, token, clock.now())
    if link is None:
        misses.miss(address)
        raise LinkNotFound()
    return link


def resolve_link(request: Request, token: str) -> UnitLink:
    """The unit part the token opens (see ``resolve_token``)."""
    return resolve_token(request, token, open_link)


@lru_cache(maxsize=8)
def _key(var_dir: str, configured: str) -> bytes:
    return secret_key(get_settings())


def signing_key() -> bytes:
    settings = get_settings()
    return _key(str(settings.var_dir.resolve()), settings.secret_key.get_secret_value())


def csrf_nonce(request: Request) -> tuple[str, bool]:
    """The browser's nonce (from its cookie) or a new one; True if new (set the cookie)."""
    nonce = request.cookies.get(CSRF_COOKIE, "")
    if 16 <= len(nonce) <= 64:
        return nonce, False
    return new_nonce(), True


def csrf_field_for(request: Request, link_id: int | str) -> tuple[str, str | None]:
    """The hidden field's value for forms on the link ``link_id`` names, and the nonce to set as
    a cookie if the browser has none yet."""
    nonce, fresh = csrf_nonce(request)
    return csrf_token(signing_key(), nonce, link_id), nonce if fresh else None


def csrf_field(request: Request, link: UnitLink) -> tuple[str, str | None]:
    return csrf_field_for(request, link.token_id)


def set_csrf_cookie(
    response: Response, request: Request, nonce: str | None, path: str = "/nop/"
) -> None:
    if nonce is None:
        return
    response.set_cookie(
        CSRF_COOKIE,
        nonce,
        httponly=True,
        samesite="strict",
        secure=is_https(request),
        path=path,
    )


def check_csrf_for(request: Request, form: FormData, link_id: int | str) -> None:
    field = form.get(CSRF_FIELD)
    value = field if isinstance(field, str) else None
    if not csrf_valid(signing_key(), request.cookies.get(CSRF_COOKIE), value, link_id):
        raise CsrfRefused()


def check_csrf(request: Request, form: FormData, link: UnitLink) -> None:
    check_csrf_for(request, form, link.token_id)


_locks: dict[tuple[str, int], threading.Lock] = {}
_locks_guard = threading.Lock()


@contextmanager
def one_at_a_time(door: str, key: int) -> Iterator[None]:
    """Within this process, one write at a time per ``key`` of a door (a unit's part, a task, a
    campaign's invitations): a double click waits for the first click's answer, then finds it
    done. PostgreSQL's row locks do this across processes (the services' ``FOR UPDATE``);
    SQLite has no row lock, and its reads run outside the writing transaction, so without this
    two clicks could both store."""
    with _locks_guard:
        lock = _locks.setdefault((door, key), threading.Lock())
    with lock:
        yield


def one_write_per_unit(link: UnitLink) -> ContextManager[None]:
    """One write at a time per unit (``find_part(for_update=True)`` across processes)."""
    return one_at_a_time("nop", link.part_id)
