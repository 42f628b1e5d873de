"""Scoring admins start drafts from any version and edit every parameter safely."""

from django.urls import reverse

from scoring.engine import DEFAULTS, flatten
from scoring.models import ProfileChange, ScoringProfile
from scoring.selectors import profile_active
from scoring.tuning.forms import field_name
from tests.conftest import work_the_queue


def _form_data(profile, revision=None, **changes):
    """What the draft page posts: every parameter as shown, with `changes` (dotted paths)."""
    data = {"revision": profile.revision if revision is None else revision}
    for path, value in flatten(profile.params).items():
        data[field_name(path)] = ", ".join(value) if isinstance(value, list) else value
    for path, value in changes.items():
        data[field_name(path.replace("__", "."))] = value
    return data


def _start_draft(client):
    client.post(reverse("profile-draft-new"), {"source": profile_active().version})
    return ScoringProfile.objects.get(is_active=False, frozen=False)


def test_only_scoring_admins_tune(client, alice, lena, sam):
    for person in (alice, lena):
        client.force_login(person)
        assert client.get(reverse("tuning")).status_code == 403
        assert client.post(reverse("profile-draft-new"), {"source": 1}).status_code == 403
    client.force_login(sam)
    assert "v1" in client.get(reverse("tuning")).content.decode()


def test_a_draft_starts_from_a_version_and_leaves_the_live_profile_alone(client, sam):
    client.force_login(sam)
    draft = _start_draft(client)

    assert draft.version == 2 and draft.params == DEFAULTS
    assert profile_active().version == 1
    change = ProfileChange.objects.get(profile=draft)
    assert change.summary == "Draft v2 started from v1" and change.actor == sam
    page = client.get(reverse("profile-draft", args=[draft.version])).content.decode()
    assert "Score each stage needs; they must rise with the stage." in page
    consultant = DEFAULTS["stage_thresholds"]["consultant"]
    assert f"default {consultant} · active {consultant}" in page


def test_editing_a_draft_saves_a_readable_diff(client, sam):
    client.force_login(sam)
    draft = _start_draft(client)

    client.post(
        reverse("profile-draft", args=[draft.version]),
        _form_data(draft, **{"stage_thresholds.consultant": "61", "gates.consultant": ""}),
    )

    draft.refresh_from_db()
    assert draft.params["stage_thresholds"]["consultant"] == 61
    assert draft.params["gates"]["consultant"] == []
    edit = ProfileChange.objects.get(profile=draft, action="edited")
    assert edit.diff == {
        "gates.consultant": [["strategy_advice_requested"], []],
        "stage_thresholds.consultant": [DEFAULTS["stage_thresholds"]["consultant"], 61],
    }
    assert profile_active().params == DEFAULTS  # a draft never touches live scores


def test_a_broken_profile_is_explained_by_its_fields_and_never_saved(client, sam):
    client.force_login(sam)
    draft = _start_draft(client)

    response = client.post(
        reverse("profile-draft", args=[draft.version]),
        _form_data(
            draft,
            **{
                "stage_thresholds.consultant": "20",
                "gates.confidant": "invited_to_planning, telepathy",
                "risk_weights.silence": "abc",
            },
        ),
    )

    html = response.content.decode()
    assert "Enter a number." in html
    response = client.post(
        reverse("profile-draft", args=[draft.version]),
        _form_data(
            draft,
            **{"stage_thresholds.consultant": "20", "gates.confidant": "telepathy"},
        ),
    )
    html = response.content.decode()
    confidant = DEFAULTS["stage_thresholds"]["confidant"]
    assert (
        "Thresholds must rise with the stage: consultant (20) must be above "
        f"confidant ({confidant})." in html
    )
    assert "Not in the signal catalog: telepathy." in html
    draft.refresh_from_db()
    assert draft.params == DEFAULTS and draft.revision == 1


def test_two_admins_on_one_draft_do_not_overwrite_each_other(client, sam, tess):
    client.force_login(sam)
    draft = _start_draft(client)
    opened_by_both = draft.revision

    client.post(
        reverse("profile-draft", args=[draft.version]),
        _form_data(draft, opened_by_both, **{"hysteresis": "6"}),
    )
    client.force_login(tess)
    late = client.post(
        reverse("profile-draft", args=[draft.version]),
        _form_data(draft, opened_by_both, **{"score_scale": "45"}),
    )

    assert "was saved by someone else since you opened it" in late.content.decode()
    draft.refresh_from_db()
    assert (draft.params["hysteresis"], draft.params["score_scale"]) == (
        6,
        DEFAULTS["score_scale"],
    )


def test_a_used_version_is_read_only(client, sam):
    client.force_login(sam)
    active = profile_active()
    page = client.get(reverse("profile-draft", args=[active.version])).content.decode()
    assert "This version has been used, so it never changes." in page
    client.post(
        reverse("profile-draft", args=[active.version]),
        _form_data(active, **{"hysteresis": "9"}),
    )
    active.refresh_from_db()
    assert active.params["hysteresis"] == DEFAULTS["hysteresis"]


def test_applying_from_the_page_queues_a_rollout_and_shows_its_progress(
    client, sam, lena, django_capture_on_commit_callbacks
):
    client.force_login(sam)
    draft = _start_draft(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("profile-go-live", args=[draft.version]), follow=True)
    html = response.content.decode()
    assert "it goes live when complete" in html
    assert "Rolling out v2" in html and 'hx-trigger="every 1s"' in html
    assert profile_active().version == 1  # nothing switches before the history is complete

    work_the_queue()

    progress = client.get(reverse("rollout-progress"), HTTP_HX_REQUEST="true")
    assert "v2 is live" in progress.content.decode()
    assert "every 1s" not in progress.content.decode()  # polling stops
    assert "profilesChanged" in progress["HX-Trigger"]
    assert profile_active().version == 2
    page = client.get(reverse("tuning")).content.decode()
    assert "Roll back to v1" in page

    client.force_login(lena)
    assert client.post(reverse("profile-go-live", args=[1])).status_code == 403
    assert client.get(reverse("rollout-progress")).status_code == 403


def test_any_negative_signal_can_be_made_to_warn_on_its_own_or_stop_warning(client, sam):
    client.force_login(sam)
    draft = _start_draft(client)
    page = client.get(reverse("profile-draft", args=[draft.version])).content.decode()
    # Every negative type of the catalog has a row, left blank when it does not warn alone;
    # positive types have none.
    assert 'name="warning_signals__price_pressure"' in page
    assert 'name="warning_signals__delivered_as_promised"' not in page

    client.post(
        reverse("profile-draft", args=[draft.version]),
        _form_data(
            draft,
            **{"warning_signals.price_pressure": "45", "warning_signals.champion_left": ""},
        ),
    )

    draft.refresh_from_db()
    assert draft.params["warning_signals"] == {
        "retender_or_competitive_bid": 65,
        "competitor_invited": 65,
        "excluded_from_planning": 65,
        "price_pressure": 45,
    }
    edit = ProfileChange.objects.get(profile=draft, action="edited")
    assert edit.diff == {
        "warning_signals.champion_left": [40, None],
        "warning_signals.price_pressure": [None, 45],
    }
