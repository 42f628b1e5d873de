"""contacts.csv and the accounts' email domains in the CSV bundle."""

from __future__ import annotations

import datetime

from accounts.models import Account, AccountDomain, AccountStatus
from relationships.csv_bundle.exporter import portfolio_export
from relationships.models import Contact
from scoring.use_cases import portfolio_import
from tests.factories import AccountFactory

TODAY = datetime.date(2026, 11, 20)
HEADER = (
    "external_id,name,industry,owner_username,annual_revenue,partnership_potential,status,"
    "lost_on,email_domains\n"
)
ACCOUNTS = HEADER + (
    "A1,Northwind Freight,Logistics,alice,250000,regular,active,,northwind.example;NW.example\n"
    "A2,Bluepeak Foods,Food,alice,1000,regular,lost,2026-06-30,bluepeak.example\n"
)
INTERACTIONS = (
    "external_id,account_external_id,occurred_on,kind,initiated_by_client,notes,signals\n"
)
CONTACTS = (
    "account_external_id,name,title,email,phone,role,champion,reports_to,left_on\n"
    "A1,Dana Reyes,COO,dana@northwind.example,+44 20 7946 0000,economic_buyer,true,,\n"
    "A1,Ola Berg,Buyer,Ola@Northwind.example,,user,false,dana@northwind.example,\n"
    "A1,Sam Nobody,,,,blocker,false,Dana@northwind.example,2026-05-01\n"
)


def _import(accounts=ACCOUNTS, contacts=CONTACTS, dry_run=False, actor=None):
    files = {"accounts.csv": accounts.encode(), "interactions.csv": INTERACTIONS.encode()}
    if contacts is not None:
        files["contacts.csv"] = contacts.encode()
    return portfolio_import(files=files, dry_run=dry_run, today=TODAY, workers=1, actor=actor)


def test_it_imports_contacts_and_the_domains_of_accounts(alice):
    report = _import()

    assert report.ok, list(report.problems)
    northwind = Account.objects.get(external_id="A1")
    assert sorted(northwind.domains.values_list("domain", "claimed")) == [
        ("northwind.example", True),
        ("nw.example", True),
    ]
    # A lost account keeps its domains without holding them.
    assert list(AccountDomain.objects.filter(account__external_id="A2").values_list("claimed")) == [
        (False,)
    ]
    dana = Contact.objects.get(email="dana@northwind.example")
    assert (dana.role, dana.is_champion, dana.phone) == ("economic_buyer", True, "+44 20 7946 0000")
    ola = Contact.objects.get(name="Ola Berg")
    assert ola.reports_to == dana
    gone = Contact.objects.get(name="Sam Nobody")
    assert (gone.left_on, gone.reports_to, gone.role) == (
        datetime.date(2026, 5, 1),
        dana,
        "blocker",
    )
    assert report.count("contacts", "created") == 3
    assert "contacts: 3 created, 0 updated, 0 unchanged" in report.lines()


def test_importing_contacts_again_changes_nothing_and_updates_by_email(alice):
    _import()
    again = _import()
    assert again.count("contacts", "unchanged") == 3

    changed = CONTACTS.replace("COO,dana@", "CEO,DANA@")
    report = _import(contacts=changed)
    assert report.count("contacts", "updated") == 1
    assert Contact.objects.filter(name="Dana Reyes").get().title == "CEO"
    assert Contact.objects.count() == 3


def test_an_export_imports_back_unchanged(alice):
    _import()
    files = portfolio_export()
    assert "northwind.example;nw.example" in files["accounts.csv"]
    dana, ola = (Contact.objects.get(name=name) for name in ("Dana Reyes", "Ola Berg"))
    assert files["contacts.csv"].startswith("contact_id,account_external_id,name,")
    assert (
        f"{ola.pk},A1,Ola Berg,Buyer,Ola@Northwind.example,,user,false,{dana.pk},"
        in (files["contacts.csv"])
    )
    report = portfolio_import(
        files={name: text.encode() for name, text in files.items()},
        dry_run=False,
        today=TODAY,
        workers=1,
    )
    assert report.ok, list(report.problems)
    assert report.changes == 0, report.lines()


def test_a_bad_contact_row_imports_nothing_and_says_where(alice):
    contacts = CONTACTS + (
        "A1,Twin,,dana@northwind.example,,user,false,,\n"
        "A1,Pat,,not-an-address,12ab,boss,maybe,nobody@northwind.example,\n"
        "A9,Ghost,,,,user,false,,\n"
        "A1,Blocky,,,,blocker,true,,\n"
        "A1,Lee,,,,user,false,nobody@northwind.example,\n"
    )
    report = _import(contacts=contacts)

    assert not report.ok
    where = {(p.file, p.row, p.column) for p in report.problems}
    assert ("contacts.csv", 5, "email") in where  # the same person twice
    assert {
        ("contacts.csv", 6, "email"),
        ("contacts.csv", 6, "phone"),
        ("contacts.csv", 6, "role"),
        ("contacts.csv", 6, "champion"),
        ("contacts.csv", 7, "account_external_id"),
        ("contacts.csv", 8, "champion"),
        ("contacts.csv", 9, "reports_to"),
    } <= where
    assert Account.objects.count() == 0 and Contact.objects.count() == 0


