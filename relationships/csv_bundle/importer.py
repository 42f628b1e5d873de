"""Importing a checked bundle: all of it in one transaction, or nothing.

References to the database are resolved in a handful of queries whatever the size of the
files (owners, signal types, accounts and interactions by external id), for every row of the
files, so that the format and reference problems of a bad bundle are named in one answer.
A bundle without problems is written in bulk, and the caller's `rescore` gets the touched
accounts once at the end (scoring/use_cases.py).

Owners follow the rules of the account page, asked of the same functions: only account
managers own accounts (`accounts.selectors.account_managers`), only a sales lead gives an
existing account to someone else (`accounts.access.may_manage_accounts`), and an owner change
is recorded in the account's history as the team form records it
(`relationships.history.owner_change_entry`). The command line has no user and may reassign: it is
run by whoever runs the server, and it is how a backup comes back.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.access import may_manage_accounts
from accounts.models import Account, AccountDomain, AccountStatus
from accounts.selectors import account_managers
from relationships.csv_bundle import formats
from relationships.csv_bundle.reader import (
    PROBLEMS_SHOWN,
    Bundle,
    Problem,
    ProblemLog,
    References,
    contact_key,
    read_bundle,
)
from relationships.history import owner_change_entry
from relationships.models import (
    Assessment,
    AuditAction,
    AuditEntry,
    Contact,
    ExternalPressure,
    Interaction,
    SignalType,
    TrustSignal,
)
from relationships.selectors import pressures_by_account
from relationships.webhook_events import account_lost_data, interaction_created_data
from webhooks import events, outbox


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do), and any problems that stopped it."""

    dry_run: bool
    counts: Counter = field(default_factory=Counter)  # ("accounts", "created") -> n
    # Every problem counted (len), the first PROBLEMS_SHOWN kept, file by file (accounts.csv
    # first) and row by row.
    problems: ProblemLog = field(default_factory=ProblemLog)
    rescored_accounts: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problems_shown(self) -> list[Problem]:
        return self.problems.kept()[:PROBLEMS_SHOWN]

    @property
    def problems_not_shown(self) -> int:
        return max(len(self.problems) - PROBLEMS_SHOWN, 0)

    def count(self, kind: str, outcome: str) -> int:
        return self.counts[(kind, outcome)]

    def lines(self) -> list[str]:
        """The report in words, one line per kind of record."""
        lines = []
        for kind in ("accounts", "interactions", "signals", "assessments", "contacts"):
            if kind == "contacts" and (kind, "unchanged") not in self.counts:
                continue  # no contacts.csv in the bundle
            parts = [
                f"{self.counts[(kind, outcome)]} {outcome}"
                for outcome in ("created", "updated", "unchanged", "removed")
                if self.counts[(kind, outcome)] or outcome in ("created", "updated", "unchanged")
            ]
            lines.append(f"{kind}: " + ", ".join(parts))
        return lines

    @property
    def changes(self) -> int:
        return sum(n for (_, outcome), n in self.counts.items() if outcome != "unchanged")


class _Rollback(Exception):
    pass


def portfolio_import(
    *,
    files: dict[str, bytes],
    dry_run: bool,
    actor: User | None = None,
    today: datetime.date | None = None,
    rescore: Callable[[set[int]], None] | None,
    facts_changed: Callable[[set[int]], None] | None = None,
) -> ImportReport:
    """Import the bundle `files` (file name -> bytes). A bundle with any problem imports
    nothing and reports every problem; a dry run reports the changes and writes nothing.

    `rescore` is called, inside the import's transaction, with the ids of the accounts whose
    evidence changed (scoring/use_cases.py passes the recompute; this app knows no scores),
    and `facts_changed` with the other accounts whose own fields or owner it changed.
    """
    today = today or timezone.localdate()
    bundle = read_bundle(files, today=today)
    report = ImportReport(dry_run=dry_run)
    try:
        with transaction.atomic():
            known = _known(bundle)
            # Added after the format problems: on one row, those stay ahead of its references.
            for problem in _reference_problems(bundle, known, actor):
                bundle.problems.add(problem)
            if bundle.problems:
                report.problems = bundle.problems
                raise _Rollback
            touched, changed = _apply(bundle, known, report, actor)
            if bundle.problems:  # found only against what the database holds
                report.problems = bundle.problems
                raise _Rollback
            if dry_run:
                raise _Rollback
            if touched and rescore is not None:
                rescore(touched)
                report.rescored_accounts = len(touched)
            if changed - touched and facts_changed is not None:
                facts_changed(changed - touched)
    except _Rollback:
        pass
    return report


