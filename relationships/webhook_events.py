"""The data of the webhook events this app emits (webhooks.events): an interaction logged, an
account lost. Ids and the words a person would read, so a receiver needs no second call."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.models import User

from accounts.models import Account, LostReason
from relationships.models import Contact, Interaction, InteractionKind


def account_data(account: Account) -> dict[str, Any]:
    return {"id": account.pk, "external_id": account.external_id, "name": account.name}


def interaction_created_data(
    *,
    interaction: Interaction,
    account: Account,
    signal_slugs: Iterable[str],
    participants: Sequence[Contact] = (),
    logged_by: User | None = None,
) -> dict[str, Any]:
    """`interaction.created`: what was logged, on which account, with which signals."""
    return {
        "account": account_data(account),
        "interaction": {
            "id": interaction.pk,
            "external_id": interaction.external_id,
            "occurred_on": interaction.occurred_on.isoformat(),
            "kind": interaction.kind,
            "kind_label": InteractionKind(interaction.kind).label,
            "initiated_by_client": interaction.initiated_by_client,
            "sentiment": interaction.sentiment,
            "signals": sorted(signal_slugs),
            "participants": [{"id": c.pk, "name": c.name} for c in participants],
            "logged_by": logged_by.username if logged_by else None,
        },
    }


def account_lost_data(account: Account) -> dict[str, Any]:
    """`account.lost`: which account, when and why."""
    assert account.lost_on is not None  # a lost account has its date
    return {
        "account": account_data(account),
        "lost_on": account.lost_on.isoformat(),
        "reason": account.lost_reason,
        "reason_label": LostReason(account.lost_reason).label if account.lost_reason else "",
        "note": account.lost_note,
    }
