"""The what-if preview on the draft page: the whole portfolio today, live vs the draft."""

import datetime
import re
import threading
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountStatus
from relationships.models import SignalType, TrustSignal
from scoring import preview
from scoring.engine import DEFAULTS, Profile
from scoring.models import ScoreSnapshot, ScoringProfile
from scoring.selectors import profile_active
from scoring.services import account_rescore
from tests.conftest import work_the_queue
from tests.factories import AccountFactory, ContactFactory, InteractionFactory
from tests.scoring.test_tuning import _form_data, _start_draft


@pytest.fixture(autouse=True)
def _fresh_cache():
    preview.cache.clear()
    yield
    preview.cache.clear()


def _book(owner, count=6):
    """Accounts met weekly for half a year; every other one invited us into its planning,
    some a while ago; revenue grows with the number."""
    today = timezone.localdate()
    invited = SignalType.objects.get(slug="invited_to_planning")
    accounts = []
    for number in range(count):
        account = AccountFactory(
            owner=owner, name=f"Account {number}", annual_revenue=1000 * number
        )
        contact = ContactFactory(account=account)
        for week in range(26, 0, -1 - number % 3):
            meeting = InteractionFactory(
                account=account, occurred_on=today - datetime.timedelta(weeks=week)
            )
            meeting.participants.add(contact)
        if number % 2:
            TrustSignal.objects.create(
                account=account,
                signal_type=invited,
                observed_on=today - datetime.timedelta(weeks=2 + 6 * number),
            )
        account_rescore(account_id=account.pk)
        accounts.append(account)
    return accounts


def _preview(client, draft, **changes):
    response = client.post(
        reverse("profile-preview", args=[draft.version]),
        _form_data(draft, **changes),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    return response.content.decode()


def _counts(html):
    """{stage label: (live, draft)} as the preview table shows them."""
    rows = re.findall(
        r'<th scope="row">([A-Za-z ]+)</th><td class="num">(\d+)</td>'
        r'<td class="num" data-stage="[^"]+">(\d+)',
        html,
    )
    return {label: (int(live), int(draft)) for label, live, draft in rows}


def _stage_counts_of_snapshots(profile):
    counts = {}
    for stage in ScoreSnapshot.objects.filter(
        profile=profile, is_latest=True, account__lost_on__isnull=True
    ).values_list("stage", flat=True):
        counts[stage] = counts.get(stage, 0) + 1
    return counts


def test_the_preview_counts_what_a_full_recompute_under_the_draft_then_produces(
    client, alice, sam, django_capture_on_commit_callbacks
):
    _book(alice)
    client.force_login(sam)
    draft = _start_draft(client)
    changes = {
        "signal_weights.invited_to_planning": "40",
        "stage_thresholds.confidant": "20",
    }

    html = _preview(client, draft, **changes)

    counts = _counts(html)
    assert sum(live for live, _ in counts.values()) == 6
    assert counts["Confidant"][1] > counts["Confidant"][0]  # the change lifts accounts
    assert re.search(r"[1-9]\d* accounts? would move up", html)
    assert "▲ Account 1: Vendor → Confidant" in html
    draft.refresh_from_db()
    assert draft.params == DEFAULTS  # previewing saves nothing
    live_counts = _stage_counts_of_snapshots(profile_active())

    client.post(reverse("profile-draft", args=[draft.version]), _form_data(draft, **changes))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("profile-go-live", args=[draft.version]))
    work_the_queue()

    assert profile_active().version == draft.version
    applied = _stage_counts_of_snapshots(profile_active())
    labels = {"vendor": "Vendor", "confidant": "Confidant", "consultant": "Consultant",
              "virtual_partner": "Virtual partner"}  # fmt: skip
    assert {labels[stage]: n for stage, n in applied.items()} == {
        label: draft_count for label, (_, draft_count) in counts.items() if draft_count
    }
    assert {labels[stage]: n for stage, n in live_counts.items()} == {
        label: live_count for label, (live_count, _) in counts.items() if live_count
    }


def test_the_preview_follows_new_evidence(client, alice, sam, django_capture_on_commit_callbacks):
    accounts = _book(alice, count=2)
    client.force_login(sam)
    draft = _start_draft(client)
    changes = {"stage_thresholds.confidant": "15"}
    before = _counts(_preview(client, draft, **changes))

    with django_capture_on_commit_callbacks(execute=True):  # the write commits, as in use
        TrustSignal.objects.create(
            account=accounts[0],
            signal_type=SignalType.objects.get(slug="invited_to_planning"),
            observed_on=timezone.localdate(),
        )

    after = _counts(_preview(client, draft, **changes))
    assert after["Confidant"][1] == before["Confidant"][1] + 1


def test_the_preview_follows_an_account_whose_evidence_is_all_removed(
    client, alice, sam, django_capture_on_commit_callbacks
):
    accounts = _book(alice, count=3)
    client.force_login(sam)
    draft = _start_draft(client)
    before = _counts(_preview(client, draft))

    with django_capture_on_commit_callbacks(execute=True):
        accounts[0].signals.all().delete()
        accounts[0].interactions.all().delete()

    after = _counts(_preview(client, draft))
    assert sum(live for live, _ in after.values()) == sum(live for live, _ in before.values()) - 1


