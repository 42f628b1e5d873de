"""Reads that can wait a moment go to the read replica; everything else to the primary.

With DATABASE_REPLICA_URL set (settings.py adds the `replica` alias), the portfolio's heavy
readers ask for the replica: the dashboard and its fragments, the exports, the backtest job
and the API's GET requests. Every write, and every other read, goes to the primary, so a page
that writes, a form that validates against what is there and the sign-in all see the truth.

Read your own writes: a replica runs a moment behind. After a successful POST (PUT, PATCH,
DELETE) the user's browser carries a short signed cookie, and an API token a short mark in
the Django cache; while it lasts (REPLICA_PRIMARY_AFTER_WRITE_SECONDS) their reads stay on the
primary, so the change they just made is on the next page.

Transactions: every request is one transaction on the primary (ATOMIC_REQUESTS); the replica
has none of its own. A replica read runs at the replica's latest replayed point under READ
COMMITTED, each statement on its own snapshot, which is what the same statements get on the
primary. Once a unit of work writes (a view that was reading from the replica saves
something), it reads from the primary until it ends: the rows it wrote exist only in its own
transaction there. A job asks for the replica only outside a transaction, since it cannot
know whether the transaction around it has written.

With no replica configured every function here is a no-op and the router answers nothing.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.models import Model
from django.http import HttpRequest

REPLICA = "replica"
PRIMARY = "default"
READ_METHODS = frozenset({"GET", "HEAD"})
PRIMARY_COOKIE = "read_primary"
_COOKIE_SALT = "config.db_router.read-your-writes"

# True while the current request or job may read from the replica.
_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)

P = ParamSpec("P")
R = TypeVar("R")


def replica_configured() -> bool:
    return bool(getattr(settings, "READ_REPLICA", False))


def primary_window_seconds() -> int:
    return int(getattr(settings, "REPLICA_PRIMARY_AFTER_WRITE_SECONDS", 10))


class ReplicaRouter:
    """Reads go to the replica while the current unit of work allows it; writes, migrations
    and everything else to the primary."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if _replica_reads.get() and replica_configured():
            return REPLICA
        return None

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        # From the first write on, this unit of work reads what it wrote: on the primary.
        if _replica_reads.get():
            _replica_reads.set(False)
        return PRIMARY if replica_configured() else None

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # Both aliases hold the same database; a row read from either may point at the other.
        return True if replica_configured() else None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db != REPLICA


def writes_remembered() -> bool:
    """Whether anything reads the mark a write leaves: the replica's reads, or the pages kept
    for a few seconds (pages/kept.py), which whoever just wrote never gets."""
    return replica_configured() or getattr(settings, "DASHBOARD_CACHE_SECONDS", 0) > 0


def wrote_recently(request: HttpRequest) -> bool:
    """Whether this browser made a successful write in the last few seconds
    (REPLICA_PRIMARY_AFTER_WRITE_SECONDS)."""
    return (
        request.get_signed_cookie(
            PRIMARY_COOKIE, default=None, salt=_COOKIE_SALT, max_age=primary_window_seconds()
        )
        is not None
    )


def replica_reads_view(view: Callable[P, R]) -> Callable[P, R]:
    """A page that only reads: its GETs read from the replica, unless the user wrote in the
    last few seconds. Put it below login_required, so the user is loaded from the primary."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        request = args[0]
        assert isinstance(request, HttpRequest)
        if (
            request.method not in READ_METHODS
            or not replica_configured()
            or wrote_recently(request)
        ):
            return view(*args, **kwargs)
        token = _replica_reads.set(True)
        try:
            return view(*args, **kwargs)
        finally:
            _replica_reads.reset(token)

    return wrapper


@contextlib.contextmanager
def replica_reads() -> Iterator[None]:
    """A job's reads in this block go to the replica, when one is configured and no
    transaction is open on the primary (one that may have written)."""
    if connections[PRIMARY].in_atomic_block:
        yield
        return
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def _token_key(token_id: object) -> str:
    return f"replica:primary-for-token:{token_id}"


def api_read_from_replica(request: HttpRequest, *, token_id: object) -> None:
    """An API request authenticated with token `token_id`: a GET reads from the replica for
    the rest of the request, unless the token wrote in the last few seconds. The request's
    scope ends in ReplicaReadsMiddleware."""
    if (
        request.method in READ_METHODS
        and replica_configured()
        and not cache.get(_token_key(token_id))
    ):
        _replica_reads.set(True)


def remember_write(request: HttpRequest, response: Any) -> None:
    """After a successful write, keep its author on the primary for the next few seconds:
    an API token through the cache, a browser through a signed cookie."""
    if request.method in READ_METHODS or response.status_code >= 400:
        return
    token = getattr(request, "auth", None)
    if token is not None and getattr(token, "pk", None) is not None:
        cache.set(_token_key(token.pk), True, timeout=primary_window_seconds())
        return
    response.set_signed_cookie(
        PRIMARY_COOKIE,
        "1",
        salt=_COOKIE_SALT,
        max_age=primary_window_seconds(),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


@contextlib.contextmanager
def request_scope() -> Iterator[None]:
    """Whatever a request decided about replica reads ends with it."""
    token = _replica_reads.set(False)
    try:
        yield
    finally:
        _replica_reads.reset(token)
