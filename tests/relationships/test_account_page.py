"""The account page: what a manager reads there, and that it costs the same however long the
account's history is."""

import datetime
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from relationships.models import AuditEntry, SignalType, TrustSignal
from scoring.selectors import profile_active
from scoring.services import account_rescore, profile_activate, profile_create
from tests.factories import AccountFactory, AssessmentFactory, ContactFactory, InteractionFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
AS_OF = datetime.date(2026, 11, 1)


def _history(account, *, weeks: int, signals_every: int = 4):
    """A meeting every week for `weeks` weeks up to AS_OF, with a planning invitation now and
    then, scored."""
    planning = SignalType.objects.get(slug="invited_to_planning")
    for week in range(weeks):
        day = AS_OF - datetime.timedelta(weeks=weeks - week)
        interaction = InteractionFactory.create(
            account=account, occurred_on=day, notes=f"week {week}"
        )
        if week % signals_every == 0:
            TrustSignal.objects.create(
                account=account, signal_type=planning, observed_on=day, interaction=interaction
            )
    account_rescore(account_id=account.pk, as_of=AS_OF)


@pytest.fixture
def signed_in_alice(client, alice):
    client.force_login(alice)
    return client


def test_it_shows_standing_charts_reasons_and_gap(signed_in_alice, alices_account):
    _history(alices_account, weeks=30)
    response = signed_in_alice.get(reverse("account-detail", args=[alices_account.pk]))
    html = response.content.decode()
    snapshot = alices_account.snapshots.get(is_latest=True)

    assert f'data-testid="score">{snapshot.score:.0f}<' in html
    assert snapshot.get_stage_display() in html
    assert f'data-testid="risk">{snapshot.decline_risk:.0f}<' in html
    assert "Why this stage" in html and "What's missing for the next stage" in html
    gap = snapshot.next_stage_gap
    assert gap.startswith("consultant needs")
    assert "C" + gap[1:].replace("_", " ") + "." in html
    # The charts' data travel in json_script tags, read by static/js/app.js.
    start = html.index(">", html.index('<script id="history-chart-data"')) + 1
    figure = json.loads(html[start : html.index("</script>", start)])
    score_trace = figure["data"][0]
    assert score_trace["name"] == "Score" and score_trace["y"][-1] == round(snapshot.score, 1)
    assert figure["data"][1]["name"] == "Decline risk"
    assert figure["data"][2]["name"] == "Trust signals"
    assert "Invited to planning" in figure["data"][2]["text"][0]
    assert len(figure["layout"]["shapes"]) == 4  # one shaded band per stage
    assert "<script>" not in html.replace("<script ", "")  # no inline script


def test_timeline_is_newest_first_and_loads_in_pages(signed_in_alice, alices_account):
    _history(alices_account, weeks=25)
    url = reverse("account-detail", args=[alices_account.pk])

    html = signed_in_alice.get(url).content.decode()
    assert html.index("week 24") < html.index("week 23")
    assert "week 5" in html and "week 4<" not in html  # 20 per page
    assert "panel=timeline-items&amp;page=2" in html

    more = signed_in_alice.get(url, {"panel": "timeline-items", "page": 2}, **HTMX)
    rows = more.content.decode()
    assert "<html" not in rows
    assert "week 4" in rows and "week 0" in rows and "page=3" not in rows


def test_panels_reload_alone_for_htmx(signed_in_alice, alices_account):
    url = reverse("account-detail", args=[alices_account.pk])
    response = signed_in_alice.get(url, {"panel": "account-header"}, **HTMX)
    html = response.content.decode()
    assert 'id="account-header"' in html and "<html" not in html and "Timeline" not in html
    assert signed_in_alice.get(url, {"panel": "nope"}, **HTMX).status_code == 404


def test_the_page_costs_the_same_queries_whatever_the_history(signed_in_alice, alice):
    short, long = AccountFactory(owner=alice), AccountFactory(owner=alice)
    for account in (short, long):
        ContactFactory(account=account)
    _history(short, weeks=3)
    _history(long, weeks=150, signals_every=2)

    counts = []
    for account in (short, long):
        with CaptureQueriesContext(connection) as queries:
            response = signed_in_alice.get(reverse("account-detail", args=[account.pk]))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[1] <= 18, counts


