"""Django's caches from the environment. The default one holds the API's rate limit counts and
read-your-writes marks: one process keeps them in its own memory; several (gunicorn workers,
more than one host) need one shared cache, a Redis server, or each counts a token's requests
on its own and the limit multiplies. The `kept` one holds the dashboard bodies kept for a few
seconds (pages/kept.py), apart, so that they never push the counts out."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

LOCAL_MEMORY = "django.core.cache.backends.locmem.LocMemCache"
REDIS = "django.core.cache.backends.redis.RedisCache"
REDIS_SCHEMES = {"redis", "rediss", "unix"}
KEPT = "kept"
# In a process's own memory, expired entries are only dropped once the cache is full: a few
# dozen compressed bodies (tens of kilobytes each) is all a process keeps.
KEPT_IN_MEMORY = 60
KEPT_REDIS_TIMEOUTS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def caches_from(redis_url: str) -> dict[str, dict[str, Any]]:
    """CACHES for `REDIS_URL`: empty, the process's own memory (`make run`, one process);
    `redis://[:password@]host:port/db` (or `rediss://` over TLS, `unix:///path.sock`), Django's
    own Redis backend, shared by every process that names the same server and database."""
    url = redis_url.strip()
    if not url:
        return {
            "default": {"BACKEND": LOCAL_MEMORY},
            KEPT: {
                "BACKEND": LOCAL_MEMORY,
                "LOCATION": KEPT,
                "OPTIONS": {"MAX_ENTRIES": KEPT_IN_MEMORY},
            },
        }
    scheme = urlsplit(url).scheme
    if scheme not in REDIS_SCHEMES:
        # The scheme only: the rest of the URL may hold a password.
        raise ImproperlyConfigured(
            "REDIS_URL should start with redis://, rediss:// or unix://, "
            f"not {scheme or 'no scheme'}."
        )
    # The key prefix keeps the app's keys apart from anything else in the same database.
    return {
        "default": {"BACKEND": REDIS, "LOCATION": url, "KEY_PREFIX": "relationships"},
        KEPT: {
            "BACKEND": REDIS,
            "LOCATION": url,
            "KEY_PREFIX": "relationships-kept",
            # A help, never a need: a Redis that does not answer is given up on quickly.
            "OPTIONS": KEPT_REDIS_TIMEOUTS,
        },
    }
