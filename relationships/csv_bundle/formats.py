"""The CSV formats of a portfolio bundle: file names, columns, allowed values.

Each file is UTF-8 with a header row. Ids are the file's own external ids, so importing the
same files twice changes nothing.
"""

from __future__ import annotations

from accounts.models import LostReason, PartnershipPotential
from relationships.models import ContactRole, InteractionKind, StageChoice

ACCOUNTS = "accounts.csv"
INTERACTIONS = "interactions.csv"
ASSESSMENTS = "assessments.csv"
CONTACTS = "contacts.csv"
REQUIRED_FILES = (ACCOUNTS, INTERACTIONS)
FILES = (ACCOUNTS, INTERACTIONS, ASSESSMENTS, CONTACTS)

COLUMNS = {
    ACCOUNTS: (
        "external_id",
        "name",
        "industry",
        "owner_username",
        "annual_revenue",
        "partnership_potential",
        "status",
        "lost_on",
    ),
    INTERACTIONS: (
        "external_id",
        "account_external_id",
        "occurred_on",
        "kind",
        "initiated_by_client",
        "notes",
        "signals",
    ),
    ASSESSMENTS: ("account_external_id", "assessed_on", "relevance", "client_perceived_stage"),
    # A person is known at an account by their `contact_id` (optional, the app's own id, which
    # exports write), else by their email address, else by their name; `reports_to` names
    # another person of the same account in the file by their contact_id, email or name.
    CONTACTS: (
        "account_external_id",
        "name",
        "title",
        "email",
        "phone",
        "role",
        "champion",
        "reports_to",
        "left_on",
    ),
}
# Columns a file may leave out: an import then keeps what the app holds for them. Exports
# always write them, so a round trip keeps the account's mission, the external pressures (one
# per line of the cell) and our plan for the account.
OPTIONAL_COLUMNS = {
    ACCOUNTS: (
        "mission",
        "pressures",
        "objective",
        "next_step",
        "next_step_due",
        "email_domains",
        "lost_reason",
        "lost_note",
    ),
    CONTACTS: ("contact_id",),
}

# The file's words for partnership potential, and the stored values they mean.
POTENTIAL_FROM_FILE = {
    "unknown": PartnershipPotential.UNKNOWN,
    "regular": PartnershipPotential.REGULAR,
    "could_become_partner": PartnershipPotential.COULD_PARTNER,
    "strategic_target": PartnershipPotential.STRATEGIC,
}
POTENTIAL_TO_FILE: dict[str, str] = {stored: word for word, stored in POTENTIAL_FROM_FILE.items()}
STATUSES = ("active", "lost", "archived")
ROLES = tuple(ContactRole.values)
LOST_REASONS = tuple(LostReason.values)
# Email domains in one cell: separated by this (or by line breaks).
DOMAIN_SEPARATOR = ";"
KINDS = tuple(InteractionKind.values)
STAGES = tuple(StageChoice.values)
BOOLEANS = {"true": True, "false": False}
SIGNAL_SEPARATOR = ";"

# A spreadsheet runs a cell that starts with one of these as a formula. Exports put a single
# quote in front (shown as text, never run); imports take exactly that quote off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def unneutralise(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value