def test_the_fingerprint_moves_with_a_standing_replaced_under_a_lower_id(alice):
    """A write that took its ids before another's but commits after it still shows: the ids
    of the standings are summed, not only their newest read."""
    first, second = _book(alice, count=2)
    account_rescore(account_id=second.pk)  # frees second's earlier ids, below the newest
    freed = ScoreSnapshot.objects.order_by("pk").values_list("pk", flat=True)
    free_id = next(pk + 1 for pk, after in zip(freed, freed[1:], strict=False) if after > pk + 1)
    before = preview.evidence_fingerprint()

    standing = ScoreSnapshot.objects.get(account=first, is_latest=True)
    standing.delete()
    standing.pk = free_id
    standing.save(force_insert=True)

    assert free_id < ScoreSnapshot.objects.order_by("-pk").values_list("pk", flat=True)[0]
    assert preview.evidence_fingerprint() != before


def test_a_broken_draft_previews_nothing_and_says_what_to_fix(client, sam):
    client.force_login(sam)
    draft = _start_draft(client)

    for changes, problem in (
        ({"hysteresis": "abc"}, "hysteresis: Enter a number."),
        ({"risk_bands.high": "10"}, "risk bands · high: The high band (10) must start above"),
    ):
        html = _preview(client, draft, **changes)

        assert "Fix these to see the preview" in html and problem in html
        assert 'data-testid="what-if"' not in html
    draft.refresh_from_db()
    assert draft.params == DEFAULTS


def test_a_used_version_previews_as_stored(client, alice, sam):
    _book(alice, count=2)
    client.force_login(sam)
    page = client.get(reverse("profile-draft", args=[1])).content.decode()
    assert 'hx-get="/tuning/versions/1/preview/"' in page

    html = client.get(reverse("profile-preview", args=[1])).content.decode()

    counts = _counts(html)
    assert all(live == draft for live, draft in counts.values())
    assert "0 accounts would move up, 0 down." in html


def test_only_scoring_admins_preview(client, alice, lena):
    for person in (alice, lena):
        client.force_login(person)
        assert client.get(reverse("profile-preview", args=[1])).status_code == 403


def test_the_preview_reads_the_portfolio_in_the_same_queries_however_large(
    client, alice, sam, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(preview, "ROWS_PER_FETCH", 5)  # the larger book takes many fetches
    client.force_login(sam)
    draft = _start_draft(client)
    _book(alice, count=2)
    preview.cache.clear()
    with django_assert_max_num_queries(30) as small:
        _preview(client, draft)
    _book(alice, count=8)
    preview.cache.clear()
    with django_assert_max_num_queries(30) as large:
        _preview(client, draft)

    assert len(large.captured_queries) == len(small.captured_queries)
    assert ScoringProfile.objects.count() == 2


def test_the_preview_fetched_a_few_rows_at_a_time_is_the_preview_fetched_at_once(
    alice, monkeypatch
):
    accounts = _book(alice, count=7)
    # An archived account among the others: its evidence is read, and previewed no more than
    # it is when every row comes at once.
    accounts[3].status = AccountStatus.ARCHIVED
    accounts[3].save()
    live = profile_active().engine_profile()
    draft = Profile.from_dict(
        {**live.params, "signal_weights": {**live["signal_weights"], "invited_to_planning": 40}}
    )

    at_once = preview.what_if(live=live, draft=draft)
    preview.cache.clear()
    monkeypatch.setattr(preview, "ROWS_PER_FETCH", 3)
    a_few_at_a_time = preview.what_if(live=live, draft=draft)

    assert a_few_at_a_time == at_once
    assert sum(at_once["stages_live"].values()) == 6 and at_once["changes"]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_portfolio_reads_the_same(alice):
    """Outside a transaction, PostgreSQL reads the tables at once on their own connections."""
    from tests.conftest import ensure_migrated_rows

    ensure_migrated_rows()
    _book(alice, count=3)
    live = profile_active().engine_profile()

    result = preview.what_if(live=live, draft=live)

    assert sum(result["stages_live"].values()) == 3
    assert result["stages_live"] == result["stages_draft"] and result["changes"] == []


def test_requests_missing_the_same_read_at_once_wait_for_one_read_of_the_book():
    """Threads of one web process: the second request to need the book waits for the first's
    read rather than holding a second copy of it beside the first."""
    reads = []

    def slow_read():
        reads.append(threading.current_thread().name)
        time.sleep(0.2)
        return object()

    got = {}

    def request(name, key):
        got[name] = preview.cache.batch_for(lambda: key, slow_read)[1]

    first = threading.Thread(target=request, args=("first", ("today",)))
    second = threading.Thread(target=request, args=("second", ("today",)))
    first.start()
    time.sleep(0.05)  # the second arrives while the first reads
    second.start()
    first.join()
    second.join()

    assert len(reads) == 1
    assert got["first"] is got["second"]
    # A different key (the evidence changed) reads again, and lets the last read go first.
    key, batch = preview.cache.batch_for(lambda: ("changed",), slow_read)
    assert key == ("changed",) and batch is not got["first"]
    assert len(reads) == 2 and preview.cache.key == ("changed",)


def test_a_request_that_waited_for_a_read_reads_again_if_the_evidence_moved_meanwhile():
    reads = []

    def slow_read():
        reads.append(1)
        time.sleep(0.2)
        return object()

    # The second request missed under the key the first reads, then the evidence changed
    # while it waited: the key it takes after the wait is the new one.
    keys = iter([("before",), ("after",)])
    got = {}
    first = threading.Thread(
        target=lambda: got.update(first=preview.cache.batch_for(lambda: ("before",), slow_read))
    )
    first.start()
    time.sleep(0.05)
    got["second"] = preview.cache.batch_for(lambda: next(keys), slow_read)
    first.join()

    assert got["first"][0] == ("before",) and got["second"][0] == ("after",)
    assert got["second"][1] is not got["first"][1] and len(reads) == 2