def test_a_domain_another_active_account_holds_is_refused(alice):
    other = AccountFactory(owner=alice, name="Harbour Lines")
    AccountDomain.objects.create(account=other, domain="nw.example")

    report = _import()

    assert not report.ok
    problem = next(iter(report.problems))
    assert (problem.file, problem.row, problem.column) == ("accounts.csv", 2, "email_domains")
    assert "nw.example is the domain of Harbour Lines" in problem.reason
    assert not Account.objects.filter(external_id="A1").exists()


def test_two_rows_with_one_domain_are_refused(alice):
    accounts = HEADER + (
        "A1,Northwind Freight,,alice,1,regular,active,,shared.example\n"
        "A2,Bluepeak Foods,,alice,1,regular,active,,SHARED.example\n"
    )
    report = _import(accounts=accounts, contacts=None)
    assert [(p.row, p.column, p.reason) for p in report.problems] == [
        (
            3,
            "email_domains",
            "shared.example is also on row 2; a domain belongs to one active account",
        )
    ]
    assert Account.objects.count() == 0


def test_a_malformed_domain_is_refused(alice):
    accounts = HEADER + "A3,Harbour Lines,,alice,1,regular,active,,not a domain\n"
    report = _import(accounts=accounts, contacts=None)
    assert [(p.row, p.column, p.reason) for p in report.problems] == [
        (2, "email_domains", "“not a domain” is not an email domain")
    ]


def test_archived_accounts_import_with_or_without_a_loss(alice):
    accounts = HEADER + (
        "A1,Northwind Freight,,alice,1,regular,archived,,northwind.example\n"
        "A2,Bluepeak Foods,,alice,1,regular,archived,2026-06-30,\n"
    )
    report = _import(accounts=accounts, contacts=None)
    assert report.ok, list(report.problems)
    northwind, bluepeak = Account.objects.order_by("external_id")
    assert (northwind.status, northwind.lost_on) == (AccountStatus.ARCHIVED, None)
    assert (bluepeak.status, bluepeak.lost_on) == ("archived", datetime.date(2026, 6, 30))
    assert not AccountDomain.objects.get(domain="northwind.example").claimed


def test_a_dry_run_of_contacts_writes_nothing(alice):
    report = _import(dry_run=True)
    assert report.ok and report.count("contacts", "created") == 3
    assert Contact.objects.count() == 0 and AccountDomain.objects.count() == 0


def test_why_an_account_was_lost_travels_with_it(alice):
    accounts = (
        HEADER.replace("email_domains", "email_domains,lost_reason,lost_note")
        + "A1,Northwind Freight,,alice,1,regular,active,,,,\n"
        + "A2,Bluepeak Foods,,alice,1,regular,lost,2026-06-30,,competitor,Cheaper bid.\n"
    )
    assert _import(accounts=accounts, contacts=None).ok
    bluepeak = Account.objects.get(external_id="A2")
    assert (bluepeak.lost_reason, bluepeak.lost_note) == ("competitor", "Cheaper bid.")
    assert ",competitor,Cheaper bid." in portfolio_export()["accounts.csv"]

    refused = _import(
        accounts=accounts.replace(",,,,\n", ",,,price,\n").replace("competitor", "whim"),
        contacts=None,
    )
    assert {(p.row, p.column) for p in refused.problems} == {
        (2, "lost_reason"),
        (3, "lost_reason"),
    }


def _export_import(dry_run=False):
    files = portfolio_export()
    return files, portfolio_import(
        files={name: text.encode() for name, text in files.items()},
        dry_run=dry_run,
        today=TODAY,
        workers=1,
    )


def test_two_people_of_one_name_without_email_round_trip(alice):
    """Contacts from before emails existed: an export tells them apart by contact_id."""
    _import(contacts=None)
    northwind = Account.objects.get(external_id="A1")
    senior = Contact.objects.create(account=northwind, name="John Smith", title="CFO")
    junior = Contact.objects.create(
        account=northwind, name="John Smith", title="Analyst", reports_to=senior
    )
    before = sorted(Contact.objects.values_list("pk", "name", "title", "reports_to"))

    files, dry = _export_import(dry_run=True)
    assert dry.ok, list(dry.problems)
    assert f"{junior.pk},A1,John Smith,Analyst,,,user,false,{senior.pk}," in files["contacts.csv"]
    _, report = _export_import()

    assert report.ok, list(report.problems)
    assert report.changes == 0, report.lines()
    assert report.count("contacts", "unchanged") == 2
    assert sorted(Contact.objects.values_list("pk", "name", "title", "reports_to")) == before


