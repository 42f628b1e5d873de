"""Exporting the portfolio as a CSV bundle in the import formats.

Every exported record needs an external id, so that importing the export updates records
instead of duplicating them: records without one are given `account-<id>` or
`interaction-<id>` as they are exported. Participants, notes on assessments and signals
logged outside an interaction have no column in these formats and are not exported.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat

from accounts.models import Account, AccountDomain
from relationships.csv_bundle import formats
from relationships.models import Assessment, Contact, Interaction, TrustSignal
from relationships.selectors import pressures_by_account


def _give_external_ids() -> None:
    for model, prefix in ((Account, "account-"), (Interaction, "interaction-")):
        # Looked for first: with none missing the export only reads, and with a read replica
        # reads there (a write keeps the rest of the export on the primary, which has it).
        if model.objects.filter(external_id="").exists():
            model.objects.filter(external_id="").update(
                external_id=Concat(Value(prefix), Cast("pk", CharField()))
            )


def _csv(rows: Iterable[Sequence[object]], columns: tuple[str, ...]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([formats.neutralise(str(value)) for value in row])
    return out.getvalue()


def _date(value) -> str:
    return value.isoformat() if value else ""


@transaction.atomic
def portfolio_export() -> dict[str, str]:
    """The four files of the bundle, by file name, as text. Each file's records are read as
    it is written; what they are joined with (pressures, signal types, accounts' external ids)
    is read first, in one query each."""
    _give_external_ids()
    account_rows = _account_rows()
    external_of = dict(Account.objects.values_list("pk", "external_id"))
    interaction_rows = _interaction_rows(external_of)
    return {
        formats.ACCOUNTS: _csv(
            account_rows,
            (*formats.COLUMNS[formats.ACCOUNTS], *formats.OPTIONAL_COLUMNS[formats.ACCOUNTS]),
        ),
        formats.INTERACTIONS: _csv(interaction_rows, formats.COLUMNS[formats.INTERACTIONS]),
        formats.ASSESSMENTS: _csv(
            _assessment_rows(external_of), formats.COLUMNS[formats.ASSESSMENTS]
        ),
        formats.CONTACTS: _csv(
            _contact_rows(external_of),
            (*formats.OPTIONAL_COLUMNS[formats.CONTACTS], *formats.COLUMNS[formats.CONTACTS]),
        ),
    }


def _account_rows() -> Iterable[Sequence[object]]:
    """accounts.csv's rows, by external id, with the optional columns."""
    pressures_of = pressures_by_account()
    domains_of: defaultdict[int, list[str]] = defaultdict(list)
    for account_id, domain in AccountDomain.objects.order_by("domain").values_list(
        "account_id", "domain"
    ):
        domains_of[account_id].append(domain)
    return (
        [
            account.external_id,
            account.name,
            account.industry,
            account.owner.username,
            f"{account.annual_revenue:.2f}".rstrip("0").rstrip("."),
            formats.POTENTIAL_TO_FILE[account.partnership_potential],
            account.status,
            _date(account.lost_on),
            account.mission,
            "\n".join(pressures_of.get(account.pk, [])),
            account.objective,
            account.next_step,
            _date(account.next_step_due),
            formats.DOMAIN_SEPARATOR.join(domains_of.get(account.pk, [])),
            account.lost_reason,
            account.lost_note,
        ]
        for account in Account.objects.select_related("owner").order_by("external_id")
    )


def _interaction_rows(external_of: dict[int, str]) -> Iterable[Sequence[object]]:
    """interactions.csv's rows, by external id, each with its account's external id and its
    signal types."""
    slugs_of: defaultdict[int, list[str]] = defaultdict(list)
    for interaction_id, slug in TrustSignal.objects.filter(interaction__isnull=False).values_list(
        "interaction_id", "signal_type__slug"
    ):
        slugs_of[interaction_id].append(slug)
    return (
        [
            external_id,
            external_of[account_id],
            _date(occurred_on),
            kind,
            "true" if by_client else "false",
            notes,
            formats.SIGNAL_SEPARATOR.join(sorted(slugs_of.get(pk, []))),
        ]
        for pk, external_id, account_id, occurred_on, kind, by_client, notes in (
            Interaction.objects.order_by("external_id").values_list(
                "pk",
                "external_id",
                "account_id",
                "occurred_on",
                "kind",
                "initiated_by_client",
                "notes",
            )
        )
    )


def _assessment_rows(external_of: dict[int, str]) -> Iterable[Sequence[object]]:
    """assessments.csv's rows, by account and day."""
    return (
        [external_of[account_id], _date(assessed_on), relevance, stage]
        for account_id, assessed_on, relevance, stage in Assessment.objects.order_by(
            "account_id", "assessed_on"
        ).values_list("account_id", "assessed_on", "relevance", "client_perceived_stage")
    )


def _contact_rows(external_of: dict[int, str]) -> Iterable[Sequence[object]]:
    """contacts.csv's rows, by account and name, each with the contact's id, which tells apart
    people of one name without an address; each person's manager named by that id."""
    contacts = list(
        Contact.objects.order_by("account_id", "name", "pk").values_list(
            "pk",
            "account_id",
            "name",
            "title",
            "email",
            "phone",
            "role",
            "is_champion",
            "reports_to_id",
            "left_on",
        )
    )
    return (
        [
            pk,
            external_of[account_id],
            name,
            title,
            email,
            phone,
            role,
            "true" if champion else "false",
            manager_id or "",
            _date(left_on),
        ]
        for pk, account_id, name, title, email, phone, role, champion, manager_id, left_on in (
            contacts
        )
    )
