"""Reading a bundle's files into checked rows, with every problem found, not just the first.

Only the format is checked here (columns, dates, numbers, allowed values, duplicate ids);
references to what is in the database (owners, signal types, existing accounts) are checked by
the importer, which knows them. The reader notes what every row refers to, whether or not the
rest of the row is right, so that one pass names the format and reference problems together.

A file of bad lines costs no more than a good one: rows are checked as they are read, every
problem is counted but only the first PROBLEMS_SHOWN are kept, and a file whose last
UNREADABLE_RUN rows all had problems is taken to be in another format and read no further.
"""

from __future__ import annotations

import csv
import datetime
import heapq
import io
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from accounts.models import NEXT_STEP_HORIZON, normalise_domain, validate_domain
from relationships.csv_bundle import formats
from relationships.models import EARLIEST_EVIDENCE

FREE_TEXT = {"name", "industry", "notes", "mission", "pressures", "objective", "next_step"}

# Problems an answer names one by one; the rest are counted. Hundreds of problems mean the
# bundle is wrong throughout (a shifted column, another date format): a longer list helps nobody.
PROBLEMS_SHOWN = 200
# Rows in a row with problems after which a file is not read further: it is not in the format
# (another export, another separator, not a CSV at all), and reading on would only list the
# same mistake again. A file with good rows between its bad ones is read to the end.
UNREADABLE_RUN = 100


class Problem(NamedTuple):
    """Something wrong in a file: `row` counts the header as row 1 (0: the file as a whole)."""

    file: str
    row: int
    column: str
    reason: str


class ProblemLog:
    """Every problem counted, the first `keep` of them (by file, then row) kept.

    `len()` is the number of problems; iterating gives the kept ones in order, a row's format
    problems ahead of its reference problems (they are added in that order). A million bad
    lines cost the memory of `keep` problems.
    """

    def __init__(self, problems: Iterable[Problem] = (), *, keep: int = PROBLEMS_SHOWN):
        self.keep = keep
        self.count = 0
        # A max-heap (keys negated) of the smallest keys so far; the order added breaks ties.
        self._kept: list[tuple[int, int, int, Problem]] = []
        self._order = itertools.count()
        for problem in problems:
            self.add(problem)

    def add(self, problem: Problem) -> None:
        self.count += 1
        key = (-formats.FILES.index(problem.file), -problem.row, -next(self._order), problem)
        if len(self._kept) < self.keep:
            heapq.heappush(self._kept, key)
        elif key > self._kept[0]:
            heapq.heapreplace(self._kept, key)

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.kept())

    def kept(self) -> list[Problem]:
        return [key[-1] for key in sorted(self._kept, reverse=True)]


class References(NamedTuple):
    """What one row names that only the database (or accounts.csv) can confirm."""

    file: str
    row: int
    owner_username: str = ""  # accounts.csv
    # interactions.csv, assessments.csv: the account named; accounts.csv: the row's own id, so
    # that an owner change on an existing account can be told from a new account's owner.
    account_external_id: str = ""
    signals: tuple[str, ...] = ()  # interactions.csv: signal type slugs
    interaction_external_id: str = ""  # interactions.csv: an existing one must not move
    status: str = ""  # accounts.csv: only a sales lead moves an existing account's status


@dataclass
class Bundle:
    """The checked rows of each file, as plain dicts with typed values."""

    accounts: list[dict[str, Any]] = field(default_factory=list)
    # The optional columns accounts.csv has (formats.OPTIONAL_COLUMNS): only those are written.
    account_extras: tuple[str, ...] = ()
    interactions: list[dict[str, Any]] = field(default_factory=list)
    assessments: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    contact_file: bool = False  # whether the bundle has a contacts.csv
    problems: ProblemLog = field(default_factory=ProblemLog)
    # What every readable row refers to, rows with format problems included, and every id
    # accounts.csv gives: a reference to an account whose row has a problem is not unknown.
    references: list[References] = field(default_factory=list)
    account_ids: set[str] = field(default_factory=set)