def test_a_contact_id_updates_that_person_and_names_a_manager(alice):
    _import(contacts=None)
    northwind = Account.objects.get(external_id="A1")
    first = Contact.objects.create(account=northwind, name="John Smith")
    second = Contact.objects.create(account=northwind, name="John Smith")
    contacts = (
        "contact_id,account_external_id,name,title,email,phone,role,champion,reports_to,left_on\n"
        f"{second.pk},A1,John Smith,CTO,,,user,false,,\n"
        f"{first.pk},A1,John Smith,Engineer,john@northwind.example,,user,false,{second.pk},\n"
        ",A1,Kim Lee,,,,user,false,JOHN@northwind.example,\n"
    )
    report = _import(contacts=contacts)

    assert report.ok, list(report.problems)
    assert (report.count("contacts", "created"), report.count("contacts", "updated")) == (1, 2)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.title, first.email, first.reports_to) == (
        "Engineer",
        "john@northwind.example",
        second,
    )
    assert (second.title, second.reports_to) == ("CTO", None)
    assert Contact.objects.get(name="Kim Lee").reports_to == first


def test_a_name_two_people_share_is_a_problem_without_their_ids(alice):
    _import(contacts=None)
    northwind = Account.objects.get(external_id="A1")
    Contact.objects.create(account=northwind, name="John Smith")
    Contact.objects.create(account=northwind, name="John Smith")
    twice = (
        CONTACTS.split("\n")[0] + "\nA1,John Smith,,,,user,false,,\nA1,John Smith,,,,user,false,,\n"
    )
    in_app = CONTACTS.split("\n")[0] + "\nA1,John Smith,CFO,,,user,false,,\n"

    refused = _import(contacts=twice)
    assert [(p.row, p.column) for p in refused.problems] == [(3, "email")]
    assert "give each a contact_id or an email" in next(iter(refused.problems)).reason
    report = _import(contacts=in_app)
    assert [(p.row, p.column) for p in report.problems] == [(2, "contact_id")]
    assert "2 people of that account are called “John Smith”" in next(iter(report.problems)).reason
    assert not Contact.objects.filter(title="CFO").exists()


def test_a_contact_id_of_another_account_is_refused_and_one_of_no_one_is_a_new_person(alice):
    _import(contacts=None)
    bluepeak = Account.objects.get(external_id="A2")
    stranger = Contact.objects.create(account=bluepeak, name="Ann Other", title="Buyer")
    unknown = stranger.pk + 1000
    header = (
        "contact_id,account_external_id,name,title,email,phone,role,champion,reports_to,left_on\n"
    )
    contacts = header + (
        f"{stranger.pk},A1,Ann Other,Spy,,,user,false,,\n"
        f"{unknown},A1,Nobody,,,,user,false,,\n"
        "x1,A1,Typo,,,,user,false,,\n"
    )
    report = _import(contacts=contacts)

    # A malformed id is a problem of the file, named before the app is asked about the others.
    assert [(p.file, p.row, p.column) for p in report.problems] == [
        ("contacts.csv", 4, "contact_id")
    ]
    fixed = _import(contacts=contacts.replace("x1,", ","))
    assert [(p.file, p.row, p.column) for p in fixed.problems] == [
        ("contacts.csv", 2, "contact_id"),
    ]
    assert (
        f"contact_id {stranger.pk} is a person of another account"
        in next(iter(fixed.problems)).reason
    )
    stranger.refresh_from_db()
    assert (stranger.account, stranger.title) == (bluepeak, "Buyer")
    assert Contact.objects.count() == 1

    # From another installation: ids nobody holds here are new people, linked by those ids.
    moved = header + (
        f"{unknown},A1,Nobody,,,,user,false,,\n{unknown + 1},A1,Kim Park,,,,user,false,{unknown},\n"
    )
    report = _import(contacts=moved)
    assert not report.problems
    kim = Contact.objects.get(name="Kim Park")
    assert kim.account.external_id == "A1" and kim.reports_to.name == "Nobody"


def test_a_loop_of_managers_is_refused(alice):
    contacts = (
        CONTACTS.split("\n")[0] + "\n"
        "A1,Ann,,ann@northwind.example,,user,false,Bob,\n"
        "A1,Bob,,,,user,false,ann@northwind.example,\n"
        "A1,Cy,,,,user,false,Bob,\n"
        "A1,Di,,,,user,false,Di,\n"
    )
    report = _import(contacts=contacts)

    assert [(p.row, p.column, p.reason) for p in report.problems] == [
        (2, "reports_to", "a loop of managers: row 2 → row 3 → row 2"),
        (3, "reports_to", "a loop of managers: row 2 → row 3 → row 2"),
        (5, "reports_to", "a person cannot report to themselves"),
    ]
    assert Account.objects.count() == 0 and Contact.objects.count() == 0
