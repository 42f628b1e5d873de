"""Our plan for a relationship (docs/model.md, The account record): the objective and the next step
with its due date, kept on the account, shown where managers and leads look, and in the portfolio
export."""

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from relationships.models import AuditEntry
from scoring.models import ScoreSnapshot
from scoring.selectors import profile_active

HTMX = {"HTTP_HX_REQUEST": "true"}
TODAY = timezone.localdate()


@pytest.fixture
def signed_in_alice(client, alice):
    client.force_login(alice)
    return client


def _facts(**plan):
    return {"mission": "", "partnership_potential": "could_partner", "pressures": "", **plan}


def test_the_plan_is_saved_with_the_facts_and_shown_on_the_account(signed_in_alice, alices_account):
    url = reverse("account-facts", args=[alices_account.pk])
    due = TODAY + datetime.timedelta(days=10)

    response = signed_in_alice.post(
        url,
        _facts(
            objective="Earn a seat in their annual planning",
            next_step="Bring the market outlook to their COO",
            next_step_due=due.isoformat(),
        ),
        **HTMX,
    )

    html = response.content.decode()
    assert "Earn a seat in their annual planning" in html
    assert f'Bring the market outlook to their COO <span class="muted small">by {due.day} ' in html
    alices_account.refresh_from_db()
    assert (alices_account.next_step, alices_account.next_step_due) == (
        "Bring the market outlook to their COO",
        due,
    )
    changes = AuditEntry.objects.get(subject="account").changes
    assert changes["next step due"] == ["", due.isoformat()]
    assert changes["objective"] == ["", "Earn a seat in their annual planning"]
    # The edit form opens with the plan as it is.
    form = signed_in_alice.get(url, **HTMX).content.decode()
    assert f'value="{due.isoformat()}"' in form and "Earn a seat in their annual planning" in form


def test_a_passed_due_date_reads_as_overdue_and_no_step_says_so(signed_in_alice, alices_account):
    page = reverse("account-detail", args=[alices_account.pk])
    assert "No next step planned" in signed_in_alice.get(page).content.decode()

    alices_account.next_step = "Send the benchmark study"
    alices_account.next_step_due = TODAY - datetime.timedelta(days=3)
    alices_account.save()

    html = signed_in_alice.get(page).content.decode()
    assert 'Send the benchmark study <span class="overdue-text small">overdue since' in html


@pytest.mark.parametrize(
    ("plan", "field", "message"),
    [
        ({"next_step_due": TODAY.isoformat()}, "next_step", "Say what the next step is"),
        ({"next_step": "Call", "next_step_due": "tomorrow"}, "next_step_due", "Enter a valid date"),
        (
            {"next_step": "Call", "next_step_due": "2099-01-01"},
            "next_step_due",
            "within the next five years",
        ),
        ({"next_step": "x" * 301}, "next_step", "at most 300 characters"),
    ],
)
def test_a_bad_plan_is_explained_by_its_field_and_nothing_is_saved(
    signed_in_alice, alices_account, plan, field, message
):
    response = signed_in_alice.post(
        reverse("account-facts", args=[alices_account.pk]),
        _facts(mission="Feed the city", **plan),
        **HTMX,
    )

    form = response.context["facts_form"]
    assert any(message in error for error in form.errors[field])
    html = response.content.decode()
    # The message is the field's description: the widget names it in aria-describedby.
    assert f'id="id_{field}_error"' in html
    assert re.search(f'aria-describedby="[^"]*id_{field}_error', html)
    alices_account.refresh_from_db()
    assert (alices_account.mission, alices_account.next_step) == ("", "")
    assert not AuditEntry.objects.filter(subject="account").exists()


def test_leads_see_the_plan_of_accounts_at_risk_and_in_the_export(client, lena, alices_account):
    ScoreSnapshot.objects.create(
        account=alices_account,
        profile=profile_active(),
        week_ending=TODAY,
        score=30,
        stage="confidant",
        decline_risk=80,
        risk_drivers=[["momentum", 80, "score down"]],
        is_latest=True,
    )
    alices_account.next_step = "=Agree a quarterly review"
    alices_account.next_step_due = TODAY - datetime.timedelta(days=1)
    alices_account.save()
    client.force_login(lena)

    html = client.get(reverse("dashboard")).content.decode()
    at_risk = html[html.index('data-testid="at-risk"') :]
    at_risk = at_risk[: at_risk.index("</ol>")]
    assert "Next: =Agree a quarterly review" in at_risk and "overdue since" in at_risk
    # Per manager: accounts without a next step, and with one overdue.
    assert "Steps overdue" in html
    alice_row = html[html.index('scope="row"><a href="/dashboard/?manager=') :]
    alice_row = alice_row[: alice_row.index("</tr>")]
    assert alice_row.endswith('<td class="num">0</td><td class="num">1</td>')

    export = client.get(reverse("dashboard-export")).content.decode()
    line = next(csv.DictReader(io.StringIO(export)))
    # Formula-like text is neutralised for spreadsheets.
    assert (line["next_step"], line["next_step_due"]) == (
        "'=Agree a quarterly review",
        (TODAY - datetime.timedelta(days=1)).isoformat(),
    )


def test_a_too_long_step_with_a_date_gets_one_message_not_two(signed_in_alice, alices_account):
    response = signed_in_alice.post(
        reverse("account-facts", args=[alices_account.pk]),
        _facts(next_step="x" * 301, next_step_due=TODAY.isoformat()),
        **HTMX,
    )
    assert response.context["facts_form"].errors["next_step"] == [
        "Ensure this value has at most 300 characters (it has 301)."
    ]