@dataclass
class _Known:
    """What the bundle refers to in the database; accounts and interactions locked."""

    users: dict[str, User]  # active users by username
    managers: set[int]  # the ids of those who may own an account
    accounts: dict[str, Account]  # by external id, with their owners
    signal_types: dict[str, SignalType]  # by slug
    interactions: dict[str, Interaction]  # by external id


def _known(bundle: Bundle) -> _Known:
    """Everything any row of the bundle names, rows with format problems included (five
    queries whatever the size of the files)."""
    references = bundle.references
    usernames = {ref.owner_username for ref in references if ref.owner_username}
    account_ids = bundle.account_ids | {
        ref.account_external_id for ref in references if ref.account_external_id
    }
    slugs = {slug for ref in references for slug in ref.signals}
    interaction_ids = {
        ref.interaction_external_id for ref in references if ref.interaction_external_id
    }
    return _Known(
        users={
            user.username: user
            for user in get_user_model().objects.filter(username__in=usernames, is_active=True)
        },
        managers=set(
            account_managers().filter(username__in=usernames).values_list("pk", flat=True)
        ),
        accounts={
            account.external_id: account
            # Locked in id order, as every other write locks accounts (a rescore, a
            # recompute's chunk, a version going live): in any other order two of them could
            # each wait for an account the other holds.
            for account in Account.objects.select_for_update(of=("self",))
            .select_related("owner")
            .filter(external_id__in=account_ids)
            .order_by("pk")
        },
        signal_types={t.slug: t for t in SignalType.objects.filter(slug__in=slugs)},
        interactions={
            interaction.external_id: interaction
            for interaction in Interaction.objects.select_for_update().filter(
                external_id__in=interaction_ids
            )
        },
    )


def _reference_problems(bundle: Bundle, known: _Known, actor: User | None) -> Iterator[Problem]:
    """Owners, accounts and signal types that do not exist, owners the pages would refuse, and
    interactions moved to another account, for every row that names them."""
    for ref in bundle.references:
        if ref.owner_username:
            yield from _owner_problems(ref, known, actor)
            yield from _status_problems(ref, known, actor)
        account = known.accounts.get(ref.account_external_id)
        in_bundle = ref.account_external_id in bundle.account_ids
        if ref.account_external_id and account is None and not in_bundle:
            yield Problem(
                ref.file,
                ref.row,
                "account_external_id",
                f"no account “{ref.account_external_id}” in accounts.csv or the database",
            )
        unknown = [slug for slug in ref.signals if slug not in known.signal_types]
        if unknown:
            yield Problem(
                ref.file,
                ref.row,
                "signals",
                f"unknown signal type{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
            )
        interaction = known.interactions.get(ref.interaction_external_id)
        if (
            interaction is not None
            and (account is not None or in_bundle)
            and (account is None or interaction.account_id != account.pk)
        ):
            yield Problem(
                ref.file,
                ref.row,
                "account_external_id",
                "the interaction belongs to another account; ids must not move",
            )


def _owner_problems(ref: References, known: _Known, actor: User | None) -> list[Problem]:
    """What the account page would refuse of an accounts.csv row's owner. Keeping an existing
    account's owner is no change, whoever imports it."""
    owner = known.users.get(ref.owner_username)
    if owner is None:
        return [
            Problem(ref.file, ref.row, "owner_username", f"no active user “{ref.owner_username}”")
        ]
    account = known.accounts.get(ref.account_external_id)
    if account is not None and account.owner_id == owner.pk:
        return []
    problems = []
    if owner.pk not in known.managers:
        problems.append(
            Problem(
                ref.file,
                ref.row,
                "owner_username",
                f"“{ref.owner_username}” is not an account manager; only managers own accounts",
            )
        )
    if account is not None and actor is not None and not may_manage_accounts(actor):
        problems.append(
            Problem(
                ref.file,
                ref.row,
                "owner_username",
                f"the account is managed by “{account.owner.get_username()}”; "
                "only a sales lead gives an account to another manager",
            )
        )
    return problems


