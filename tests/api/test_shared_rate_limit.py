"""The API's rate limit counts in Django's cache: REDIS_URL makes that a Redis server every
web process shares, so a token's requests are counted once however many processes answer
them; unset, each process counts in its own memory (`make run`)."""

from __future__ import annotations

import os
import uuid

import pytest
import redis
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from accounts.services import api_token_create
from api.auth import TokenRateThrottle
from config.caches import KEPT, KEPT_IN_MEMORY, LOCAL_MEMORY, REDIS, caches_from

# The machine's Redis (CI runs one); database 15, keys under a prefix of the test's own.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_without_redis_url_each_process_counts_in_its_own_memory():
    for empty in ("", "  "):
        caches = caches_from(empty)
        assert caches["default"] == {"BACKEND": LOCAL_MEMORY}
        # The kept dashboard bodies apart, a few dozen at most: never pushing the counts out.
        assert caches[KEPT]["BACKEND"] == LOCAL_MEMORY
        assert caches[KEPT]["LOCATION"] != caches["default"].get("LOCATION", "")
        assert caches[KEPT]["OPTIONS"] == {"MAX_ENTRIES": KEPT_IN_MEMORY}


@pytest.mark.parametrize(
    "url",
    ["redis://cache:6379/0", "rediss://:s3cret@cache.example.com:6380/2", "unix:///run/redis.sock"],
)
def test_a_redis_url_gives_djangos_redis_cache(url):
    assert caches_from(url) == {
        "default": {"BACKEND": REDIS, "LOCATION": url, "KEY_PREFIX": "relationships"},
        KEPT: {
            "BACKEND": REDIS,
            "LOCATION": url,
            "KEY_PREFIX": "relationships-kept",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
    }


def test_another_kind_of_url_is_refused_without_echoing_a_password():
    with pytest.raises(ImproperlyConfigured, match="not memcached") as refused:
        caches_from("memcached://user:s3cret@cache:11211")
    assert "s3cret" not in str(refused.value)


@pytest.fixture
def redis_cache(settings):
    """Django's cache on the machine's Redis, under a prefix no other test run shares."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as error:  # a failure, not a skip: CI has Redis
        pytest.fail(f"Redis is needed at {REDIS_URL} (TEST_REDIS_URL): {error}")
    config = caches_from(REDIS_URL)
    prefix = f"test-{uuid.uuid4().hex}"
    config["default"]["KEY_PREFIX"] = prefix
    settings.CACHES = config
    yield
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def test_two_processes_on_one_redis_count_a_tokens_requests_together(alice, settings, redis_cache):
    settings.API_RATE_LIMIT = "3/min"
    row, _ = api_token_create(user=alice, name="ERP sync")
    request = RequestFactory().get("/api/v1/signals")
    request.auth = row
    # Two web processes: each its own throttle and its own connection to the cache.
    processes = []
    for _ in range(2):
        throttle = TokenRateThrottle()
        throttle.cache = caches.create_connection("default")
        processes.append(throttle)
    first, second = processes
    assert first.cache is not second.cache
    assert isinstance(first.cache, RedisCache)

    answers = [process.allow_request(request) for process in (first, second, first, second)]

    assert answers == [True, True, True, False]
    assert 0 < second.wait() <= 60
