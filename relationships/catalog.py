"""Changes to the signal catalog, made by scoring admins.

Slugs are a public interface (imports and scoring profiles refer to them), so a type keeps its
slug for life: it can be renamed, given a better hint, or retired. A retired type disappears
from the forms but stays in history and keeps counting in scores. Every change is recorded in
Django's admin log (who, when, what), shown on the catalog page and in each type's admin
history.
"""

from __future__ import annotations

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from relationships.models import SignalType


def _record(actor: User, signal_type: SignalType, flag: int, message: str) -> None:
    LogEntry.objects.log_actions(
        user_id=actor.pk,
        queryset=[signal_type],
        action_flag=flag,
        change_message=message,
        single_object=True,
    )


@transaction.atomic
def signal_type_add(
    *,
    actor: User,
    slug: str,
    name: str,
    description: str,
    category: str,
    polarity: int,
) -> SignalType:
    signal_type = SignalType(
        slug=slug, name=name, description=description, category=category, polarity=polarity
    )
    signal_type.full_clean()
    signal_type.save()
    _record(actor, signal_type, ADDITION, f"Added “{name}” ({slug}) to {category}.")
    return signal_type


@transaction.atomic
def signal_type_update(
    *, actor: User, signal_type: SignalType, name: str, description: str
) -> SignalType:
    """Rename a type or change its hint; its slug stays."""
    signal_type = SignalType.objects.select_for_update().get(pk=signal_type.pk)
    changes = []
    if signal_type.name != name:
        changes.append(f"renamed “{signal_type.name}” → “{name}”")
    if signal_type.description != description:
        changes.append("hint changed")
    if not changes:
        return signal_type
    signal_type.name, signal_type.description = name, description
    signal_type.full_clean()
    signal_type.save(update_fields=["name", "description"])
    message = "; ".join(changes)
    _record(actor, signal_type, CHANGE, message[:1].upper() + message[1:] + ".")
    return signal_type


@transaction.atomic
def signal_type_set_active(*, actor: User, signal_type: SignalType, active: bool) -> SignalType:
    """Retire a type (hidden from forms, kept in history and scoring) or bring it back."""
    updated = SignalType.objects.filter(pk=signal_type.pk).exclude(is_active=active)
    if updated.update(is_active=active):
        signal_type.is_active = active
        _record(
            actor,
            signal_type,
            CHANGE,
            f"{'Brought back' if active else 'Retired'} “{signal_type.name}”.",
        )
    return signal_type


def catalog_history(*, limit: int = 15) -> list[LogEntry]:
    """The latest changes to the catalog, newest first."""
    content_type = ContentType.objects.get_for_model(SignalType)
    return list(
        LogEntry.objects.filter(content_type=content_type)
        .select_related("user")
        .order_by("-action_time")[:limit]
    )
