"""Importing and exporting the portfolio as a CSV bundle."""

import datetime
import io
import re
import tracemalloc
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Account
from relationships.csv_bundle import forms
from relationships.csv_bundle.exporter import portfolio_export
from relationships.csv_bundle.reader import Problem, read_bundle
from relationships.models import Assessment, ExternalPressure, Interaction, TrustSignal
from scoring.models import ScoreSnapshot
from scoring.use_cases import portfolio_import

TODAY = datetime.date(2026, 11, 20)

ACCOUNTS = (
    (
        "external_id,name,industry,owner_username,annual_revenue,partnership_potential,status,lost_on\n"
    )
    + """A1,Northwind Freight,Logistics,alice,250000,could_become_partner,active,
A2,Bluepeak Foods,Food,alice,120000.50,regular,lost,2026-06-30
"""
)
INTERACTIONS = """external_id,account_external_id,occurred_on,kind,initiated_by_client,notes,signals
I1,A1,2026-03-02,meeting,true,Quarterly plan,invited_to_planning;early_notice_of_plans
I2,A1,2026-04-10,call,false,,
I3,A2,2026-05-01,workshop,false,"Notes, with a comma",delivery_miss
"""
ASSESSMENTS = """account_external_id,assessed_on,relevance,client_perceived_stage
A1,2026-04-01,4,confidant
A2,2026-05-02,2,
"""


def _bundle(accounts=ACCOUNTS, interactions=INTERACTIONS, assessments=ASSESSMENTS):
    files = {"accounts.csv": accounts.encode(), "interactions.csv": interactions.encode()}
    if assessments is not None:
        files["assessments.csv"] = assessments.encode()
    return files


def _import(files, dry_run=False):
    return portfolio_import(files=files, dry_run=dry_run, today=TODAY, workers=1)


def test_it_imports_accounts_interactions_signals_and_assessments(alice):
    report = _import(_bundle())

    assert report.ok, report.problems
    northwind = Account.objects.get(external_id="A1")
    assert (northwind.owner, northwind.partnership_potential) == (alice, "could_partner")
    lost = Account.objects.get(external_id="A2")
    assert (lost.status, lost.lost_on) == ("lost", datetime.date(2026, 6, 30))
    assert str(lost.annual_revenue) == "120000.50"
    plan = Interaction.objects.get(external_id="I1")
    assert plan.initiated_by_client and plan.notes == "Quarterly plan"
    assert sorted(plan.signals.values_list("signal_type__slug", flat=True)) == [
        "early_notice_of_plans",
        "invited_to_planning",
    ]
    assert Interaction.objects.get(external_id="I3").notes == "Notes, with a comma"
    assert Assessment.objects.get(account=northwind).client_perceived_stage == "confidant"
    assert report.count("accounts", "created") == 2
    assert report.count("signals", "created") == 3
    # Imported accounts are scored at once.
    assert ScoreSnapshot.objects.filter(account=northwind, is_latest=True).exists()
    assert report.rescored_accounts == 2


def test_importing_the_same_files_again_changes_nothing(alice):
    _import(_bundle())
    snapshot_ids = set(ScoreSnapshot.objects.values_list("pk", flat=True))

    again = _import(_bundle())

    assert again.changes == 0
    assert again.count("interactions", "unchanged") == 3
    assert Interaction.objects.count() == 3 and TrustSignal.objects.count() == 3
    assert set(ScoreSnapshot.objects.values_list("pk", flat=True)) == snapshot_ids


def test_a_changed_row_updates_and_its_signals_follow_the_file(alice):
    _import(_bundle())
    changed = INTERACTIONS.replace(
        "invited_to_planning;early_notice_of_plans", "invited_to_planning;strategy_advice_requested"
    )

    report = _import(_bundle(interactions=changed))

    assert report.count("interactions", "unchanged") == 3  # the row itself did not change
    assert report.count("signals", "created") == 1 and report.count("signals", "removed") == 1
    slugs = Interaction.objects.get(external_id="I1").signals.values_list(
        "signal_type__slug", flat=True
    )
    assert sorted(slugs) == ["invited_to_planning", "strategy_advice_requested"]


def test_a_dry_run_reports_and_writes_nothing(alice):
    report = _import(_bundle(), dry_run=True)

    assert report.ok and report.dry_run
    assert report.count("accounts", "created") == 2
    assert report.count("interactions", "created") == 3
    assert not Account.objects.exists() and not Interaction.objects.exists()