def utf8_problem(name: str, raw: bytes) -> Problem | None:
    """Where the file is not UTF-8 text (a byte-order mark is allowed), if anywhere."""
    try:
        raw.decode("utf-8-sig")  # thrown away at once: the rows are decoded as they are read
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return Problem(
            name,
            line,
            "",
            f"not UTF-8 text (byte {error.start + 1} on line {line}); save it as UTF-8",
        )
    return None


class _File:
    """One file's header, then its rows as they are read (`rows()`), with the problems found.

    The caller checks each row before asking for the next, so that a run of UNREADABLE_RUN
    rows with problems, found here or by the caller, stops the reading.
    """

    def __init__(self, name: str, raw: bytes, problems: ProblemLog):
        self.name, self.problems = name, problems
        self.extras: tuple[str, ...] = ()
        self.header: list[str] | None = None  # None: the rows cannot be read
        # Decoded as it is read, a few kB at a time: the whole text in a StringIO would cost
        # four bytes a character besides the file's own bytes.
        text = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8-sig", newline="")
        self._reader = csv.reader(text)
        try:
            header = [column.strip() for column in next(self._reader, [])]
        except csv.Error as error:
            self.add(1, "", f"unreadable CSV: {error}")
            return
        if any("\x00" in column for column in header):
            # Text never holds NUL; a header full of them is UTF-16 read as UTF-8.
            self.add(1, "", "NUL bytes in the header row: the file is not UTF-8 text (UTF-16?)")
            return
        expected = formats.COLUMNS[name]
        optional = formats.OPTIONAL_COLUMNS.get(name, ())
        self.extras = tuple(column for column in optional if column in header)
        missing = [column for column in expected if column not in header]
        for column in missing:
            self.add(1, column, "missing column in the header row")
        unknown = [column for column in header if column not in (*expected, *optional)]
        for column in unknown:
            known = ", ".join(expected) + (
                f" and optionally {', '.join(optional)}" if optional else ""
            )
            self.add(1, column, f"unknown column (expected: {known})")
        if not missing and not unknown:
            self.header = header

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(row number, cells by column) of every readable row, until the file ends or is
        clearly in another format."""
        if self.header is None:
            return
        header, bad_run = self.header, 0
        try:
            for number, cells in enumerate(self._reader, start=2):
                if not any(cell.strip() for cell in cells):
                    continue  # blank lines, as spreadsheets leave at the end
                if bad_run == UNREADABLE_RUN:
                    self.add(
                        number,
                        "",
                        f"not read, nor anything after it: the {UNREADABLE_RUN} rows before it "
                        f"all have problems, so this does not look like a bundle's {self.name} "
                        "(check its columns, separator, dates and values)",
                    )
                    return
                before = len(self.problems)
                row = self._row(number, header, cells)
                if row is not None:
                    yield number, row  # checked by the caller before the next is read
                bad_run = bad_run + 1 if len(self.problems) > before else 0
        except csv.Error as error:
            self.add(self._reader.line_num, "", f"unreadable CSV: {error}")

    def _row(self, number: int, header: list[str], cells: list[str]) -> dict[str, str] | None:
        if len(cells) != len(header):
            self.add(number, "", f"{len(cells)} cells where the header has {len(header)}")
            return None
        nul = [column for column, cell in zip(header, cells, strict=True) if "\x00" in cell]
        for column in nul:
            self.add(number, column, "contains a NUL byte, which text cannot hold")
        if nul:
            return None
        # Free text keeps its spaces (a round trip must be lossless); ids, dates, numbers and
        # codes are read without the spaces around them.
        return {
            column: formats.unneutralise(cell if column in FREE_TEXT else cell.strip())
            for column, cell in zip(header, cells, strict=True)
        }

    def add(self, row: int, column: str, reason: str) -> None:
        self.problems.add(Problem(self.name, row, column, reason))


def _date(file: _File, number: int, column: str, value: str, *, today: datetime.date):
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        file.add(number, column, f"“{value}” is not a date (YYYY-MM-DD)" if value else "required")
        return None
    if len(value) != 10:
        file.add(number, column, f"“{value}” is not a date (YYYY-MM-DD)")
        return None
    if day > today + datetime.timedelta(days=1):
        file.add(number, column, f"{value} is in the future")
        return None
    if day < EARLIEST_EVIDENCE:
        file.add(number, column, f"{value} is before {EARLIEST_EVIDENCE.year}: check the year")
        return None
    return day


def _required(file: _File, number: int, row: dict[str, str], column: str, limit: int):
    value = row[column]
    if not value.strip():
        file.add(number, column, "required")
        return None
    if len(value) > limit:
        file.add(number, column, f"longer than {limit} characters")
        return None
    return value


def _unique_id(file: _File, number: int, row: dict[str, str], seen: dict[str, int]):
    """The row's external id, required and not used by an earlier row of the file."""
    external_id = _required(file, number, row, "external_id", 100)
    if external_id in seen:
        file.add(
            number, "external_id", f"duplicate id “{external_id}” (also on row {seen[external_id]})"
        )
    elif external_id:
        seen[external_id] = number
    return external_id