def _status_problems(ref: References, known: _Known, actor: User | None) -> list[Problem]:
    """An existing account marked lost, archived or active again by someone the account page
    would not let do it (a scoring admin may import, but closes no account)."""
    account = known.accounts.get(ref.account_external_id)
    if account is None or actor is None or not ref.status or ref.status == account.status:
        return []
    if may_manage_accounts(actor):
        return []
    return [
        Problem(
            ref.file,
            ref.row,
            "status",
            f"the account is {account.get_status_display().lower()}; only a sales lead marks "
            "an account lost, archived or active again",
        )
    ]


def _apply(
    bundle: Bundle, known: _Known, report: ImportReport, actor: User | None
) -> tuple[set[int], set[int]]:
    """Write the bundle's rows, every reference of which is known, one file (and kind of row)
    after the other; return the ids of accounts whose evidence changed, and of those whose
    own fields or owner changed."""
    now = timezone.now()  # `updated_at` of every edited row (bulk_update does not apply auto_now)
    accounts = _apply_accounts(bundle, known, report, actor, now)
    accounts.edited |= _apply_domains(bundle, known.accounts)
    accounts.edited |= _apply_contacts(bundle, known.accounts, report)
    # Read before the interactions are written: the signals they have in the database now.
    signals_of = _signals_of(known.interactions)
    wanted_signals, touched = _apply_interactions(bundle, known, report, now)
    touched |= accounts.touched
    touched |= _apply_signals(wanted_signals, signals_of, known.signal_types, report)
    touched |= _apply_assessments(bundle, known.accounts, report)
    _write_history(accounts.owner_changes, touched | accounts.edited, report, actor)
    _emit_events(accounts.lost, wanted_signals, known)
    reassigned = {entry.account_id for entry in accounts.owner_changes}
    return touched, accounts.edited | reassigned


def _emit_events(
    lost: list[Account],
    wanted_signals: list[tuple[Interaction, list[str]]],
    known: _Known,
) -> None:
    """The webhook events of the import, in bulk: each account it marked lost, and each
    interaction it created (with the signals its row lists). When no endpoint wants an event
    type, its payloads are never built."""
    outbox.events_emit(kind=events.ACCOUNT_LOST, payloads=map(account_lost_data, lost))
    by_id = {account.pk: account for account in known.accounts.values()}
    outbox.events_emit(
        kind=events.INTERACTION_CREATED,
        payloads=(
            interaction_created_data(
                interaction=interaction,
                account=by_id[interaction.account_id],
                signal_slugs=slugs,
            )
            for interaction, slugs in wanted_signals
            # Interactions the database held before the import were updated, not created.
            if interaction.external_id not in known.interactions
        ),
    )


def _count(report: ImportReport, kind: str, *, created: int, updated: int, rows: int) -> None:
    """Record what became of `rows` rows of one kind: the rest of them were unchanged."""
    report.counts[(kind, "created")] = created
    report.counts[(kind, "updated")] = updated
    report.counts[(kind, "unchanged")] = rows - created - updated


# Accounts ----------------------------------------------------------------------------------


@dataclass
class _AccountsApplied:
    """What writing accounts.csv leaves for the steps after it."""

    touched: set[int]  # new accounts, and accounts whose loss date changed: to rescore
    edited: set[int]  # accounts whose own fields or pressures changed (an owner alone: not)
    owner_changes: list[AuditEntry]  # unsaved; written with the rest of the history, last
    lost: list[Account]  # existing accounts the file marks lost (webhook `account.lost`)