def test_a_bad_bundle_imports_nothing_and_reports_every_problem(alice):
    accounts = ACCOUNTS + "A3,Harbour,Shipping,nobody,-5,best_friends,active,\nA1,Dup,,alice,1,,,\n"
    interactions = (
        INTERACTIONS
        + "I4,A9,2026-02-30,meeting,maybe,,\n"
        + "I5,A1,2999-01-01,dance,false,,invited_to_planning;telepathy\n"
        + "I1,A1,2026-03-02,meeting,false,,\n"
    )
    assessments = ASSESSMENTS + "A1,2026-04-01,7,friend\n"

    report = _import(_bundle(accounts, interactions, assessments))

    assert not report.ok
    assert set(report.problems) >= {
        Problem("accounts.csv", 4, "annual_revenue", "“-5” is not an amount of 0 or more"),
        Problem(
            "accounts.csv",
            4,
            "partnership_potential",
            "“best_friends” is not one of: "
            "unknown, regular, could_become_partner, strategic_target",
        ),
        Problem("accounts.csv", 5, "external_id", "duplicate id “A1” (also on row 2)"),
        Problem("interactions.csv", 5, "occurred_on", "“2026-02-30” is not a date (YYYY-MM-DD)"),
        Problem("interactions.csv", 5, "initiated_by_client", "“maybe” is not one of: true, false"),
        Problem("interactions.csv", 6, "occurred_on", "2999-01-01 is in the future"),
        Problem("interactions.csv", 7, "external_id", "duplicate id “I1” (also on row 2)"),
        Problem("assessments.csv", 4, "relevance", "“7” is not a whole number from 1 to 5"),
        Problem(
            "assessments.csv",
            4,
            "assessed_on",
            "a second assessment of that account that day (row 2)",
        ),
        # A row with format problems still has its references checked, in the same answer.
        Problem("accounts.csv", 4, "owner_username", "no active user “nobody”"),
        Problem(
            "interactions.csv",
            5,
            "account_external_id",
            "no account “A9” in accounts.csv or the database",
        ),
        Problem("interactions.csv", 6, "signals", "unknown signal type: telepathy"),
    }
    kinds = {(p.file, p.row, p.column) for p in report.problems}
    assert ("interactions.csv", 6, "kind") in kinds
    assert ("assessments.csv", 4, "client_perceived_stage") in kinds
    assert not Account.objects.exists() and not Interaction.objects.exists()


def test_unknown_owners_accounts_and_slugs_are_reported_with_nothing_written(alice):
    accounts = ACCOUNTS.replace("A2,Bluepeak Foods,Food,alice", "A2,Bluepeak Foods,Food,nobody")
    report = _import(_bundle(accounts=accounts))
    assert list(report.problems) == [
        Problem("accounts.csv", 3, "owner_username", "no active user “nobody”")
    ]

    interactions = INTERACTIONS + "I9,A7,2026-03-02,meeting,false,,telepathy\n"
    report = _import(_bundle(interactions=interactions))
    assert set(report.problems) == {
        Problem(
            "interactions.csv",
            5,
            "account_external_id",
            "no account “A7” in accounts.csv or the database",
        ),
        Problem("interactions.csv", 5, "signals", "unknown signal type: telepathy"),
    }
    assert not Account.objects.exists()


def test_missing_columns_files_and_bad_encoding_are_explained(alice):
    report = _import(
        {
            "accounts.csv": b"external_id,name\nA1,X\n",
            "interactions.csv": "external_id\n".encode("utf-16"),
        }
    )
    problems = {(p.file, p.row, p.column) for p in report.problems}
    assert ("accounts.csv", 1, "owner_username") in problems
    assert any(p.reason.startswith("not UTF-8 text") for p in report.problems)

    missing = _import({"accounts.csv": ACCOUNTS.encode()})
    assert list(missing.problems) == [
        Problem("interactions.csv", 0, "", "file missing from the bundle")
    ]


def test_a_byte_order_mark_and_blank_lines_are_fine(alice):
    report = _import(_bundle(accounts="\ufeff" + ACCOUNTS + "\n,,,,,,,\n", assessments=None))
    assert report.ok, report.problems
    assert Account.objects.count() == 2


def test_the_import_costs_the_same_queries_whatever_the_size(alice):
    def queries_for(rows: int) -> int:
        extra = "".join(
            f"X{n},A1,2026-03-{n % 27 + 1:02d},call,false,,delivered_as_promised\n"
            for n in range(rows)
        )
        with CaptureQueriesContext(connection) as queries:
            report = _import(_bundle(interactions=INTERACTIONS + extra), dry_run=True)
        assert report.ok and report.count("interactions", "created") == 3 + rows
        return len(queries)

    assert queries_for(5) == queries_for(50)


