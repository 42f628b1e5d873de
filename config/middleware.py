"""A lost database answers "briefly unavailable, try again" instead of a server error.

When the database goes away (restarted, failed over, network cut), a request that needs it
fails with OperationalError or InterfaceError. Every request runs in one transaction
(ATOMIC_REQUESTS), and the error leaves the view through that atomic block before it gets
here: the transaction has been rolled back, or died with its connection, which the server
rolls back itself. So nothing of the request was kept (the one case no application can tell
is a connection lost while the COMMIT itself was under way). The user gets a page with
status 503 and Retry-After, and the broken connection is dropped, so the next request opens
a fresh one once the database is back; a connection that died between requests is caught by
CONN_HEALTH_CHECKS before it is reused.

Only errors raised by views reach process_exception; one raised in another middleware (the
session saved after the view, say) still ends as a 500.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

from config import db_router

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10


def _unavailable_errors() -> tuple[type[BaseException], ...]:
    """Django's wrapped errors, and the drivers' own (raised where Django does not wrap)."""
    errors: list[type[BaseException]] = [OperationalError, InterfaceError]
    for connection in connections.all(initialized_only=True):
        # Each backend's wrapper holds its driver module; the base class's stub does not say so.
        driver = connection.Database  # type: ignore[attr-defined]
        errors += [driver.OperationalError, driver.InterfaceError]
    return tuple(errors)


def _drop_broken_connections() -> None:
    for connection in connections.all(initialized_only=True):
        # Inside an atomic block (only a test wraps requests in one) closing would pull the
        # connection from under the block's owner; it is left to the owner.
        if (
            connection.connection is not None
            and not connection.in_atomic_block
            and not connection.is_usable()
        ):
            connection.close()


def unavailable_response() -> HttpResponse:
    # Rendered without the request, so no context processor runs: the user, the session and
    # the messages all live in the database that is gone.
    body: str
    try:
        body = render_to_string("503.html", {"retry_after": RETRY_AFTER_SECONDS})
        content_type = "text/html; charset=utf-8"
    except Exception:  # the page must not fail in turn; say the same in plain text
        logger.exception("Rendering 503.html failed")
        body = "The service is briefly unavailable. Please try again in a moment.\n"
        content_type = "text/plain; charset=utf-8"
    response = HttpResponse(body, status=503, content_type=content_type)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if settings.DEBUG or not isinstance(exception, _unavailable_errors()):
            return None  # while developing, Django's error page says more ("no such table")
        logger.error(
            "Database unavailable during %s %s; answered 503",
            request.method,
            request.path,
            exc_info=exception,
        )
        try:
            _drop_broken_connections()
        except Exception:  # never turn the 503 into a 500
            logger.exception("Dropping broken database connections failed")
        # A note the failed request queued for the next page ("Logged — score 54 → 58")
        # would claim what did not happen. Without the request's message storage, the
        # messages middleware leaves the stored ones as they were before the request.
        with contextlib.suppress(AttributeError):
            # Set by the messages middleware; HttpRequest does not declare it.
            del request._messages  # type: ignore[attr-defined]
        return unavailable_response()


class PrivatePagesMiddleware:
    """Pages hold what clients told us in confidence: no browser or proxy keeps a copy, so the
    back button after signing out on a shared computer shows nothing (OWASP ASVS 8.2.1).
    Static files are served before this runs and stay cacheable; a view that sets its own
    Cache-Control keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            # max-age=0, no-cache, no-store, must-revalidate, private
            add_never_cache_headers(response)
        return response


class RequestSizeLimitMiddleware:
    """A request body larger than MAX_REQUEST_BYTES is refused (413) before anything reads it,
    whoever sends it: no session, sign-in or CSRF check has looked at the request yet.

    Django reads exactly Content-Length bytes of a body (a body without one reads as empty),
    so the header is what to check. The reverse proxy should refuse such bodies before they
    reach the app at all (README, "Production"); this is the app's own line.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads such a body as empty
        if length > settings.MAX_REQUEST_BYTES:
            limit = settings.MAX_REQUEST_BYTES // (1024 * 1024)
            message = f"This request is too large: the limit is {limit} MB."
            if request.path.startswith("/api/"):
                # The API answers in JSON, errors included (api/errors.py).
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(
                f"{message}\n", status=413, content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)


class ReplicaReadsMiddleware:
    """With a read replica (config/db_router.py): each request starts reading from the
    primary, whatever a view decides ends with it, and a successful write keeps its author on
    the primary for the next few seconds, so they read their own change. The same mark keeps
    them from pages kept for a few seconds (pages/kept.py), with or without a replica."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if db_router.replica_configured():
            with db_router.request_scope():
                response = self.get_response(request)
        else:
            response = self.get_response(request)
        if db_router.writes_remembered():
            db_router.remember_write(request, response)
        return response