def _choice(file: _File, number: int, column: str, value: str, allowed, *, default=None):
    if not value and default is not None:
        return default
    if value not in allowed:
        file.add(number, column, f"“{value}” is not one of: {', '.join(allowed)}")
        return None
    return value


def _amount(file: _File, number: int, column: str, value: str) -> Decimal:
    """An amount of money: 0 or more, below a trillion, to the cent (0 when it is not one)."""
    try:
        amount = Decimal(value)
        if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
            raise InvalidOperation
        return amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        file.add(number, column, f"“{value}” is not an amount of 0 or more")
        return Decimal(0)


def _accounts(file: _File, bundle: Bundle, today: datetime.date) -> None:
    """Check accounts.csv row by row; the good rows go to `bundle.accounts`, and every owner
    and id any row names to `bundle.references` and `bundle.account_ids`."""
    bundle.account_extras = file.extras
    seen: dict[str, int] = {}
    for number, row in file.rows():
        before = len(file.problems)
        external_id = _unique_id(file, number, row, seen)
        name = _required(file, number, row, "name", 200)
        owner = _required(file, number, row, "owner_username", 150)
        if len(row["industry"]) > 100:
            file.add(number, "industry", "longer than 100 characters")
        revenue = Decimal(0)
        if row["annual_revenue"]:
            revenue = _amount(file, number, "annual_revenue", row["annual_revenue"])
        potential = _choice(
            file,
            number,
            "partnership_potential",
            row["partnership_potential"],
            tuple(formats.POTENTIAL_FROM_FILE),
            default="unknown",
        )
        status = _choice(file, number, "status", row["status"], formats.STATUSES, default="active")
        if external_id:
            bundle.account_ids.add(external_id)
        if owner:
            bundle.references.append(
                References(
                    file.name,
                    number,
                    owner_username=owner,
                    account_external_id=external_id or "",
                    status=status,
                )
            )
        lost_on = None
        if status == "lost" or (status == "archived" and row["lost_on"]):
            lost_on = _date(file, number, "lost_on", row["lost_on"], today=today)
        elif row["lost_on"]:
            file.add(number, "lost_on", "only a lost (or archived lost) account has a loss date")
        extras = _account_extras(file, number, row, today=today)
        if "email_domains" in row:
            extras["email_domains"] = _domains(file, number, row["email_domains"])
        extras |= _loss(file, number, row, lost=lost_on is not None)
        if len(file.problems) == before:
            bundle.accounts.append(
                {
                    "row": number,
                    "external_id": external_id,
                    "name": name,
                    "industry": row["industry"],
                    "owner_username": owner,
                    "annual_revenue": revenue,
                    "partnership_potential": formats.POTENTIAL_FROM_FILE[potential],
                    "status": status,
                    "lost_on": lost_on,
                    **extras,
                }
            )