def test_export_neutralises_formulas_and_imports_back_losslessly(alice):
    _import(_bundle())
    Interaction.objects.filter(external_id="I2").update(notes='=HYPERLINK("http://x")')
    Account.objects.filter(external_id="A1").update(name="+Northwind")

    files = portfolio_export()

    assert "'=HYPERLINK" in files["interactions.csv"]
    assert "A1,'+Northwind," in files["accounts.csv"]
    again = _import({name: text.encode() for name, text in files.items()})
    assert again.ok and again.changes == 0
    assert Interaction.objects.get(external_id="I2").notes == '=HYPERLINK("http://x")'


def test_export_wipe_and_import_gives_back_the_same_portfolio(alice, tmp_path):
    _import(_bundle())
    Account.objects.filter(external_id="A1").update(
        mission="Move freight carbon-free",
        objective="A seat in their network planning",
        next_step="-Send the capacity study",  # formula-like: neutralised and read back
        next_step_due=TODAY + datetime.timedelta(days=10),
    )
    a1 = Account.objects.get(external_id="A1")
    for text in ("Fuel prices", "=New EU rules on emissions"):
        ExternalPressure.objects.create(account=a1, description=text)
    call_command("export_portfolio_bundle", str(tmp_path))
    before = _portfolio()

    Account.objects.all().delete()
    call_command("import_portfolio", str(tmp_path))

    assert _portfolio() == before


def _portfolio():
    return (
        sorted(
            Account.objects.values_list(
                "external_id",
                "name",
                "owner__username",
                "status",
                "mission",
                "objective",
                "next_step",
                "next_step_due",
            )
        ),
        sorted(Interaction.objects.values_list("external_id", "occurred_on", "kind", "notes")),
        sorted(TrustSignal.objects.values_list("interaction__external_id", "signal_type__slug")),
        sorted(Assessment.objects.values_list("account__external_id", "assessed_on", "relevance")),
        list(
            ExternalPressure.objects.order_by("account__external_id", "pk").values_list(
                "account__external_id", "description"
            )
        ),
    )


PLAN_HEADER = ACCOUNTS.splitlines()[0] + ",mission,objective,next_step,next_step_due"


def _with_plan(*lines):
    return "\n".join([PLAN_HEADER, *lines]) + "\n"


def test_the_optional_plan_columns_are_imported_and_a_file_without_them_keeps_the_plan(alice):
    report = _import(
        _bundle(
            accounts=_with_plan(
                "A1,Northwind Freight,Logistics,alice,250000,could_become_partner,active,,"
                "Move freight carbon-free,Join their planning,Share the fuel outlook,2026-12-01",
                "A2,Bluepeak Foods,Food,alice,120000.50,regular,lost,2026-06-30,,,,",
            )
        )
    )
    assert report.ok
    plan = ("Move freight carbon-free", "Join their planning", "Share the fuel outlook")
    a1 = Account.objects.get(external_id="A1")
    assert (a1.mission, a1.objective, a1.next_step) == plan
    assert a1.next_step_due == datetime.date(2026, 12, 1)

    again = _import(_bundle())  # the same accounts, without the optional columns

    assert again.ok
    a1.refresh_from_db()
    assert (a1.mission, a1.objective, a1.next_step) == plan
    assert a1.next_step_due == datetime.date(2026, 12, 1)


def test_pressures_one_per_line_are_replaced_only_when_the_file_says_otherwise(alice):
    header = ACCOUNTS.splitlines()[0] + ",pressures"
    rows = ACCOUNTS.splitlines()[1:]
    with_pressures = "\n".join(
        [header, rows[0] + ',"Fuel prices\n\n  New EU rules  "', rows[1] + ","]
    )
    assert _import(_bundle(accounts=with_pressures + "\n")).ok
    a1 = Account.objects.get(external_id="A1")
    first_ids = list(a1.pressures.values_list("pk", flat=True))
    assert list(a1.pressures.values_list("description", flat=True)) == [
        "Fuel prices",
        "New EU rules",
    ]

    same = _import(_bundle(accounts=with_pressures + "\n"))
    assert same.ok and same.changes == 0
    assert list(a1.pressures.values_list("pk", flat=True)) == first_ids  # untouched

    cleared = _import(_bundle(accounts="\n".join([header, rows[0] + ",", rows[1] + ","]) + "\n"))
    assert cleared.ok and not a1.pressures.exists()