def _apply_accounts(
    bundle: Bundle,
    known: _Known,
    report: ImportReport,
    actor: User | None,
    now: datetime.datetime,
) -> _AccountsApplied:
    """Create, edit and reassign the accounts of accounts.csv; `known.accounts` then holds the
    new ones too, for the files that refer to them."""
    fields = _account_fields(bundle)
    pressures = _pressures_to_replace(bundle, known.accounts)
    owner_changes = _owner_changes(bundle, known, actor)
    reassigned = {entry.account_id for entry in owner_changes}
    edits = _edit_accounts(bundle, known.accounts, fields, pressures, reassigned)
    new_accounts = _new_accounts(bundle, known, fields)
    _count(
        report,
        "accounts",
        created=len(new_accounts),
        updated=len(edits.changed),
        rows=len(bundle.accounts),
    )
    Account.objects.bulk_create(new_accounts)
    for account in edits.changed:
        account.updated_at = now
    if edits.changed:
        Account.objects.bulk_update(
            edits.changed, [*fields, "owner", "lost_reason", "lost_note", "updated_at"]
        )
    _replace_pressures(
        [(known.accounts[external_id], texts) for external_id, texts in pressures.items()]
    )
    return _AccountsApplied(
        touched=edits.lost_on_changed | {account.pk for account in new_accounts},
        edited=edits.edited,
        owner_changes=owner_changes,
        lost=edits.lost,
    )


def _account_fields(bundle: Bundle) -> list[str]:
    """The account fields accounts.csv sets: the required columns, and the optional ones the
    file has (the rest stay as they are). Pressures are rows of their own, not a field."""
    fields = ["name", "industry", "annual_revenue", "partnership_potential", "status", "lost_on"]
    rows_of_their_own = ("pressures", "email_domains")
    return fields + [column for column in bundle.account_extras if column not in rows_of_their_own]


def _pressures_to_replace(bundle: Bundle, accounts: dict[str, Account]) -> dict[str, list[str]]:
    """The pressures of each account whose list in the file differs from the database's (a new
    account's, when it has any), by external id in the file's order; without a pressures
    column, none (and no query)."""
    if "pressures" not in bundle.account_extras:
        return {}
    held = pressures_by_account(accounts.values())
    held_by_id = {
        external_id: held.get(account.pk, []) for external_id, account in accounts.items()
    }
    return {
        row["external_id"]: row["pressures"]
        for row in bundle.accounts
        if row["pressures"] != held_by_id.get(row["external_id"], [])
    }


def _owner_changes(bundle: Bundle, known: _Known, actor: User | None) -> list[AuditEntry]:
    """Give existing accounts the owner their row names; an owner change reads as one in the
    account's history (`owner_change_entry`), as when the team form makes it."""
    entries = []
    for row in bundle.accounts:
        account = known.accounts.get(row["external_id"])
        owner = known.users[row["owner_username"]]
        if account is not None and account.owner_id != owner.pk:
            entries.append(
                owner_change_entry(
                    account=account, previous=account.owner, owner=owner, actor=actor
                )
            )
            account.owner = owner
    return entries


@dataclass
class _AccountEdits:
    changed: list[Account]  # to save: edited, reassigned, or both
    edited: set[int]  # own fields or pressures changed
    lost_on_changed: set[int]
    lost: list[Account]  # not lost before, lost now


def _edit_accounts(
    bundle: Bundle,
    accounts: dict[str, Account],
    fields: list[str],
    pressures: dict[str, list[str]],
    reassigned: set[int],
) -> _AccountEdits:
    """Set the fields of the existing accounts from their rows (an active account has no loss
    reason), and tell which of them changed."""
    edits = _AccountEdits(changed=[], edited=set(), lost_on_changed=set(), lost=[])
    lost_on, status = fields.index("lost_on"), fields.index("status")
    for row in bundle.accounts:
        account = accounts.get(row["external_id"])
        if account is None:
            continue
        before = [getattr(account, name) for name in fields]
        for name in fields:
            setattr(account, name, row[name])
        if account.lost_on is None:  # active, or archived without a loss
            account.lost_reason = account.lost_note = ""
        edited = row["external_id"] in pressures or before != [
            getattr(account, name) for name in fields
        ]
        if edited:
            edits.edited.add(account.pk)
        if edited or account.pk in reassigned:
            edits.changed.append(account)
            if before[lost_on] != account.lost_on:
                edits.lost_on_changed.add(account.pk)
            if account.status == AccountStatus.LOST and before[status] != AccountStatus.LOST:
                edits.lost.append(account)
    return edits


