"""Rendering the portal's pages: Jinja2 on the server, autoescaped, in the request's language.

Every link and form on a unit's pages is relative (the page lives at ``/nop/<token>/``), so the
token, which the visitor already holds in the address bar, is never written into the HTML.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from portal.i18n import LANG_COOKIE, LANGS, Texts, request_lang

ENV = Environment(
    loader=PackageLoader("portal", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
LANG_COOKIE_SECONDS = 365 * 24 * 3600


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The page in the request's language; remembers an explicit ``?lang=`` in a cookie."""
    lang = request_lang(request)
    html = ENV.get_template(template).render({"t": Texts(lang), "lang": lang, **(context or {})})
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(
            LANG_COOKIE,
            lang,
            max_age=LANG_COOKIE_SECONDS,
            httponly=True,
            samesite="lax",
            secure=is_https(request),
        )
    return response


def error_page(
    request: Request,
    status_code: int,
    title: tuple[str, str],
    message: tuple[str, str],
    *,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A friendly error page: what happened and what to do, in the request's language."""
    return render(
        request,
        "error.html.j2",
        {"status": status_code, "title": title, "message": message},
        status_code=status_code,
        headers=headers,
    )


def to_page_under(request: Request, token: str) -> RedirectResponse:
    """An emailed link has no trailing slash; its page lives under it, so that every link on
    the page is relative and the token is never written into the HTML."""
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"./{token}/{query}", status_code=303)