def test_a_bad_plan_in_the_file_is_explained_and_nothing_is_written(alice):
    bundle = read_bundle(
        _bundle(
            accounts=_with_plan(
                "A1,North,Logistics,alice,1,unknown,active,,,,,2026-12-01",
                "A2,South,Logistics,alice,1,unknown,active,,,,Call,first of May",
                "A3,East,Logistics,alice,1,unknown,active,,,,Call,2099-01-01",
                "A4,West,Logistics,alice,1,unknown,active,,,," + "x" * 301 + ",",
            ),
            interactions=INTERACTIONS.splitlines()[0] + "\n",
            assessments=None,
        ),
        today=TODAY,
    )
    assert list(bundle.problems) == [
        Problem("accounts.csv", 2, "next_step_due", "a due date needs a next_step on the same row"),
        Problem("accounts.csv", 3, "next_step_due", "“first of May” is not a date (YYYY-MM-DD)"),
        Problem(
            "accounts.csv",
            4,
            "next_step_due",
            "2099-01-01 is not within 1970 and five years from now",
        ),
        Problem("accounts.csv", 5, "next_step", "longer than 300 characters"),
    ]
    assert bundle.accounts == []
    unknown = read_bundle(
        _bundle(accounts=ACCOUNTS.replace("lost_on\n", "lost_on,plan\n").replace(",\n", ",,\n")),
        today=TODAY,
    )
    assert any(
        p.column == "plan"
        and "optionally mission, pressures, objective, next_step, next_step_due" in p.reason
        for p in unknown.problems
    )


def test_the_command_refuses_a_bad_bundle_with_every_problem(alice, tmp_path):
    (tmp_path / "accounts.csv").write_text(ACCOUNTS.replace("250000", "lots"))
    (tmp_path / "interactions.csv").write_text(INTERACTIONS)
    with pytest.raises(CommandError) as refused:
        call_command("import_portfolio", str(tmp_path))
    assert "accounts.csv, row 2, annual_revenue: “lots” is not an amount of 0 or more" in str(
        refused.value
    )
    assert not Account.objects.exists()


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.text(max_size=12), min_size=7, max_size=7))
def test_any_text_in_any_cell_gives_a_row_or_a_problem_never_an_error(cells):
    line = ",".join('"' + cell.replace('"', '""') + '"' for cell in cells)
    header = "external_id,account_external_id,occurred_on,kind,initiated_by_client,notes,signals"
    bundle = read_bundle(
        {"accounts.csv": ACCOUNTS.encode(), "interactions.csv": f"{header}\n{line}\n".encode()},
        today=TODAY,
    )
    problem_rows = {p.row for p in bundle.problems if p.file == "interactions.csv"}
    blank = not any(cell.strip() for cell in cells)
    assert len(bundle.interactions) + len(problem_rows) == (0 if blank else 1)


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.text(max_size=12), min_size=12, max_size=12))
def test_any_text_in_any_account_cell_gives_a_row_or_a_problem_never_an_error(cells):
    line = ",".join('"' + cell.replace('"', '""') + '"' for cell in cells)
    bundle = read_bundle(
        {
            "accounts.csv": f"{PLAN_HEADER}\n{line}\n".encode(),
            "interactions.csv": INTERACTIONS.splitlines()[0].encode() + b"\n",
        },
        today=TODAY,
    )
    problem_rows = {p.row for p in bundle.problems if p.file == "accounts.csv"}
    blank = not any(cell.strip() for cell in cells)
    assert len(bundle.accounts) + len(problem_rows) == (0 if blank else 1)


def test_the_upload_page_checks_imports_and_refuses_managers(client, alice, lena):
    client.force_login(alice)
    assert client.get(reverse("portfolio-import")).status_code == 403
    assert client.get(reverse("portfolio-export")).status_code == 403

    client.force_login(lena)
    page = client.get(reverse("portfolio-import")).content.decode()
    assert "Import a CSV bundle" in page

    def upload(dry_run, accounts=ACCOUNTS):
        data = {
            "accounts": io.BytesIO(accounts.encode()),
            "interactions": io.BytesIO(INTERACTIONS.encode()),
        }
        for name, handle in data.items():
            handle.name = f"{name}.csv"
        if dry_run:
            data["dry_run"] = "on"
        return client.post(reverse("portfolio-import"), data).content.decode()

    assert "Dry run: nothing was written" in upload(dry_run=True)
    assert not Account.objects.exists()
    bad = upload(dry_run=False, accounts=ACCOUNTS.replace("2026-06-30", "30/06/2026"))
    assert "Nothing was imported: 1 problem" in bad
    assert "“30/06/2026” is not a date (YYYY-MM-DD)" in bad
    assert "Imported." in upload(dry_run=False)
    assert Account.objects.count() == 2

    download = client.get(reverse("portfolio-export"))
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    assert names == ["accounts.csv", "interactions.csv", "assessments.csv", "contacts.csv"]