def test_facts_are_edited_in_place_with_errors_by_the_field(signed_in_alice, alices_account):
    url = reverse("account-facts", args=[alices_account.pk])
    bad = signed_in_alice.post(
        url, {"mission": "Feed the city", "partnership_potential": "best friends"}, **HTMX
    )
    assert "Select a valid choice" in bad.content.decode()
    alices_account.refresh_from_db()
    assert alices_account.mission == ""

    response = signed_in_alice.post(
        url,
        {
            "mission": "Feed the city",
            "partnership_potential": "could_partner",
            "pressures": "New food-safety law\n\nA price war",
        },
        **HTMX,
    )

    html = response.content.decode()
    assert "Feed the city" in html and "A price war" in html and "<html" not in html
    alices_account.refresh_from_db()
    assert alices_account.partnership_potential == "could_partner"
    assert list(alices_account.pressures.values_list("description", flat=True)) == [
        "New food-safety law",
        "A price war",
    ]
    entry = AuditEntry.objects.get(subject="account")
    assert entry.changes["mission"] == ["", "Feed the city"]


def test_an_assessment_rescores_and_a_contact_is_added(signed_in_alice, alices_account):
    _history(alices_account, weeks=6)
    response = signed_in_alice.post(
        reverse("assessment-new", args=[alices_account.pk]),
        {"relevance": "2", "client_perceived_stage": "consultant"},
        **HTMX,
    )
    assert "Relevance <strong>2</strong> of 5" in response.content.decode()
    assert alices_account.assessments.get().client_perceived_stage == "consultant"

    bad = signed_in_alice.post(
        reverse("contact-new", args=[alices_account.pk]), {"name": "  ", "role": "user"}, **HTMX
    )
    assert "This field is required." in bad.content.decode()
    signed_in_alice.post(
        reverse("contact-new", args=[alices_account.pk]),
        {"name": "Ola Berg", "title": "COO", "role": "decision_maker", "is_champion": "on"},
        **HTMX,
    )
    contact = alices_account.contacts.get()
    assert (contact.name, contact.is_champion) == ("Ola Berg", True)


def test_readers_see_no_write_controls_and_cannot_post(client, lena, alices_account):
    client.force_login(lena)
    html = client.get(reverse("account-detail", args=[alices_account.pk])).content.decode()
    assert "Log a meeting" not in html and "Edit facts" not in html
    response = client.post(
        reverse("account-facts", args=[alices_account.pk]),
        {"mission": "x", "partnership_potential": "regular"},
    )
    assert response.status_code == 403


def test_a_contact_is_marked_as_having_left(signed_in_alice, alices_account):
    contact = ContactFactory(account=alices_account, name="Ola Berg")
    url = reverse("contact-left", args=[contact.pk])

    bad = signed_in_alice.post(url, {"left_on": "2999-01-01"}, **HTMX)
    assert "That date is in the future." in bad.content.decode()
    good = signed_in_alice.post(url, {"left_on": "2026-10-01"}, **HTMX)

    assert "left 1 Oct 2026" in good.content.decode()
    contact.refresh_from_db()
    assert contact.left_on == datetime.date(2026, 10, 1)
    assert (
        AuditEntry.objects.get(subject="contact").summary
        == "Ola Berg left the client on 01 Oct 2026"
    )


def test_imported_entries_and_system_changes_show_without_a_person(signed_in_alice, alices_account):
    InteractionFactory(account=alices_account, logged_by=None, notes="From the CRM")
    AuditEntry.objects.create(
        account=alices_account, action="edited", subject="import", summary="Imported"
    )
    html = signed_in_alice.get(reverse("account-detail", args=[alices_account.pk])).content.decode()
    assert "From the CRM" in html and "Logged by import" in html
    assert "system</span>" in html and "Imported" in html


def test_the_page_names_what_drives_the_risk_and_the_rows_add_up(signed_in_alice, alices_account):
    _history(alices_account, weeks=30)
    retender = SignalType.objects.get(slug="retender_or_competitive_bid")
    TrustSignal.objects.create(
        account=alices_account,
        signal_type=retender,
        observed_on=AS_OF - datetime.timedelta(days=10),
    )
    account_rescore(account_id=alices_account.pk, as_of=AS_OF)
    snapshot = alices_account.snapshots.get(is_latest=True)
    assert snapshot.decline_risk >= 60

    html = signed_in_alice.get(reverse("account-detail", args=[alices_account.pk])).content
    html = html.decode()

    reason = html[html.index('data-testid="risk-reason"') :]
    assert reason.startswith(
        'data-testid="risk-reason"><strong>Warning from the client:</strong> '
        "retender or competitive bid 1 week ago</p>"
    )
    drivers = re.findall(r"<li><strong>[^<]+</strong> \+(\d+):", html)
    assert sum(map(int, drivers)) == round(snapshot.decline_risk)
    part = html.index('data-testid="contributions"')
    contributions = html[part : html.index("</ul>", part)]
    points = re.findall(r'<span class="points">\+?(-?\d+)</span>', contributions)
    assert sum(map(int, points)) == round(snapshot.score)


