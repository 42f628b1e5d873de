"""A rendered fragment that every permitted user sees alike, kept for a few seconds.

The portfolio dashboard's body is the same for every sales lead who asks with the same
filters, on the same day, under the same live version: once the role check has passed it
depends on no one's identity. Rendering it takes about twenty queries, seven panels and the
map (about 50 ms at any portfolio size, docs/benchmarks.md), and a floor of leads, or one
lead going back and forth between two filters, asks for the same body again and again. So it
is kept in Django's cache (Redis when REDIS_URL is set, shared by every web process;
otherwise each process's own memory) for DASHBOARD_CACHE_SECONDS.

What that does to freshness:
- A change someone else made shows at most that many seconds late, as it would from a read
  replica.
- Whoever made a change sees it at once. For REPLICA_PRIMARY_AFTER_WRITE_SECONDS after a
  successful write (the signed mark config/db_router.py leaves in their browser) every body
  they ask for is rendered afresh, and replaces the kept one. After that window they may get
  a kept body, and every kept body was rendered after their write: a body is kept for less
  than `keep` seconds, and only if its render began less than `window - keep` seconds
  before it was stored, so any body still kept once the window has passed began rendering
  after the write had committed. With a read replica, the replica's lag adds to this.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from config.db_router import primary_window_seconds, wrote_recently


def keep_seconds() -> int:
    return int(getattr(settings, "DASHBOARD_CACHE_SECONDS", 0))


def kept_render(request: HttpRequest, parts: tuple[object, ...], render: Callable[[], str]) -> str:
    """`render()`, or the text it gave for the same `parts` less than DASHBOARD_CACHE_SECONDS
    ago (never to a browser that wrote in the last few seconds). `parts` name everything the
    text depends on; the request's query string is one of them."""
    keep = keep_seconds()
    if keep <= 0:
        return render()
    key = "kept:" + hashlib.sha256(repr((*parts, request.GET.urlencode())).encode()).hexdigest()
    if not wrote_recently(request):
        text = cache.get(key)
        if text is not None:
            return text
    began = time.monotonic()
    text = render()
    if time.monotonic() - began < primary_window_seconds() - keep:
        cache.set(key, text, timeout=keep)
    return text
