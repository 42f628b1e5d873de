"""Writes a demo portfolio to the database in bulk.

A 5,000-account portfolio is about two million rows, so rows are written as plain tuples with
ids assigned here: COPY on PostgreSQL, executemany elsewhere. Everything happens in one
transaction, so a failure leaves the database as it was.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from accounts import roles
from accounts.models import Account, AccountDomain, AccountStatus
from config.bulk import insert_rows
from relationships.demo.stories import DemoPortfolio, manager_count_for
from relationships.models import (
    Assessment,
    Contact,
    ExternalPressure,
    Interaction,
    SignalType,
    TrustSignal,
)

DEMO_PREFIX = "demo-"
DEMO_PASSWORD = "demo"

# Named people for the first few seats; larger portfolios add numbered managers.
NAMED_MANAGERS = [
    ("alice", "Alice", "Moreau"),
    ("bob", "Bob", "Okafor"),
    ("carmen", "Carmen", "Ruiz"),
    ("dmitri", "Dmitri", "Volkov"),
]
SALES_LEAD = ("lena", "Lena", "Fischer")
SCORING_ADMIN = ("sam", "Sam", "Adeyemi")


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str


def demo_accounts() -> models.QuerySet[Account]:
    return Account.objects.filter(external_id__startswith=DEMO_PREFIX)


def non_demo_data_exists() -> bool:
    return Account.objects.exclude(external_id__startswith=DEMO_PREFIX).exists()


def demo_logins(account_count: int | None = None) -> list[DemoLogin]:
    managers = manager_count_for(account_count) if account_count else len(NAMED_MANAGERS)
    return [DemoLogin(username, roles.ACCOUNT_MANAGER) for username, *_ in _managers(managers)] + [
        DemoLogin(SALES_LEAD[0], roles.SALES_LEAD),
        DemoLogin(SCORING_ADMIN[0], roles.SCORING_ADMIN),
    ]


def _managers(count: int) -> list[tuple[str, str, str]]:
    extra = [
        (f"manager{n:03d}", "Manager", f"{n:03d}")
        for n in range(len(NAMED_MANAGERS) + 1, count + 1)
    ]
    return (NAMED_MANAGERS + extra)[:count]


@transaction.atomic
def write_portfolio(portfolio: DemoPortfolio) -> None:
    """Replace any earlier demo portfolio with `portfolio`; other data is left alone."""
    with _constraints_checked_immediately():
        _replace_portfolio(portfolio)
    if connection.vendor == "postgresql":
        # Planner statistics for the new rows: without them the one-account queries of every
        # page fall back to sequential scans until autovacuum notices (if it is on at all).
        with connection.cursor() as cursor:
            for model in ACCOUNT_TABLES:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


@contextmanager
def _constraints_checked_immediately() -> Iterator[None]:
    """Check deferred constraints per statement while the portfolio is replaced.

    PostgreSQL refuses TRUNCATE and ALTER TABLE on a table with deferred checks still pending
    in the transaction, which deleting rows (or a caller's earlier writes) leaves behind.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _replace_portfolio(portfolio: DemoPortfolio) -> None:
    """Delete the earlier demo portfolio, then write this one's rows in bulk."""
    _delete_demo_portfolio()
    managers = _ensure_users(portfolio.manager_count)
    signal_types = dict(SignalType.objects.values_list("slug", "id"))
    rows = _portfolio_rows(portfolio, [manager.pk for manager in managers], signal_types)
    with _bulk_load_mode([Interaction, Interaction.participants.through, TrustSignal]):
        _write_rows(rows)
    _reset_sequences([Account, Contact, Interaction])


@dataclass
class _Rows:
    """Every row of the portfolio, table by table, as tuples in the order of the table's
    columns below (ids assigned here: rows refer to each other before any is written)."""

    accounts: list[tuple] = field(default_factory=list)
    domains: list[tuple] = field(default_factory=list)
    pressures: list[tuple] = field(default_factory=list)
    contacts: list[tuple] = field(default_factory=list)
    assessments: list[tuple] = field(default_factory=list)
    interactions: list[tuple] = field(default_factory=list)
    participants: list[tuple] = field(default_factory=list)
    signals: list[tuple] = field(default_factory=list)
    # Each account's email domain (its name, made unique), which its people's addresses use.
    domain_of: dict[int, str] = field(default_factory=dict)


_ACCOUNT_COLUMNS = [
    "id",
    "name",
    "industry",
    "owner",
    "annual_revenue",
    "mission",
    "partnership_potential",
    "status",
    "lost_on",
    "lost_reason",
    "lost_note",
    "external_id",
    "objective",
    "next_step",
    "next_step_due",
    "created_at",
    "updated_at",
]
_PRESSURE_COLUMNS = ["account", "description"]
_DOMAIN_COLUMNS = ["account", "domain", "claimed"]
_CONTACT_COLUMNS = [
    "id",
    "account",
    "name",
    "title",
    "email",
    "phone",
    "role",
    "is_champion",
    "left_on",
]
_ASSESSMENT_COLUMNS = [
    "account",
    "assessed_on",
    "relevance",
    "client_perceived_stage",
    "note",
    "assessed_by",
    "created_at",
]
_INTERACTION_COLUMNS = [
    "id",
    "account",
    "occurred_on",
    "kind",
    "logged_by",
    "initiated_by_client",
    "notes",
    "sentiment",
    "external_id",
    "created_at",
    "updated_at",
]
_PARTICIPANT_COLUMNS = ["interaction", "contact"]
_SIGNAL_COLUMNS = [
    "account",
    "signal_type",
    "observed_on",
    "interaction",
    "note",
    "logged_by",
    "created_at",
]


def _portfolio_rows(
    portfolio: DemoPortfolio, owner_ids: list[int], signal_types: dict[str, int]
) -> _Rows:
    """The rows of every table, in three passes over the accounts (the accounts and what hangs
    on them alone, their contacts, their interactions), ids following each table's highest."""
    rows = _Rows()
    first_account_id = _next_id(Account)
    rows.domain_of = _domains(portfolio, first_account_id)
    _add_account_rows(rows, portfolio, owner_ids, first_account_id)
    contact_ids = _add_contact_rows(rows, portfolio, first_account_id, _next_id(Contact))
    _add_interaction_rows(
        rows,
        portfolio,
        owner_ids,
        contact_ids,
        signal_types,
        first_account_id=first_account_id,
        first_id=_next_id(Interaction),
    )
    return rows


def _slug(text: str, separator: str) -> str:
    """Lower-case ASCII letters and digits of `text`, its words joined by `separator`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return separator.join(re.findall(r"[a-z0-9]+", ascii_text.lower()))


def _domains(portfolio: DemoPortfolio, first_account_id: int) -> dict[int, str]:
    """An email domain per account, from its name (`northwind-freight.example`), unique."""
    domains: dict[int, str] = {}
    for account_id, demo in enumerate(portfolio.accounts, start=first_account_id):
        domain = f"{_slug(demo.name, '-') or 'client'}.example"
        if domain in domains.values():
            domain = f"{_slug(demo.name, '-')}-{demo.number}.example"
        domains[account_id] = domain
    return domains


def _email(name: str, domain: str, taken: set[str]) -> str:
    """first.last@domain, with a number for a second person of the same name there."""
    local = _slug(name, ".") or "contact"
    address, n = f"{local}@{domain}", 1
    while address in taken:
        n += 1
        address = f"{local}{n}@{domain}"
    taken.add(address)
    return address


def _add_account_rows(
    rows: _Rows, portfolio: DemoPortfolio, owner_ids: list[int], first_id: int
) -> None:
    """Each account's row, its pressures and its assessments (by its owner)."""
    now = timezone.now()
    for account_id, demo in enumerate(portfolio.accounts, start=first_id):
        owner_id = owner_ids[demo.owner_index]
        lost = demo.lost_on is not None
        rows.accounts.append(
            (
                account_id,
                demo.name,
                demo.industry,
                owner_id,
                demo.annual_revenue,
                demo.mission,
                demo.partnership_potential,
                AccountStatus.LOST if lost else AccountStatus.ACTIVE,
                demo.lost_on,
                demo.lost_reason,
                demo.lost_note,
                demo.external_id,
                demo.objective,
                demo.next_step,
                demo.next_step_due,
                now,
                now,
            )
        )
        rows.domains.append((account_id, rows.domain_of[account_id], not lost))
        rows.pressures += [(account_id, text) for text in demo.pressures]
        rows.assessments += [
            (
                account_id,
                a.assessed_on,
                a.relevance,
                a.client_perceived_stage,
                "",
                owner_id,
                _logged_at(a.assessed_on),
            )
            for a in demo.assessments
        ]


def _add_contact_rows(
    rows: _Rows, portfolio: DemoPortfolio, first_account_id: int, first_id: int
) -> list[dict[int, int]]:
    """Each account's contacts; returns, account by account, the id given to each contact's
    key (the interactions name their participants by key)."""
    contact_ids: list[dict[int, int]] = []
    contact_id = first_id
    for account_id, demo in enumerate(portfolio.accounts, start=first_account_id):
        ids = {}
        taken: set[str] = set()
        for contact in demo.contacts:
            ids[contact.key] = contact_id
            rows.contacts.append(
                (
                    contact_id,
                    account_id,
                    contact.name,
                    contact.title,
                    _email(contact.name, rows.domain_of[account_id], taken),
                    "",
                    contact.role,
                    contact.is_champion,
                    contact.left_on,
                )
            )
            contact_id += 1
        contact_ids.append(ids)
    return contact_ids


def _add_interaction_rows(
    rows: _Rows,
    portfolio: DemoPortfolio,
    owner_ids: list[int],
    contact_ids: list[dict[int, int]],
    signal_types: dict[str, int],
    *,
    first_account_id: int,
    first_id: int,
) -> None:
    """Each account's interactions, logged by its owner right after they happened, with their
    participants and the trust signals observed in them."""
    interaction_id = first_id
    accounts = enumerate(portfolio.accounts, start=first_account_id)
    for (account_id, demo), contact_id_of in zip(accounts, contact_ids, strict=True):
        owner_id = owner_ids[demo.owner_index]
        for event in demo.interactions:
            logged_at = _logged_at(event.occurred_on)
            rows.interactions.append(
                (
                    interaction_id,
                    account_id,
                    event.occurred_on,
                    event.kind,
                    owner_id,
                    event.initiated_by_client,
                    event.notes,
                    event.sentiment,
                    "",
                    logged_at,
                    logged_at,
                )
            )
            rows.participants += [
                (interaction_id, contact_id_of[key]) for key in event.participant_keys
            ]
            rows.signals += [
                (
                    account_id,
                    signal_types[slug],
                    event.occurred_on,
                    interaction_id,
                    "",
                    owner_id,
                    logged_at,
                )
                for slug in event.signal_slugs
            ]
            interaction_id += 1


def _write_rows(rows: _Rows) -> None:
    """Insert every table's rows, each table after those it refers to."""
    insert_rows(Account, _ACCOUNT_COLUMNS, rows.accounts)
    insert_rows(AccountDomain, _DOMAIN_COLUMNS, rows.domains)
    insert_rows(ExternalPressure, _PRESSURE_COLUMNS, rows.pressures)
    insert_rows(Contact, _CONTACT_COLUMNS, rows.contacts)
    insert_rows(Assessment, _ASSESSMENT_COLUMNS, rows.assessments)
    insert_rows(Interaction, _INTERACTION_COLUMNS, rows.interactions)
    insert_rows(Interaction.participants.through, _PARTICIPANT_COLUMNS, rows.participants)
    insert_rows(TrustSignal, _SIGNAL_COLUMNS, rows.signals)


def _logged_at(day: datetime.date) -> datetime.datetime:
    # Managers log right after the meeting: late afternoon of the same day.
    return datetime.datetime.combine(day, datetime.time(17, 0), tzinfo=datetime.UTC)


def _ensure_users(manager_count: int) -> list:
    """Create or refresh the demo users, in a handful of queries whatever their number."""
    User = get_user_model()
    password = make_password(DEMO_PASSWORD)  # hashed once: hashing is slow on purpose
    groups = {group.name: group for group in Group.objects.filter(name__in=roles.ALL_ROLES)}
    people = [(person, roles.ACCOUNT_MANAGER) for person in _managers(manager_count)]
    people += [(SALES_LEAD, roles.SALES_LEAD), (SCORING_ADMIN, roles.SCORING_ADMIN)]

    existing = User.objects.in_bulk(
        [username for (username, *_), _ in people], field_name="username"
    )
    users, role_of = [], {}
    for (username, first, last), role in people:
        user = existing.get(username) or User(username=username)
        user.first_name, user.last_name = first, last
        user.email = f"{username}@example.com"
        user.password = password
        user.is_active = True
        user.is_staff = role == roles.SCORING_ADMIN
        users.append(user)
        role_of[username] = role
    User.objects.bulk_create([user for user in users if user.pk is None])
    User.objects.bulk_update(
        [user for user in users if user.username in existing],
        ["first_name", "last_name", "email", "password", "is_active", "is_staff"],
    )
    memberships = User.groups.through
    memberships.objects.filter(user__in=users).delete()
    memberships.objects.bulk_create(
        memberships(user_id=user.pk, group_id=groups[role_of[user.username]].pk) for user in users
    )
    return [user for user in users if role_of[user.username] == roles.ACCOUNT_MANAGER]


ACCOUNT_TABLES: list[type[models.Model]] = [
    Account,
    AccountDomain,
    ExternalPressure,
    Contact,
    Assessment,
    Interaction,
    Interaction.participants.through,
    TrustSignal,
]


def _delete_demo_portfolio() -> None:
    """Delete demo accounts and everything under them.

    When the database holds nothing but demo accounts, the account tables are flushed
    (TRUNCATE on PostgreSQL). Otherwise the demo rows go bottom-up in a few set-based
    statements: the ORM's cascade would load every row first, minutes at a million rows.
    """
    if not non_demo_data_exists():
        tables = [model._meta.db_table for model in ACCOUNT_TABLES]
        statements = connection.ops.sql_flush(no_style(), tables, allow_cascade=True)
        connection.ops.execute_sql_flush(statements)
        return
    account_ids = demo_accounts().values("id")
    interaction_ids = Interaction.objects.filter(account__in=account_ids).values("id")
    # Rows other apps keep per account (score snapshots, ...) go first.
    derived = [
        # The model holding the foreign key to Account (the relation's `related_model`).
        relation.field.model._default_manager.filter(**{f"{relation.field.name}__in": account_ids})
        for relation in Account._meta.related_objects
        if relation.related_model not in ACCOUNT_TABLES and not relation.many_to_many
    ]
    for queryset in (
        *derived,
        TrustSignal.objects.filter(account__in=account_ids),
        Interaction.participants.through.objects.filter(interaction__in=interaction_ids),
        Interaction.objects.filter(account__in=account_ids),
        Assessment.objects.filter(account__in=account_ids),
        Contact.objects.filter(account__in=account_ids),
        ExternalPressure.objects.filter(account__in=account_ids),
        AccountDomain.objects.filter(account__in=account_ids),
        demo_accounts(),
    ):
        sql, params = queryset.values("pk").query.sql_with_params()
        table = queryset.model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE id IN ({sql})", params)


@contextmanager
def _bulk_load_mode(model_list: list[type[models.Model]]) -> Iterator[None]:
    """Drop the foreign keys and plain indexes of these tables for a bulk load, then restore.

    PostgreSQL checks a deferred foreign key row by row at commit, and maintains every index
    row by row: over half a minute for the demo's two million rows. Adding a constraint back
    validates all rows in one set-based pass, and building an index sorts once (PostgreSQL
    manual, "Populating a Database"). Unique indexes stay, so duplicates are still refused.
    Everything runs inside the caller's transaction: no other session ever sees the tables
    without their constraints, and a failed load rolls them back with the rows.
    """
    if connection.vendor != "postgresql":
        yield
        return
    assert connection.in_atomic_block, "bulk load mode needs an enclosing transaction"
    tables = [model._meta.db_table for model in model_list]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
            [tables],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisunique",
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}")


def _next_id(model: type[models.Model]) -> int:
    return (model._default_manager.aggregate(top=models.Max("pk"))["top"] or 0) + 1


def _reset_sequences(model_list: list[type[models.Model]]) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), model_list)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