def test_the_upload_page_refuses_files_over_the_limit(client, lena):
    client.force_login(lena)
    big = io.BytesIO(b"x" * (forms.MAX_FILE_BYTES + 1))
    big.name = "accounts.csv"
    small = io.BytesIO(INTERACTIONS.encode())
    small.name = "interactions.csv"
    html = client.post(
        reverse("portfolio-import"), {"accounts": big, "interactions": small}
    ).content.decode()
    assert "the limit is 10 MB per file" in html


def _bad_in_every_file():
    """A bad date on row 2 of interactions.csv, an unknown signal on row 3, and an unknown
    owner on row 3 of accounts.csv: three problems that one answer must name together."""
    accounts = ACCOUNTS.replace("A2,Bluepeak Foods,Food,alice", "A2,Bluepeak Foods,Food,nobody")
    interactions = INTERACTIONS.replace("I1,A1,2026-03-02", "I1,A1,2026-13-02").replace(
        "I2,A1,2026-04-10,call,false,,", "I2,A1,2026-04-10,call,false,,telepathy"
    )
    return _bundle(accounts=accounts, interactions=interactions)


BAD_IN_EVERY_FILE = [
    "accounts.csv, row 3, owner_username: no active user “nobody”",
    "interactions.csv, row 2, occurred_on: “2026-13-02” is not a date (YYYY-MM-DD)",
    "interactions.csv, row 3, signals: unknown signal type: telepathy",
]


def test_the_command_names_format_and_reference_problems_in_every_file_at_once(alice, tmp_path):
    for name, content in _bad_in_every_file().items():
        (tmp_path / name).write_bytes(content)

    with pytest.raises(CommandError) as refused:
        call_command("import_portfolio", str(tmp_path))

    assert str(refused.value).splitlines() == ["Nothing imported: 3 problems.", *BAD_IN_EVERY_FILE]
    assert not Account.objects.exists() and not Interaction.objects.exists()


def test_the_upload_page_names_format_and_reference_problems_in_every_file_at_once(
    client, lena, alice
):
    client.force_login(lena)
    uploads = {}
    for name, content in _bad_in_every_file().items():
        uploads[name.removesuffix(".csv")] = io.BytesIO(content)
        uploads[name.removesuffix(".csv")].name = name

    html = client.post(reverse("portfolio-import"), uploads).content.decode()

    assert "Nothing was imported: 3 problems" in html
    for line in BAD_IN_EVERY_FILE:
        file, row, column, reason = re.match(r"(.+?), row (\d+), (.+?): (.+)", line).groups()
        cells = f'<td>{file}</td><td class="num">{row}</td><td>{column}</td>'
        assert cells + f'<td class="gap">{escape(reason)}</td>' in html
    assert not Account.objects.exists() and not Interaction.objects.exists()


def _good_and_bad_rows(bad: int) -> str:
    """interactions.csv with `bad` rows of a date that is not one, each after a good row (on
    the odd rows from 3): a file in the right format with mistakes in it."""
    rows = []
    for n in range(bad):
        rows += [f"G{n},A1,2026-03-02,call,false,,", f"X{n},A1,someday,call,false,,"]
    return "\n".join([INTERACTIONS.splitlines()[0], *rows]) + "\n"


def test_a_thousand_bad_rows_are_counted_and_the_first_two_hundred_named(alice, client, lena):
    files = _bundle(interactions=_good_and_bad_rows(1000), assessments=None)

    report = _import(files)

    assert len(report.problems) == 1000
    assert [p.row for p in report.problems_shown] == list(range(3, 403, 2))
    assert report.problems_not_shown == 800

    client.force_login(lena)
    uploads = {}
    for name, content in files.items():
        uploads[name.removesuffix(".csv")] = io.BytesIO(content)
        uploads[name.removesuffix(".csv")].name = name
    html = client.post(reverse("portfolio-import"), uploads).content.decode()
    assert "Nothing was imported: 1000 problems" in html
    assert html.count("“someday” is not a date") == 200
    assert "and 800 more problems" in html