def _new_accounts(bundle: Bundle, known: _Known, fields: list[str]) -> list[Account]:
    """The accounts of rows the database does not have, unsaved, added to `known.accounts`."""
    new_accounts = []
    for row in bundle.accounts:
        if row["external_id"] in known.accounts:
            continue
        account = Account(external_id=row["external_id"], owner=known.users[row["owner_username"]])
        for name in fields:
            setattr(account, name, row[name])
        new_accounts.append(account)
    known.accounts.update((account.external_id, account) for account in new_accounts)
    return new_accounts


def _replace_pressures(pressures: list[tuple[Account, list[str]]]) -> None:
    """Each account's pressures replaced by its new list, in two statements for them all."""
    if not pressures:
        return
    ExternalPressure.objects.filter(account__in=[account for account, _ in pressures]).delete()
    ExternalPressure.objects.bulk_create(
        ExternalPressure(account=account, description=text)
        for account, texts in pressures
        for text in texts
    )


# Email domains ------------------------------------------------------------------------------


def _apply_domains(bundle: Bundle, accounts: dict[str, Account]) -> set[int]:
    """Give the accounts of rows with an email_domains cell exactly those domains, and let
    every account of the file hold its domains only while active. A domain two active accounts
    would hold is a problem of the bundle. Returns the ids of accounts whose domains changed."""
    rows = [row for row in bundle.accounts if "email_domains" in row]
    in_file = [accounts[row["external_id"]] for row in bundle.accounts]
    held: defaultdict[int, set[str]] = defaultdict(set)
    for account_id, domain in AccountDomain.objects.filter(account__in=in_file).values_list(
        "account_id", "domain"
    ):
        held[account_id].add(domain)
    wanted = {account.pk: set(held[account.pk]) for account in in_file}
    for row in rows:
        wanted[accounts[row["external_id"]].pk] = set(row["email_domains"])
    _domain_problems(bundle, accounts, wanted)
    changed = {account_id for account_id in wanted if wanted[account_id] != held[account_id]}
    for account_id in changed:
        AccountDomain.objects.filter(account_id=account_id).exclude(
            domain__in=wanted[account_id]
        ).delete()
    AccountDomain.objects.filter(account__in=in_file).update(claimed=False)
    AccountDomain.objects.bulk_create(
        AccountDomain(account_id=account_id, domain=domain, claimed=False)
        for account_id in changed
        for domain in sorted(wanted[account_id] - held[account_id])
    )
    if not bundle.problems:
        active = [account.pk for account in in_file if account.status == AccountStatus.ACTIVE]
        AccountDomain.objects.filter(account_id__in=active).update(claimed=True)
    return changed


def _domain_problems(
    bundle: Bundle, accounts: dict[str, Account], wanted: dict[int, set[str]]
) -> None:
    """A domain held by two active accounts once the file is in: two of the file's, or one of
    the file's and one the file does not name (one query)."""
    row_of = {accounts[row["external_id"]].pk: row["row"] for row in bundle.accounts}
    status_of = {accounts[row["external_id"]].pk: row["status"] for row in bundle.accounts}
    first_holder: dict[str, int] = {}
    for account_id, domains in wanted.items():
        if status_of[account_id] != AccountStatus.ACTIVE:
            continue
        for domain in sorted(domains):
            if domain in first_holder:
                bundle.problems.add(
                    Problem(
                        formats.ACCOUNTS,
                        row_of[account_id],
                        "email_domains",
                        f"{domain} is also on row {row_of[first_holder[domain]]}; "
                        "a domain belongs to one active account",
                    )
                )
            else:
                first_holder[domain] = account_id
    elsewhere = (
        AccountDomain.objects.filter(claimed=True, domain__in=first_holder)
        .exclude(account_id__in=list(wanted))
        .values_list("domain", "account__name")
    )
    for domain, name in elsewhere:
        bundle.problems.add(
            Problem(
                formats.ACCOUNTS,
                row_of[first_holder[domain]],
                "email_domains",
                f"{domain} is the domain of {name}, an active account not in this file",
            )
        )


# Contacts ----------------------------------------------------------------------------------


CONTACT_FIELDS = ("name", "title", "email", "phone", "role", "is_champion", "left_on")


