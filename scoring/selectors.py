"""Reads for scoring: the active profile, and the evidence the engine needs from the ORM.

`evidence_for_accounts` is the one adapter from database rows to engine input. It runs the same
five queries for one account or for the whole portfolio.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from accounts.models import Account
from relationships.models import Assessment, Interaction, TrustSignal
from scoring.engine import AssessmentEvent, Evidence, InteractionEvent, SignalEvent, Stage
from scoring.models import ScoringProfile

_CHUNK = 20_000  # rows fetched at a time from a server-side cursor on PostgreSQL


def profile_active() -> ScoringProfile:
    """The profile every live score is computed under (a migration creates version 1)."""
    return ScoringProfile.objects.get(is_active=True)


def evidence_for_accounts(*, account_ids: Collection[int] | None = None) -> dict[int, Evidence]:
    """Evidence per account id, for the given accounts or (None) every account.

    Accounts without any evidence are included with an empty Evidence, so callers can clear
    their snapshots too.
    """
    accounts = Account.objects.order_by()
    signals = TrustSignal.objects.order_by()
    interactions = Interaction.objects.order_by()
    participants = Interaction.participants.through.objects.order_by()
    assessments = Assessment.objects.order_by()
    if account_ids is not None:
        ids = list(account_ids)
        accounts = accounts.filter(pk__in=ids)
        signals = signals.filter(account_id__in=ids)
        interactions = interactions.filter(account_id__in=ids)
        participants = participants.filter(interaction__account_id__in=ids)
        assessments = assessments.filter(account_id__in=ids)

    def rows(queryset, *fields):
        # The whole portfolio streams through a server-side cursor to bound memory; a few
        # accounts fit in one plain fetch, which also gets PostgreSQL's best plan.
        rows = queryset.values_list(*fields)
        return rows.iterator(_CHUNK) if account_ids is None else rows

    lost_on = dict(rows(accounts, "pk", "lost_on"))

    contacts_of: defaultdict[int, list[int]] = defaultdict(list)
    for interaction_id, contact_id in rows(participants, "interaction_id", "contact_id"):
        contacts_of[interaction_id].append(contact_id)

    signals_of: defaultdict[int, list[SignalEvent]] = defaultdict(list)
    for account_id, observed_on, slug, category, polarity in rows(
        signals,
        "account_id",
        "observed_on",
        "signal_type__slug",
        "signal_type__category",
        "signal_type__polarity",
    ):
        signals_of[account_id].append(SignalEvent(observed_on, slug, category, polarity))

    interactions_of: defaultdict[int, list[InteractionEvent]] = defaultdict(list)
    no_contacts: tuple[int, ...] = ()
    for pk, account_id, occurred_on, kind, by_client in rows(
        interactions, "pk", "account_id", "occurred_on", "kind", "initiated_by_client"
    ):
        contacts = contacts_of.get(pk)
        interactions_of[account_id].append(
            InteractionEvent(
                occurred_on, kind, by_client, tuple(sorted(contacts)) if contacts else no_contacts
            )
        )

    assessments_of: defaultdict[int, list[AssessmentEvent]] = defaultdict(list)
    for account_id, assessed_on, relevance, perceived in rows(
        assessments, "account_id", "assessed_on", "relevance", "client_perceived_stage"
    ):
        assessments_of[account_id].append(
            AssessmentEvent(assessed_on, relevance, Stage(perceived) if perceived else None)
        )

    return {
        account_id: Evidence(
            signals=tuple(signals_of.get(account_id, ())),
            interactions=tuple(interactions_of.get(account_id, ())),
            assessments=tuple(assessments_of.get(account_id, ())),
            lost_on=lost,
        )
        for account_id, lost in lost_on.items()
    }
