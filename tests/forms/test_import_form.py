"""The CSV upload, with any files."""

from __future__ import annotations

import io
from typing import Any

from django.urls import reverse
from django.utils.html import escape
from hypothesis import example, given, settings
from hypothesis import strategies as st

from accounts.models import Account
from relationships.csv_bundle import formats
from relationships.models import EARLIEST_EVIDENCE, Assessment, AuditEntry, Interaction, TrustSignal
from tests.forms.strategies import FUZZ, SCALAR, TEXT
from tests.forms.support import assert_answered, assert_explained, rolled_back, rows

IMPORT_ROWS = (Account, Interaction, TrustSignal, Assessment, AuditEntry)

GOOD_CELLS = {
    "external_id": st.sampled_from(["A1", "A2", "I1", "I2"]),
    "account_external_id": st.sampled_from(["A1", "A2"]),
    "name": st.sampled_from(["Northwind Freight", "Bluepeak Foods"]),
    "industry": st.sampled_from(["", "Logistics"]),
    "owner_username": st.sampled_from(["alice", "bob"]),
    "annual_revenue": st.sampled_from(["", "250000", "120000.50"]),
    "partnership_potential": st.sampled_from(["", "regular", "strategic_target"]),
    "status": st.sampled_from(["", "active"]),
    "lost_on": st.just(""),
    "occurred_on": st.sampled_from(["2026-03-02", "2025-11-20"]),
    "assessed_on": st.sampled_from(["2026-03-02", "2025-11-20"]),
    "kind": st.sampled_from(["meeting", "call"]),
    "initiated_by_client": st.sampled_from(["", "true", "false"]),
    "notes": st.sampled_from(["", "Quarterly plan", "Notes, with a comma"]),
    "signals": st.sampled_from(["", "invited_to_planning", "delivery_miss;invited_to_planning"]),
    "relevance": st.sampled_from(["1", "4", "5"]),
    "client_perceived_stage": st.sampled_from(["", "vendor", "confidant"]),
}


def _cell(column: str) -> st.SearchStrategy[str]:
    """Mostly a good value for the column, sometimes a hostile one (no field lists here)."""
    return st.one_of(GOOD_CELLS[column], GOOD_CELLS[column], GOOD_CELLS[column], SCALAR)


def _csv_line(cells: list[str]) -> str:
    return ",".join('"' + cell.replace('"', '""') + '"' for cell in cells)


@st.composite
def csv_file(draw, name: str) -> bytes:
    """A file of the bundle: its header and a few rows, mostly good cells, some hostile."""
    columns = formats.COLUMNS[name]
    lines = [",".join(columns)]
    for _ in range(draw(st.integers(0, 3))):
        lines.append(_csv_line([draw(_cell(column)) for column in columns]))
    text = "\n".join(lines) + "\n"
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    return text.encode(encoding, errors="replace")


def any_file(name: str) -> st.SearchStrategy[bytes]:
    """A plausible bundle file, random bytes, random text, or something huge and odd."""
    return st.one_of(
        csv_file(name),
        csv_file(name),
        st.binary(max_size=300),
        TEXT.map(str.encode),
        st.sampled_from(
            [
                b"",
                b"\x00" * 100,
                b"\xef\xbb\xbf",
                ("\ufeff" + ",".join(formats.COLUMNS[name]) + "\n").encode("utf-16-le"),
                ",".join(formats.COLUMNS[name]).encode() + b"\n" + b'"unterminated' * 1000,
                ",".join(formats.COLUMNS[name]).encode() + b"\n" + b"x," * 50_000,
                (",".join(formats.COLUMNS[name]) + "\n").encode() * 2000,
            ]
        ),
    )


def _upload(name: str, content: bytes) -> io.BytesIO:
    handle = io.BytesIO(content)
    handle.name = name
    return handle


ACCOUNTS_CSV = (
    ",".join(formats.COLUMNS[formats.ACCOUNTS])
    + "\nA1,Northwind Freight,Logistics,alice,250000,regular,active,\n"
)
INTERACTIONS_CSV = (
    ",".join(formats.COLUMNS[formats.INTERACTIONS])
    + "\nI1,A1,2026-03-02,meeting,true,Quarterly plan,invited_to_planning\n"
)


def bundle_cases(test):
    """Always try a good bundle, and the same bundle with each classic flaw."""
    flawed = [
        (ACCOUNTS_CSV, INTERACTIONS_CSV),
        (ACCOUNTS_CSV.replace("Northwind", "North\x00wind"), INTERACTIONS_CSV),
        (ACCOUNTS_CSV.replace("A1,", "A\x001,"), INTERACTIONS_CSV),
        (ACCOUNTS_CSV, INTERACTIONS_CSV.replace("Quarterly", "Quarter\x00ly")),
        (ACCOUNTS_CSV, INTERACTIONS_CSV.replace("2026-03-02", "0001-01-01")),
        (ACCOUNTS_CSV, INTERACTIONS_CSV.replace("2026-03-02", "0202-03-02")),
        (ACCOUNTS_CSV.replace("250000", "9" * 40), INTERACTIONS_CSV),
        (ACCOUNTS_CSV.replace("Northwind Freight", "x" * 10_000), INTERACTIONS_CSV),
    ]
    for accounts, interactions in flawed:
        test = example(
            accounts=accounts.encode(),
            interactions=interactions.encode(),
            assessments=None,
            dry_run=False,
        )(test)
    return example(
        accounts=ACCOUNTS_CSV.encode("utf-16-le"),
        interactions=INTERACTIONS_CSV.encode("utf-16"),
        assessments=b"\x00" * 10,
        dry_run=False,
    )(test)


@settings(FUZZ, max_examples=40)
@bundle_cases
@given(
    accounts=st.one_of(any_file(formats.ACCOUNTS), st.none()),
    interactions=st.one_of(any_file(formats.INTERACTIONS), st.none()),
    assessments=st.one_of(st.none(), any_file(formats.ASSESSMENTS)),
    dry_run=st.booleans(),
)
def test_any_uploaded_bundle_is_imported_whole_or_refused_with_every_problem(
    client, lena, alice, bob, accounts, interactions, assessments, dry_run
):
    """An upload imports all of the bundle or none of it, and a refusal lists problems each
    with a reason."""
    files = {"accounts": accounts, "interactions": interactions, "assessments": assessments}
    data: dict[str, Any] = {
        name: _upload(f"{name}.csv", content)
        for name, content in files.items()
        if content is not None
    }
    if dry_run:
        data["dry_run"] = "on"
    with rolled_back():
        client.force_login(lena)
        before = rows(*IMPORT_ROWS)

        response = client.post(reverse("portfolio-import"), data)

        assert_answered(response)
        assert response.status_code == 200
        html = response.content.decode()
        report = response.context["report"]
        if report is None:
            assert_explained(response, response.context["form"])
        elif not report.ok:
            assert "Nothing was imported" in html
            for problem in report.problems_shown:
                assert problem.reason and escape(problem.reason) in html
            if report.problems_not_shown:  # the rest is counted, not listed
                assert f"and {report.problems_not_shown} more problem" in html
        if report is None or not report.ok or dry_run:
            assert rows(*IMPORT_ROWS) == before
        else:
            assert "Imported." in html
            assert not Interaction.objects.filter(occurred_on__lt=EARLIEST_EVIDENCE).exists()