def _apply_contacts(bundle: Bundle, accounts: dict[str, Account], report: ImportReport) -> set[int]:
    """Create and update the people of contacts.csv (each known at its account by contact_id,
    else by email, else by name), then who they report to; people the file does not name stay.
    A contact_id of another account or of no one, or a row that could be several people, is a
    problem of the bundle and nothing is written. Returns the ids of accounts whose contacts
    changed."""
    if not bundle.contacts:
        if bundle.contact_file:
            _count(report, "contacts", created=0, updated=0, rows=0)
        return set()
    person_of = _match_contacts(bundle, accounts)
    if person_of is None:
        return set()
    new: list[Contact] = []
    changed: list[Contact] = []
    for row in bundle.contacts:
        held = person_of.get(row["row"])
        if held is None:
            person = Contact(
                account=accounts[row["account_external_id"]],
                **{name: row[name] for name in CONTACT_FIELDS},
            )
            person_of[row["row"]] = person
            new.append(person)
        elif any(getattr(held, name) != row[name] for name in CONTACT_FIELDS):
            for name in CONTACT_FIELDS:
                setattr(held, name, row[name])
            changed.append(held)
    # Edits first: an address a person gives up is free for a new person of the file.
    Contact.objects.bulk_update(changed, CONTACT_FIELDS)
    Contact.objects.bulk_create(new)
    managed = _reports_to(bundle, person_of)
    Contact.objects.bulk_update(managed, ["reports_to"])
    created = {contact.pk for contact in new}
    updated = len({contact.pk for contact in [*changed, *managed]} - created)
    _count(report, "contacts", created=len(new), updated=updated, rows=len(bundle.contacts))
    return {contact.account_id for contact in [*new, *changed, *managed]}


def _match_contacts(bundle: Bundle, accounts: dict[str, Account]) -> dict[int, Contact] | None:
    """The contact each row of contacts.csv updates, by row number (rows of new people are
    left out); None, with the problems added to the bundle, when a row's contact_id is not one
    of its account's people, its address is another's, or its name is several people's (two
    queries)."""
    rows_with_ids = [row for row in bundle.contacts if row["contact_id"] is not None]
    held = list(
        Contact.objects.filter(
            account__in={accounts[row["account_external_id"]] for row in bundle.contacts}
        ).order_by("pk")
    )
    by_pk = {contact.pk: contact for contact in held}
    elsewhere = set(
        Contact.objects.filter(pk__in={row["contact_id"] for row in rows_with_ids})
        .exclude(pk__in=by_pk)
        .values_list("pk", flat=True)
    )
    by_email = {(c.account_id, c.email.lower()): c for c in held if c.email}
    problems: list[Problem] = []
    person_of: dict[int, Contact] = {}
    for row in rows_with_ids:
        found = _person_by_id(row, accounts, by_pk, elsewhere, by_email)
        if isinstance(found, Problem):
            problems.append(found)
        elif found is not None:
            person_of[row["row"]] = found
    claimed = {contact.pk for contact in person_of.values()}
    unclaimed: defaultdict[tuple[int, str], list[Contact]] = defaultdict(list)
    for contact in held:
        if contact.pk not in claimed:
            unclaimed[(contact.account_id, contact_key(contact.email, contact.name))].append(
                contact
            )
    for row in bundle.contacts:
        if row["contact_id"] is not None:
            continue
        account = accounts[row["account_external_id"]]
        candidates = unclaimed.get((account.pk, contact_key(row["email"], row["name"])), [])
        if len(candidates) > 1:
            problems.append(
                Problem(
                    formats.CONTACTS,
                    row["row"],
                    "contact_id",
                    f"{len(candidates)} people of that account are called “{row['name'][:60]}” "
                    "and have no email: give the row the contact_id of the one it is "
                    "(an export has them)",
                )
            )
        elif candidates:
            person_of[row["row"]] = candidates[0]
    for problem in problems:
        bundle.problems.add(problem)
    return None if problems else person_of


