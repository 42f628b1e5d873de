"""Bad input answers 422 with the field named, in the shape django-ninja gives its own schema
errors (`{"detail": [{"loc": [...], "msg": ..., "type": ...}]}`), whether the schema or the
pages' own form refused it: the rules live once, in the forms."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError


def form_errors(form: forms.BaseForm, *, loc: Sequence[str]) -> ValidationError:
    """The form's errors as a 422: each under `loc` + its field (the form-wide ones under
    `loc` alone)."""
    details = []
    for field, errors in form.errors.as_data().items():
        where = [*loc] if field == NON_FIELD_ERRORS else [*loc, field]
        for error in errors:
            for message in error.messages:
                details.append({"loc": where, "msg": message, "type": error.code or "invalid"})
    return ValidationError(details)


def field_error(*, loc: Sequence[str], field: str, msg: str, type: str) -> ValidationError:
    return ValidationError([{"loc": [*loc, field], "msg": msg, "type": type}])


def handle_errors(api: NinjaAPI) -> None:
    """The access decision's refusal (PermissionDenied, readable but not yours to change) is
    a 403 with its reason; a 404 says no more than the pages do. A body over the server's
    limit is a 413 in JSON, not Django's HTML error page."""

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc) or "Forbidden"}, status=403)

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        detail = f"The request body is over the {limit} bytes the server takes."
        return api.create_response(request, {"detail": detail}, status=413)
