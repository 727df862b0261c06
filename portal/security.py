"""Anti-forgery tokens and the throttle on unknown links.

CSRF (every POST)
    A double-submit bound to the link: the unit's page sets a random nonce in a cookie
    (``SameSite=Strict``, ``HttpOnly``, path ``/nop``) and puts ``HMAC(key, nonce | link id)`` in
    each form's hidden field. A POST is taken only if the field matches the cookie's nonce and
    the link it is sent to. Another site can neither read the field nor send the cookie (Strict);
    a form copied from one unit's page does not verify on another unit's link.

Throttle
    A link token has 256 bits, so guessing is hopeless; the throttle keeps it so and keeps noise
    out of the logs: a client address that presents more than ``portal_misses_per_minute``
    unknown tokens within a minute is answered 429 (with ``Retry-After``) on every link route
    until its oldest miss is a minute old. In memory, per process: it resets on restart, which
    only restarts the count.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict, deque

from starlette.requests import Request

CSRF_COOKIE = "tv_csrf"
CSRF_FIELD = "csrf"
WINDOW_SECONDS = 60.0
# Addresses remembered at most (the oldest forgotten first), so a flood of sources cannot grow
# the table without bound.
MAX_ADDRESSES = 10_000


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def csrf_token(key: bytes, nonce: str, link_id: int | str) -> str:
    # ``link_id`` binds the token to one link or area: a unit link's id, a leader link's key,
    # or the name of an area ("operator"), never two alike.
    message = f"csrf|{nonce}|{link_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def csrf_valid(key: bytes, nonce: str | None, field: str | None, link_id: int | str) -> bool:
    if not nonce or not field or len(nonce) > 64 or len(field) != 64:
        return False
    return hmac.compare_digest(csrf_token(key, nonce, link_id), field)


def client_address(request: Request) -> str:
    """The client's address as uvicorn sees it (behind the reverse proxy, with
    ``--proxy-headers``, the address the proxy forwarded)."""
    return request.client.host if request.client else "unknown"


class MissThrottle:
    """Unknown-token misses per client address in a sliding minute."""

    def __init__(self, limit: int, window: float = WINDOW_SECONDS) -> None:
        self.limit = limit
        self.window = window
        self._misses: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float] | None:
        misses = self._misses.get(address)
        if misses is None:
            return None
        while misses and misses[0] <= now - self.window:
            misses.popleft()
        if not misses:
            del self._misses[address]
            return None
        return misses

    def retry_after(self, address: str) -> int:
        """Seconds the address must wait (0: it may try)."""
        now = time.monotonic()
        with self._lock:
            misses = self._recent(address, now)
            if misses is None or len(misses) < self.limit:
                return 0
            return max(1, int(misses[-self.limit] + self.window - now) + 1)

    def miss(self, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            misses = self._recent(address, now)
            if misses is None:
                misses = deque(maxlen=self.limit + 1)
                self._misses[address] = misses
                while len(self._misses) > MAX_ADDRESSES:
                    self._misses.popitem(last=False)
            self._misses.move_to_end(address)
            misses.append(now)
