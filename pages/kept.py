"""A rendered fragment that every permitted user sees alike, kept for a few seconds.

The portfolio dashboard's body is the same for every sales lead who asks with the same
filters, on the same day, under the same live version: once the role check has passed it
depends on no one's identity. Rendering it takes about twenty queries, seven panels and the
map (about 50 ms at any portfolio size, docs/benchmarks.md), and a floor of leads, or one
lead going back and forth between two filters, asks for the same body again and again. So it
is kept, compressed, in Django's `kept` cache (config/caches.py: Redis when REDIS_URL is
set, shared by every web process; otherwise a few dozen in each process's own memory) for
DASHBOARD_CACHE_SECONDS.

What that does to freshness:
- A change shows to the others at most that many seconds late, as it would from a read
  replica; so does one made through the API or by the background worker.
- Whoever changed something in the browser sees it at once. For
  REPLICA_PRIMARY_AFTER_WRITE_SECONDS after a successful write (the signed mark
  config/db_router.py leaves in their browser) every body they ask for is rendered afresh,
  and replaces the kept one. After that window they may get a kept body, and every kept body
  was rendered after their write: a body is kept for at most `keep` seconds, and only if its
  render began less than `window - keep - 1` seconds before it was stored (the mark's time
  is in whole seconds, so it may end up to a second early). Any body still kept once the
  window has passed began rendering after the write had committed. With a read replica, the
  replica's lag adds to this; so would clocks apart between web hosts.

The cache is a help, never a need: if it cannot be reached, the body is rendered.
"""

from __future__ import annotations

import hashlib
import logging
import time
import zlib
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from django.utils.safestring import SafeString

from config.caches import KEPT
from config.db_router import primary_window_seconds, wrote_recently

logger = logging.getLogger(__name__)

# The mark's timestamp is in whole seconds: the window may end up to this much early.
MARK_ROUNDING_SECONDS = 1


def keep_seconds() -> int:
    return int(getattr(settings, "DASHBOARD_CACHE_SECONDS", 0))


def kept_render(
    request: HttpRequest, parts: tuple[object, ...], render: Callable[[], SafeString]
) -> SafeString:
    """`render()`, or the text it gave for the same `parts` less than DASHBOARD_CACHE_SECONDS
    ago (never to a browser that wrote in the last few seconds). `parts` name everything the
    text depends on; the request's query string is one of them."""
    keep = keep_seconds()
    if keep <= 0:
        return render()
    key = hashlib.sha256(repr((*parts, request.GET.urlencode())).encode()).hexdigest()
    if not wrote_recently(request):
        kept = _get(key)
        if kept is not None:
            # Our own render, as it was stored: safe as it was then.
            return SafeString(zlib.decompress(kept).decode())
    began = time.monotonic()
    text = render()
    if time.monotonic() - began < primary_window_seconds() - keep - MARK_ROUNDING_SECONDS:
        _set(key, zlib.compress(text.encode(), 1), keep)
    return text


def _get(key: str) -> bytes | None:
    try:
        return caches[KEPT].get(key)
    except Exception as error:  # the cache is down: render, as without one
        logger.warning("The kept pages' cache could not be read: %r", error)
        return None


def _set(key: str, value: bytes, keep: int) -> None:
    try:
        caches[KEPT].set(key, value, timeout=keep)
    except Exception as error:
        logger.warning("The kept pages' cache could not be written: %r", error)
