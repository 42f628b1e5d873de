"""Reads of capture: the review list, its count, and the sources with their state."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import User
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.access import accounts_editable_by
from accounts.models import AccountStatus
from relationships.capture.models import CapturedItem, CaptureSource, ItemStatus
from relationships.models import Contact


def items_to_review(*, owner: User, today: datetime.date | None = None) -> QuerySet[CapturedItem]:
    """The owner's pending items that have happened (upcoming ones wait for their day),
    newest first, with their account and people (three queries, whatever their number)."""
    return (
        CapturedItem.objects.filter(
            owner=owner,
            status=ItemStatus.PENDING,
            occurred_on__lte=today or timezone.localdate(),
        )
        .select_related("account", "source")
        .prefetch_related(Prefetch("participants", queryset=Contact.objects.order_by("name")))
    )


def on_their_accounts(owner: User) -> Q:
    """Items on an active account the owner may write to: the ones to confirm. Any other
    (no account, or one handed to someone else, lost or archived since it was matched)
    waits to be put on an account (a subquery: no extra query)."""
    writable = accounts_editable_by(owner).filter(status=AccountStatus.ACTIVE).values("pk")
    return Q(account__in=writable)


def review_count(*, owner: User, today: datetime.date | None = None) -> int:
    """How many items wait for the owner to confirm ("3 meetings to confirm"; one query)."""
    return (
        CapturedItem.objects.filter(
            on_their_accounts(owner),
            owner=owner,
            status=ItemStatus.PENDING,
            occurred_on__lte=today or timezone.localdate(),
        )
        .only("pk")
        .count()
    )


def sources_of(*, owner: User, limit: int = 20) -> list[CaptureSource]:
    """The owner's sources, newest first: every CalDAV calendar, and the latest uploads."""
    return list(CaptureSource.objects.filter(owner=owner).order_by("-created_at", "-id")[:limit])


def item_of(*, owner: User, item_id: int) -> CapturedItem | None:
    """One of the owner's items; None for anybody else's (the page answers 404)."""
    return (
        CapturedItem.objects.filter(owner=owner, pk=item_id)
        .select_related("account", "source")
        .first()
    )