def _account_extras(
    file: _File, number: int, row: dict[str, str], *, today: datetime.date
) -> dict[str, Any]:
    """The optional columns the file has: the mission and our plan for the account."""
    extras: dict[str, Any] = {
        column: row[column] for column in ("mission", "objective") if column in row
    }
    if "pressures" in row:
        lines = [line.strip() for line in row["pressures"].splitlines()]
        extras["pressures"] = [line for line in lines if line]
        if any(len(line) > 200 for line in extras["pressures"]):
            file.add(number, "pressures", "one pressure per line, each of at most 200 characters")
    if "next_step" in row:
        if len(row["next_step"]) > 300:
            file.add(number, "next_step", "longer than 300 characters")
        extras["next_step"] = row["next_step"]
    if "next_step_due" in row:
        due = None
        if row["next_step_due"]:
            try:
                due = datetime.date.fromisoformat(row["next_step_due"])
            except ValueError:
                file.add(
                    number, "next_step_due", f"“{row['next_step_due']}” is not a date (YYYY-MM-DD)"
                )
            else:
                if not EARLIEST_EVIDENCE <= due <= today + NEXT_STEP_HORIZON:
                    file.add(
                        number,
                        "next_step_due",
                        f"{due} is not within {EARLIEST_EVIDENCE.year} and five years from now",
                    )
                if not row.get("next_step", "").strip():
                    file.add(
                        number, "next_step_due", "a due date needs a next_step on the same row"
                    )
        extras["next_step_due"] = due
    return extras


def _loss(file: _File, number: int, row: dict[str, str], *, lost: bool) -> dict[str, str]:
    """Why the account was lost and the note about it, if the file has those columns; only a
    lost (or archived lost) account has them."""
    loss = {column: row[column].strip() for column in ("lost_reason", "lost_note") if column in row}
    reason = loss.get("lost_reason", "")
    if reason and reason not in formats.LOST_REASONS:
        file.add(
            number,
            "lost_reason",
            f"“{reason[:60]}” is not empty or one of: {', '.join(formats.LOST_REASONS)}",
        )
    if len(loss.get("lost_note", "")) > 2000:
        file.add(number, "lost_note", "longer than 2000 characters")
    for column, value in loss.items():
        if value and not lost:
            file.add(number, column, "only a lost account has a loss reason or note")
    return loss


def _domains(file: _File, number: int, cell: str) -> list[str]:
    """The email domains of one cell, normalised; a malformed one is a problem."""
    items = re.split(rf"[{formats.DOMAIN_SEPARATOR},\n]", cell)
    domains = sorted({normalise_domain(item) for item in items if normalise_domain(item)})
    for domain in domains:
        try:
            validate_domain(domain)
        except ValidationError:
            file.add(number, "email_domains", f"“{domain[:60]}” is not an email domain")
    return domains


def _interactions(file: _File, bundle: Bundle, today: datetime.date) -> None:
    seen: dict[str, int] = {}
    for number, row in file.rows():
        before = len(file.problems)
        external_id = _unique_id(file, number, row, seen)
        account = _required(file, number, row, "account_external_id", 100)
        occurred_on = _date(file, number, "occurred_on", row["occurred_on"], today=today)
        kind = _choice(file, number, "kind", row["kind"], formats.KINDS)
        by_client = _choice(
            file,
            number,
            "initiated_by_client",
            row["initiated_by_client"].lower(),
            tuple(formats.BOOLEANS),
            default="false",
        )
        slugs = [s.strip() for s in row["signals"].split(formats.SIGNAL_SEPARATOR) if s.strip()]
        bundle.references.append(
            References(
                file.name,
                number,
                account_external_id=account or "",
                signals=tuple(slugs),
                interaction_external_id=external_id or "",
            )
        )
        if len(file.problems) == before:
            bundle.interactions.append(
                {
                    "row": number,
                    "external_id": external_id,
                    "account_external_id": account,
                    "occurred_on": occurred_on,
                    "kind": kind,
                    "initiated_by_client": formats.BOOLEANS[by_client],
                    "notes": row["notes"],
                    "signals": sorted(slugs),
                }
            )


def _assessments(file: _File, bundle: Bundle, today: datetime.date) -> None:
    seen: dict[tuple[str, datetime.date], int] = {}
    for number, row in file.rows():
        before = len(file.problems)
        account = _required(file, number, row, "account_external_id", 100)
        assessed_on = _date(file, number, "assessed_on", row["assessed_on"], today=today)
        relevance = None
        try:
            relevance = int(row["relevance"])
            if not 1 <= relevance <= 5:
                raise ValueError
        except ValueError:
            file.add(number, "relevance", f"“{row['relevance']}” is not a whole number from 1 to 5")
        stage = row["client_perceived_stage"]
        if stage and stage not in formats.STAGES:
            file.add(
                number,
                "client_perceived_stage",
                f"“{stage}” is not empty or one of: {', '.join(formats.STAGES)}",
            )
        if account:
            bundle.references.append(References(file.name, number, account_external_id=account))
        key = (account, assessed_on)
        if account and assessed_on and key in seen:
            file.add(
                number,
                "assessed_on",
                f"a second assessment of that account that day (row {seen[key]})",
            )
        elif account and assessed_on:
            seen[key] = number
        if len(file.problems) == before:
            bundle.assessments.append(
                {
                    "row": number,
                    "account_external_id": account,
                    "assessed_on": assessed_on,
                    "relevance": relevance,
                    "client_perceived_stage": stage,
                }
            )


