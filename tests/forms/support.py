"""What every answer must do, and the submissions the tests start from: a valid one with
some fields replaced, each example's writes rolled back."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.html import escape
from hypothesis import event

from accounts.models import Account, AccountDomain
from relationships.models import (
    Assessment,
    AuditEntry,
    Contact,
    ExternalPressure,
    Interaction,
    SignalType,
    TrustSignal,
)
from tests.forms.strategies import MISSING

HTMX = {"HTTP_HX_REQUEST": "true"}
PASSWORD = "correct horse battery staple"


def payload(valid: dict[str, Any], changes: dict[str, Any], refs: dict[str, Any] | None = None):
    """`valid` with `changes` applied; a value naming one of `refs` becomes that value."""
    data = dict(valid)
    for name, value in changes.items():
        if value is MISSING:
            data.pop(name, None)
        elif isinstance(value, str) and refs and value in refs:
            data[name] = refs[value]
        else:
            data[name] = value
    return data


def sent(data: dict[str, Any], name: str) -> str:
    """The value a form reads for `name`: the last one posted, or "" when none was."""
    value = data.get(name, "")
    if isinstance(value, list):
        return str(value[-1]) if value else ""
    return str(value)


def as_posted(data: dict[str, Any]) -> MultiValueDict:
    """`data` as a form reads it from the request."""
    return MultiValueDict(
        {
            name: [str(v) for v in value] if isinstance(value, list) else [str(value)]
            for name, value in data.items()
        }
    )


@contextlib.contextmanager
def rolled_back() -> Iterator[None]:
    """One example's writes, undone when it ends."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def rows(*models) -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in models}


EVIDENCE = (
    Interaction,
    TrustSignal,
    AuditEntry,
    Contact,
    Assessment,
    ExternalPressure,
    Account,
    AccountDomain,
)


def accepted(response) -> bool:
    """A redirect after a plain POST, or an htmx answer that tells the page what changed."""
    ok = response.status_code in (302, 303) or "HX-Trigger" in response
    # How often each path ran shows with --hypothesis-show-statistics.
    event("accepted" if ok else "refused")
    return ok


def assert_answered(response, *also: int) -> None:
    assert response.status_code != 500
    assert response.status_code in (200, 302, 303, *also), response.status_code


def submitted(client, user, url: str, data: dict[str, Any], *, htmx: bool):
    """`data` posted to `url` by `user` (through htmx or as a plain form), answered without an
    error; with the evidence's row counts from before it was sent."""
    client.force_login(user)
    before = rows(*EVIDENCE)
    response = client.post(url, data, **(HTMX if htmx else {}))
    assert_answered(response)
    return response, before


def assert_explained(response, form) -> None:
    """A refused form is back on the page with every one of its errors shown."""
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error"' in html, "refused without a message"
    assert form.errors, "refused although the form is valid"
    for errors in form.errors.values():
        for error in errors:
            assert escape(error) in html, f"error not shown: {error!r}"


def from_context(response, key: str):
    return response.context[key] if response.context and key in response.context else None


def signal_ids(*slugs: str) -> list[int]:
    return list(SignalType.objects.filter(slug__in=slugs).values_list("pk", flat=True))


def days_ago(days: int) -> str:
    return (timezone.localdate() - datetime.timedelta(days=days)).isoformat()