def _person_by_id(
    row: dict,
    accounts: dict[str, Account],
    by_pk: dict[int, Contact],
    elsewhere: set[int],
    by_email: dict[tuple[int, str], Contact],
) -> Contact | Problem | None:
    """The person a row with a contact_id updates; None for an id no one holds (a new person),
    or the problem with the row."""
    account = accounts[row["account_external_id"]]
    contact = by_pk.get(row["contact_id"])
    if contact is None and row["contact_id"] not in elsewhere:
        # An id no one holds comes from another installation (a backup restored into an
        # empty database, a bundle moved between sites): a new person, known in the file
        # by that id, so that `reports_to` still finds them.
        return None
    if contact is None or contact.account_id != account.pk:
        return Problem(
            formats.CONTACTS,
            row["row"],
            "contact_id",
            f"contact_id {row['contact_id']} is a person of another account, not of "
            f"“{row['account_external_id']}”; leave it empty for a new person",
        )
    holder = by_email.get((account.pk, row["email"].lower())) if row["email"] else None
    if holder is not None and holder.pk != contact.pk:
        return Problem(
            formats.CONTACTS,
            row["row"],
            "email",
            f"“{row['email'][:60]}” is the address of another person of that account "
            f"(contact_id {holder.pk})",
        )
    return contact


def _reports_to(bundle: Bundle, person_of: dict[int, Contact]) -> list[Contact]:
    """Set who each person of the file reports to (a row of the file, found by the reader);
    return those whose manager changed."""
    moved = []
    for row in bundle.contacts:
        contact = person_of[row["row"]]
        manager = person_of[row["manager_row"]] if row["manager_row"] is not None else None
        if contact.reports_to_id != (manager.pk if manager else None):
            contact.reports_to = manager
            moved.append(contact)
    return moved


# Interactions and their signals ----------------------------------------------------------


def _apply_interactions(
    bundle: Bundle, known: _Known, report: ImportReport, now: datetime.datetime
) -> tuple[list[tuple[Interaction, list[str]]], set[int]]:
    """Create and edit the interactions of interactions.csv; return each with the signal type
    slugs its row lists, and the ids of accounts whose interactions changed."""
    accounts, existing = known.accounts, known.interactions
    new_interactions, changed_interactions, wanted_signals = [], [], []
    touched: set[int] = set()
    for row in bundle.interactions:
        account = accounts[row["account_external_id"]]
        interaction = existing.get(row["external_id"])
        values = {
            "account": account,
            "occurred_on": row["occurred_on"],
            "kind": row["kind"],
            "initiated_by_client": row["initiated_by_client"],
            "notes": row["notes"],
        }
        if interaction is None:
            interaction = Interaction(external_id=row["external_id"], **values)
            new_interactions.append(interaction)
        else:
            before = [getattr(interaction, name) for name in _INTERACTION_FIELDS]
            for name, value in values.items():
                setattr(interaction, name, value)
            if before != [getattr(interaction, name) for name in _INTERACTION_FIELDS]:
                changed_interactions.append(interaction)
                touched.add(account.pk)
        wanted_signals.append((interaction, row["signals"]))
    _count(
        report,
        "interactions",
        created=len(new_interactions),
        updated=len(changed_interactions),
        rows=len(wanted_signals),
    )
    Interaction.objects.bulk_create(new_interactions)
    for interaction in changed_interactions:
        interaction.updated_at = now
    if changed_interactions:
        Interaction.objects.bulk_update(changed_interactions, [*_INTERACTION_FIELDS, "updated_at"])
    touched |= {interaction.account_id for interaction in new_interactions}
    return wanted_signals, touched


_INTERACTION_FIELDS = ["account", "occurred_on", "kind", "initiated_by_client", "notes"]