def _contact_fields(file: _File, number: int, row: dict[str, str]) -> dict[str, Any]:
    """A contacts.csv row's own fields, checked."""
    for column, limit in (("title", 200), ("phone", 40)):
        if len(row[column]) > limit:
            file.add(number, column, f"longer than {limit} characters")
    email = row["email"].strip()
    for column in ("email", "reports_to"):
        value = row[column].strip()
        if value and (column == "email" or "@" in value):
            try:
                validate_email(value)
            except ValidationError:
                file.add(number, column, f"“{value[:60]}” is not an email address")
    if len(email) > 254:
        file.add(number, "email", "longer than 254 characters")
    if row["phone"] and not re.fullmatch(r"[0-9+()./ -]*", row["phone"]):
        file.add(number, "phone", "digits, spaces and + ( ) - . / only")
    role = _choice(file, number, "role", row["role"], formats.ROLES, default="user")
    champion = _choice(
        file, number, "champion", row["champion"].lower(), tuple(formats.BOOLEANS), default="false"
    )
    if role == "blocker" and champion == "true":
        file.add(number, "champion", "a blocker cannot be our champion")
    return {
        "title": row["title"].strip(),
        "email": email,
        "phone": row["phone"].strip(),
        "role": role,
        "is_champion": formats.BOOLEANS.get(champion or "false", False),
        # A contact_id, an address (any capitals) or a name (a name is matched in any capitals).
        "reports_to": row["reports_to"].strip().lower(),
    }


def contact_key(email: str, name: str) -> str:
    """How a person without a contact_id is known at an account: their address, or their name
    without one."""
    return email.strip().lower() or f"name:{name.strip().lower()}"


def _contact_id(file: _File, number: int, row: dict[str, str]) -> int | None:
    """The row's contact_id, if the file has the column and the row a value: the app's id."""
    value = row.get("contact_id", "")
    if not value:
        return None
    if not re.fullmatch(r"[0-9]{1,18}", value) or int(value) == 0:
        file.add(number, "contact_id", f"“{value[:60]}” is not a contact id (a whole number)")
        return None
    return int(value)


@dataclass
class _People:
    """The people of contacts.csv by account, every row with an account and a name (rows with
    problems too), as `reports_to` may name them: by contact_id, email or name."""

    by_id: dict[int, tuple[str, int]] = field(default_factory=dict)  # -> (account, row)
    by_email: dict[tuple[str, str], int] = field(default_factory=dict)  # -> row
    # People without an address, by name: several when their rows have contact_ids.
    by_name: defaultdict[tuple[str, str], list[int]] = field(
        default_factory=lambda: defaultdict(list)
    )
    unidentified: dict[tuple[str, str], int] = field(default_factory=dict)  # no id, no email

    def add(
        self, file: _File, number: int, account: str, contact_id: int | None, email: str, name: str
    ) -> None:
        """Note the row, and the problem if it is a person an earlier row already is."""
        email = email.lower()
        if contact_id is not None:
            if contact_id in self.by_id:
                earlier = self.by_id[contact_id][1]
                file.add(number, "contact_id", f"the same contact_id twice (also on row {earlier})")
                return
            self.by_id[contact_id] = (account, number)
        if email:
            if (account, email) in self.by_email:
                earlier = self.by_email[(account, email)]
                file.add(number, "email", f"the same person twice at that account (row {earlier})")
                return
            self.by_email[(account, email)] = number
            return
        key = (account, name.strip().lower())
        if contact_id is None:
            if key in self.unidentified:
                file.add(
                    number,
                    "email",
                    f"the same person twice at that account (row {self.unidentified[key]}); "
                    "to keep two people of one name, give each a contact_id or an email",
                )
                return
            self.unidentified[key] = number
        self.by_name[key].append(number)

    def manager_row(self, account: str, reference: str) -> int | str:
        """The row of the person `reference` (a contact_id, an address or a name) names at the
        account, or why there is none."""
        if reference.isdigit():
            account_and_row = self.by_id.get(int(reference))
            if account_and_row is None or account_and_row[0] != account:
                return f"no person with contact_id {reference} at the same account in this file"
            return account_and_row[1]
        if "@" in reference:
            row = self.by_email.get((account, reference))
            return row or f"“{reference[:60]}” is not a person of the same account in this file"
        rows = self.by_name.get((account, reference), [])
        if len(rows) > 1:
            return (
                f"{len(rows)} people of the same account are called “{reference[:60]}” "
                "(rows " + ", ".join(map(str, rows)) + "): name the manager by contact_id"
            )
        return (
            rows[0]
            if rows
            else (f"“{reference[:60]}” is not a person of the same account in this file")
        )