def test_the_command_names_two_hundred_problems_and_counts_the_rest(alice, tmp_path):
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    (tmp_path / "interactions.csv").write_text(_good_and_bad_rows(1000))

    with pytest.raises(CommandError) as refused:
        call_command("import_portfolio", str(tmp_path))

    lines = str(refused.value).splitlines()
    assert lines[0] == "Nothing imported: 1000 problems."
    assert len(lines) == 1 + 200 + 1
    assert lines[1] == "interactions.csv, row 3, occurred_on: “someday” is not a date (YYYY-MM-DD)"
    assert lines[200].startswith("interactions.csv, row 401, occurred_on:")
    assert lines[-1] == "and 800 more problems"
    assert not Account.objects.exists()


def test_rows_naming_an_account_whose_row_is_wrong_are_not_called_unknown(alice):
    accounts = ACCOUNTS.replace("120000.50", "lots")

    report = _import(_bundle(accounts=accounts))

    assert list(report.problems) == [
        Problem("accounts.csv", 3, "annual_revenue", "“lots” is not an amount of 0 or more")
    ]


def test_the_bundle_export_counts_records_not_lines(alice, tmp_path):
    _import(_bundle())
    northwind = Account.objects.get(external_id="A1")
    for text in ("Fuel prices", "New EU rules on emissions", "A price war"):
        ExternalPressure.objects.create(account=northwind, description=text)
    Account.objects.filter(external_id="A2").update(mission="Feed the city\nand the region")
    Interaction.objects.filter(external_id="I2").update(notes="Called about the tender.\nNo news.")
    out = io.StringIO()

    call_command("export_portfolio_bundle", str(tmp_path), stdout=out)

    accounts = tmp_path / "accounts.csv"
    interactions = tmp_path / "interactions.csv"
    # The cells with line breaks make each file longer than its records.
    assert accounts.read_text().count("\n") - 1 > Account.objects.count()
    assert interactions.read_text().count("\n") - 1 > Interaction.objects.count()
    assert out.getvalue().splitlines() == [
        f"{accounts}: {Account.objects.count()} rows",
        f"{interactions}: {Interaction.objects.count()} rows",
        f"{tmp_path / 'assessments.csv'}: {Assessment.objects.count()} rows",
        f"{tmp_path / 'contacts.csv'}: 0 rows",
    ]


def test_a_file_in_another_format_is_read_no_further(alice, client, lena):
    header = INTERACTIONS.splitlines()[0]
    rows = [f"X{n},A1,someday,call,false,," for n in range(1000)]
    files = _bundle(interactions="\n".join([header, *rows]) + "\n", assessments=None)

    report = _import(files)

    # Rows 2-101 are named; row 102 says why nothing after it was read.
    assert len(report.problems) == 101
    assert [p.row for p in report.problems_shown] == list(range(2, 103))
    assert report.problems_shown[-1] == Problem(
        "interactions.csv",
        102,
        "",
        "not read, nor anything after it: the 100 rows before it all have problems, so this "
        "does not look like a bundle's interactions.csv (check its columns, separator, dates "
        "and values)",
    )
    client.force_login(lena)
    uploads = {}
    for name, content in files.items():
        uploads[name.removesuffix(".csv")] = io.BytesIO(content)
        uploads[name.removesuffix(".csv")].name = name
    html = client.post(reverse("portfolio-import"), uploads).content.decode()
    assert "Nothing was imported: 101 problems" in html
    assert "so this does not look like a bundle&#x27;s interactions.csv" in html


@pytest.mark.parametrize("line", ["x", "?,?,?,?,?,?,?"], ids=["one-cell", "every-cell-wrong"])
def test_two_megabytes_of_bad_lines_cost_the_server_little_memory(alice, line):
    """Once 1.2 GB for a million problems (issue 15); docs/benchmarks.md has the figures."""
    header = INTERACTIONS.splitlines()[0] + "\n"
    body = (header + (line + "\n") * (2 * 1024 * 1024 // (len(line) + 1))).encode()
    files = _bundle(interactions=body.decode(), assessments=None)

    tracemalloc.start()
    try:
        report = _import(files)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # The file's own bytes and their check, not a copy per problem.
    assert peak < 4 * len(body), f"{peak / 1024 / 1024:.1f} MB"
    assert not report.ok and len(report.problems) < 1000
