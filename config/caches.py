"""Django's cache from the environment: the API's rate limit counts in it. One process keeps
its count in its own memory; several (gunicorn workers, more than one host) need one shared
cache, a Redis server, or each counts a token's requests on its own and the limit multiplies."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

LOCAL_MEMORY = "django.core.cache.backends.locmem.LocMemCache"
REDIS = "django.core.cache.backends.redis.RedisCache"
REDIS_SCHEMES = {"redis", "rediss", "unix"}


def caches_from(redis_url: str) -> dict[str, dict[str, Any]]:
    """CACHES for `REDIS_URL`: empty, the process's own memory (`make run`, one process);
    `redis://[:password@]host:port/db` (or `rediss://` over TLS, `unix:///path.sock`), Django's
    own Redis backend, shared by every process that names the same server and database."""
    url = redis_url.strip()
    if not url:
        return {"default": {"BACKEND": LOCAL_MEMORY}}
    scheme = urlsplit(url).scheme
    if scheme not in REDIS_SCHEMES:
        # The scheme only: the rest of the URL may hold a password.
        raise ImproperlyConfigured(
            "REDIS_URL should start with redis://, rediss:// or unix://, "
            f"not {scheme or 'no scheme'}."
        )
    # The key prefix keeps the app's keys apart from anything else in the same database.
    return {"default": {"BACKEND": REDIS, "LOCATION": url, "KEY_PREFIX": "relationships"}}