def _contacts(file: _File, bundle: Bundle, today: datetime.date) -> None:
    """Check contacts.csv row by row: one row per person and account, each person known by
    contact_id, else by email, else by name; reports_to naming another person of the file's
    account, in chains that end."""
    bundle.contact_file = True
    people = _People()
    for number, row in file.rows():
        before = len(file.problems)
        account = _required(file, number, row, "account_external_id", 100)
        name = _required(file, number, row, "name", 200)
        contact_id = _contact_id(file, number, row)
        fields = _contact_fields(file, number, row)
        left_on = None
        if row["left_on"]:
            left_on = _date(file, number, "left_on", row["left_on"], today=today)
        if account:
            bundle.references.append(References(file.name, number, account_external_id=account))
        if account and name:
            people.add(file, number, account, contact_id, fields["email"], name)
        if len(file.problems) == before:
            bundle.contacts.append(
                {
                    "row": number,
                    "account_external_id": account,
                    "name": name,
                    "contact_id": contact_id,
                    "left_on": left_on,
                    **fields,
                }
            )
    for contact in bundle.contacts:
        contact["manager_row"] = None
        if not contact["reports_to"]:
            continue
        manager = people.manager_row(contact["account_external_id"], contact["reports_to"])
        if isinstance(manager, str):
            file.add(contact["row"], "reports_to", manager)
        elif manager == contact["row"]:
            file.add(contact["row"], "reports_to", "a person cannot report to themselves")
        else:
            contact["manager_row"] = manager
    _loops(file, bundle.contacts)


def _loops(file: _File, contacts: list[dict[str, Any]]) -> None:
    """A problem on every row of a reports_to chain that comes back to where it started (A
    reports to B, B to A): someone in it must report to no one in it."""
    manager_of = {c["row"]: c["manager_row"] for c in contacts if c["manager_row"] is not None}
    done: set[int] = set()
    for start in manager_of:
        path: list[int] = []
        on_path: set[int] = set()
        row: int | None = start
        while row is not None and row not in done and row not in on_path:
            path.append(row)
            on_path.add(row)
            row = manager_of.get(row)
        if row is not None and row in on_path:
            loop = path[path.index(row) :]
            chain = " → ".join(f"row {r}" for r in [*loop, loop[0]])
            for member in sorted(loop):
                file.add(member, "reports_to", f"a loop of managers: {chain}")
        done |= on_path


def read_bundle(files: dict[str, bytes], *, today: datetime.date) -> Bundle:
    """Check and type every row of the given files (by file name)."""
    bundle = Bundle()
    for name in formats.REQUIRED_FILES:
        if name not in files:
            bundle.problems.add(Problem(name, 0, "", "file missing from the bundle"))
    for name, check in (
        (formats.ACCOUNTS, _accounts),
        (formats.INTERACTIONS, _interactions),
        (formats.ASSESSMENTS, _assessments),
        (formats.CONTACTS, _contacts),
    ):
        if name not in files:
            continue
        problem = utf8_problem(name, files[name])
        if problem:
            bundle.problems.add(problem)
            continue
        check(_File(name, files[name], bundle.problems), bundle, today)
    return bundle