def _signals_of(
    interactions: dict[str, Interaction],
) -> defaultdict[int | None, defaultdict[str, list[TrustSignal]]]:
    """The signals of these interactions, by interaction id and signal type slug. A type may
    be observed twice in one interaction, so signals are kept per type in lists (oldest first)."""
    signals_of: defaultdict[int | None, defaultdict[str, list[TrustSignal]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for stored in (
        TrustSignal.objects.filter(interaction__in=interactions.values())
        .select_related("signal_type")
        .order_by("pk")
    ):
        signals_of[stored.interaction_id][stored.signal_type.slug].append(stored)
    return signals_of


def _apply_signals(
    wanted_signals: list[tuple[Interaction, list[str]]],
    signals_of: defaultdict[int | None, defaultdict[str, list[TrustSignal]]],
    signal_types: dict[str, SignalType],
    report: ImportReport,
) -> set[int]:
    """Give each interaction the signals its row lists: the ones it has are kept (moved to its
    date), missing ones created, others removed; return the ids of accounts they changed."""
    create_signals: list[TrustSignal] = []
    moved_signals: list[TrustSignal] = []
    removed_signals: list[TrustSignal] = []
    for interaction, slugs_wanted in wanted_signals:
        have = {slug: list(signals) for slug, signals in signals_of[interaction.pk].items()}
        for slug in slugs_wanted:
            signal = have[slug].pop(0) if have.get(slug) else None
            if signal is None:
                create_signals.append(
                    TrustSignal(
                        account_id=interaction.account_id,
                        interaction=interaction,
                        signal_type=signal_types[slug],
                        observed_on=interaction.occurred_on,
                    )
                )
            elif signal.observed_on != interaction.occurred_on:
                signal.observed_on = interaction.occurred_on
                moved_signals.append(signal)
        removed_signals += [signal for left in have.values() for signal in left]
    TrustSignal.objects.bulk_create(create_signals)
    if moved_signals:
        TrustSignal.objects.bulk_update(moved_signals, ["observed_on"])
    if removed_signals:
        TrustSignal.objects.filter(pk__in=[s.pk for s in removed_signals]).delete()
    _count(
        report,
        "signals",
        created=len(create_signals),
        updated=len(moved_signals),
        rows=sum(len(s) for _, s in wanted_signals),
    )
    report.counts[("signals", "removed")] = len(removed_signals)
    return {s.account_id for s in create_signals + moved_signals + removed_signals}


# Assessments -------------------------------------------------------------------------------


def _apply_assessments(
    bundle: Bundle, accounts: dict[str, Account], report: ImportReport
) -> set[int]:
    """Record the assessments of assessments.csv, one per account and day (a second import of
    the same day updates it); return the ids of accounts whose assessments changed."""
    assessed = _assessments_held(bundle, accounts)
    new_assessments, changed_assessments = [], []
    for row in bundle.assessments:
        account = accounts[row["account_external_id"]]
        assessment = assessed.get((account.pk, row["assessed_on"]))
        if assessment is None:
            new_assessments.append(
                Assessment(
                    account=account,
                    assessed_on=row["assessed_on"],
                    relevance=row["relevance"],
                    client_perceived_stage=row["client_perceived_stage"],
                )
            )
        elif (assessment.relevance, assessment.client_perceived_stage) != (
            row["relevance"],
            row["client_perceived_stage"],
        ):
            assessment.relevance = row["relevance"]
            assessment.client_perceived_stage = row["client_perceived_stage"]
            changed_assessments.append(assessment)
    Assessment.objects.bulk_create(new_assessments)
    if changed_assessments:
        Assessment.objects.bulk_update(changed_assessments, ["relevance", "client_perceived_stage"])
    _count(
        report,
        "assessments",
        created=len(new_assessments),
        updated=len(changed_assessments),
        rows=len(bundle.assessments),
    )
    return {a.account_id for a in new_assessments + changed_assessments}


def _assessments_held(
    bundle: Bundle, accounts: dict[str, Account]
) -> dict[tuple[int, datetime.date], Assessment]:
    """The assessments the database has of the file's accounts on the file's days, by
    (account id, day): one query."""
    return {
        (a.account_id, a.assessed_on): a
        for a in Assessment.objects.filter(
            account__in=[
                accounts[row["account_external_id"]]
                for row in bundle.assessments
                if row["account_external_id"] in accounts
            ],
            assessed_on__in={row["assessed_on"] for row in bundle.assessments},
        )
    }


def _write_history(
    owner_changes: list[AuditEntry],
    account_ids: set[int],
    report: ImportReport,
    actor: User | None,
) -> None:
    """The accounts' change history: each owner change as one, with or without a user (the
    command line has none), and, for a user's import that changed anything, one entry on
    every account it touched."""
    AuditEntry.objects.bulk_create(owner_changes)
    if actor is not None and report.changes:
        AuditEntry.objects.bulk_create(
            AuditEntry(
                account_id=account_id,
                actor=actor,
                action=AuditAction.EDITED,
                subject="import",
                summary="Imported from a CSV bundle",
            )
            for account_id in sorted(account_ids)
        )