def _confidant_with_assessments(account, *assessments):
    """Thirty weeks of meetings up to today with a planning invitation every other week (the
    evidence of a confidant), the given (days ago, relevance, perceived stage) assessments,
    scored as of today."""
    today = timezone.localdate()
    planning = SignalType.objects.get(slug="invited_to_planning")
    for week in range(30, 0, -1):
        day = today - datetime.timedelta(weeks=week)
        meeting = InteractionFactory(account=account, occurred_on=day)
        if week % 2 == 0:
            TrustSignal.objects.create(
                account=account, signal_type=planning, observed_on=day, interaction=meeting
            )
    for days_ago, relevance, perceived in assessments:
        AssessmentFactory(
            account=account,
            assessed_on=today - datetime.timedelta(days=days_ago),
            relevance=relevance,
            client_perceived_stage=perceived,
        )
    account_rescore(account_id=account.pk)
    return account.snapshots.get(is_latest=True)


def _perceived_in_facts(client, account) -> str:
    html = client.get(
        reverse("account-detail", args=[account.pk]), {"panel": "account-facts"}, **HTMX
    ).content.decode()
    start = html.index("the client sees us as")
    return " ".join(re.sub(r"<[^>]+>", "", html[start : html.index("</p>", start)]).split())


def _gap(snapshot) -> str | None:
    return next((d for k, _, d in snapshot.risk_drivers if k == "perception_gap"), None)


def test_the_facts_show_the_perceived_stage_the_decline_risk_charges(
    signed_in_alice, alices_account
):
    """The client said "vendor" eight months ago; a later assessment gave no stage and does
    not clear it, so the risk still charges the gap, and the facts say what it charges."""
    said_on = timezone.localdate() - datetime.timedelta(days=240)
    latest = _confidant_with_assessments(
        alices_account, (240, 4, "vendor"), (30, 3, ""), (10, 3, "")
    )

    assert latest.stage == "confidant"
    assert _gap(latest) == "client sees vendor, evidence says confidant"
    facts = _perceived_in_facts(signed_in_alice, alices_account)
    assert facts.startswith(f"the client sees us as Vendor, said on {said_on.day} {said_on:%b %Y}")
    html = signed_in_alice.get(reverse("account-detail", args=[alices_account.pk])).content
    assert "Relevance <strong>3</strong> of 5" in html.decode()  # the latest reading


def test_a_perceived_stage_older_than_the_window_is_not_known_and_not_charged(
    signed_in_alice, alices_account
):
    window = profile_active().params["perception_window_days"]
    latest = _confidant_with_assessments(alices_account, (window + 30, 4, "vendor"), (10, 3, ""))

    assert latest.stage == "confidant" and _gap(latest) is None
    assert _perceived_in_facts(signed_in_alice, alices_account).startswith(
        "the client sees us as not known"
    )


@pytest.mark.parametrize("window", [200, 300])
def test_the_window_of_the_perceived_stage_is_the_active_profiles(
    signed_in_alice, alices_account, window
):
    """An answer 250 days old: past a 200-day window, within a 300-day one; the facts and the
    risk agree either way."""
    params = {**profile_active().params, "perception_window_days": window}
    profile_activate(profile=profile_create(params=params))
    latest = _confidant_with_assessments(alices_account, (250, 4, "vendor"), (10, 3, ""))

    facts = _perceived_in_facts(signed_in_alice, alices_account)
    if window > 250:
        assert _gap(latest) is not None and facts.startswith("the client sees us as Vendor")
    else:
        assert _gap(latest) is None and facts.startswith("the client sees us as not known")


def test_a_lost_account_shows_the_perceived_stage_its_last_standing_charged(
    signed_in_alice, alices_account
):
    """Its last standing was scored on the day it was lost: an answer within the window then
    is the one its last risk charged, however old it is today."""
    window = profile_active().params["perception_window_days"]
    lost_on = timezone.localdate() - datetime.timedelta(days=100)
    alices_account.status, alices_account.lost_on = "lost", lost_on
    alices_account.save()
    latest = _confidant_with_assessments(
        alices_account, (100 + window - 50, 4, "vendor"), (110, 3, "")
    )

    assert latest.week_ending == lost_on + datetime.timedelta(days=6 - lost_on.weekday())
    assert _gap(latest) == "client sees vendor, evidence says confidant"
    assert _perceived_in_facts(signed_in_alice, alices_account).startswith(
        "the client sees us as Vendor"
    )
