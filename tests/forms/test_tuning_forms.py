"""The tuning page's forms (scoring admin): saving a draft, its preview, starting a draft,
and the apply and backtest buttons."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import given, settings
from hypothesis import strategies as st

from relationships.models import SignalType
from scoring import services
from scoring.engine import DEFAULTS, flatten
from scoring.models import ProfileChange, ScoringProfile
from scoring.selectors import profile_active
from scoring.tuning.forms import ProfileForm, field_name
from tests.factories import InteractionFactory
from tests.forms.strategies import FUZZ, MISSING, TEXT, VALUE, classic_cases, fuzz
from tests.forms.support import (
    HTMX,
    accepted,
    as_posted,
    assert_answered,
    assert_explained,
    payload,
    rolled_back,
    rows,
)


def _draft(sam) -> ScoringProfile:
    return services.profile_draft(source=profile_active(), actor=sam)


def _profile_payload(profile: ScoringProfile) -> dict[str, Any]:
    data: dict[str, Any] = {"revision": str(profile.revision)}
    for path, value in flatten(profile.params).items():
        data[field_name(path)] = ", ".join(value) if isinstance(value, list) else str(value)
    return data


PROFILE_FIELDS = ("revision", *sorted(field_name(path) for path in flatten(DEFAULTS)))


@FUZZ
@classic_cases("revision", "score_scale", "gates__consultant", "signal_weights__delivery_miss")
@given(changes=fuzz(*PROFILE_FIELDS))
def test_a_draft_saved_with_any_input_is_saved_whole_or_explained_and_kept(client, sam, changes):
    """A draft saves all its parameters with a diff in its history, or shows every problem and
    stays as it was."""
    with rolled_back():
        draft = _draft(sam)
        data = payload(_profile_payload(draft), changes)
        client.force_login(sam)
        before = rows(ScoringProfile, ProfileChange)

        response = client.post(reverse("profile-draft", args=[draft.version]), data)

        assert_answered(response)
        current = ScoringProfile.objects.get(pk=draft.pk)
        if accepted(response):
            assert current.revision == draft.revision + 1
            assert current.engine_profile()  # what was saved is a usable profile
        else:
            assert_explained(response, response.context["form"])
            assert (current.params, current.revision) == (draft.params, draft.revision)
            assert rows(ScoringProfile, ProfileChange) == before


@FUZZ
@given(changes=st.one_of(st.just({}), fuzz(*PROFILE_FIELDS)))
def test_a_version_in_use_refuses_any_save_with_a_message(client, sam, changes):
    """A version in use never changes; a save posted to it (from a page opened before it
    went live) is refused with a message."""
    live = profile_active()
    data = payload(_profile_payload(live), changes)
    with rolled_back():
        client.force_login(sam)
        before = rows(ScoringProfile, ProfileChange)

        response = client.post(reverse("profile-draft", args=[live.version]), data)

        assert_answered(response)
        assert not accepted(response)
        assert_explained(response, response.context["form"])
        current = ScoringProfile.objects.get(pk=live.pk)
        assert (current.params, current.revision) == (live.params, live.revision)
        assert rows(ScoringProfile, ProfileChange) == before


@FUZZ
@classic_cases("revision", "score_scale", "gates__consultant", "signal_weights__delivery_miss")
@given(changes=fuzz(*PROFILE_FIELDS))
def test_the_preview_of_any_input_shows_the_what_if_or_every_problem(
    client, sam, alices_account, changes
):
    """The what-if preview scores a usable draft, lists every problem of a broken one, and
    saves nothing either way."""
    with rolled_back():
        InteractionFactory(account=alices_account, occurred_on=timezone.localdate())
        draft = _draft(sam)
        data = payload(_profile_payload(draft), changes)
        client.force_login(sam)
        before = rows(ScoringProfile, ProfileChange)

        response = client.post(reverse("profile-preview", args=[draft.version]), data, **HTMX)

        assert_answered(response)
        assert response.status_code == 200
        html = response.content.decode()
        form = ProfileForm(
            as_posted(data),
            params=draft.params,
            active=profile_active().params,
            signal_slugs=SignalType.objects.values_list("slug", flat=True),
        )
        form.is_valid()
        if form.problems():
            assert "Fix these to see the preview" in html
            for problem in form.problems():
                assert escape(problem) in html, f"problem not shown: {problem!r}"
        else:
            assert 'data-stage="Vendor"' in html, "neither a preview nor a problem"
        current = ScoringProfile.objects.get(pk=draft.pk)
        assert (current.params, current.revision) == (draft.params, draft.revision)
        assert rows(ScoringProfile, ProfileChange) == before


@FUZZ
@classic_cases("source")
@given(changes=fuzz("source"))
def test_starting_a_draft_from_any_source_starts_one_or_explains(client, sam, changes):
    """A draft starts from an existing version; any other source is refused without a draft."""
    data = payload({"source": str(profile_active().version)}, changes)
    with rolled_back():
        client.force_login(sam)
        before = rows(ScoringProfile, ProfileChange)

        response = client.post(reverse("profile-draft-new"), data, follow=True)

        assert_answered(response)
        after = rows(ScoringProfile, ProfileChange)
        html = response.content.decode()
        if after != before:
            assert after["ScoringProfile"] == before["ScoringProfile"] + 1
            assert "started from v1" in html
        else:
            assert '<li class="error">There is no such version to start a draft from.' in html


@settings(FUZZ, max_examples=10)
@given(junk=st.dictionaries(TEXT, VALUE.filter(lambda v: v is not MISSING), max_size=3))
def test_the_apply_and_backtest_buttons_ignore_stray_fields(client, sam, junk):
    """Apply queues one rollout and backtest one run, whatever else the request carries; a
    second apply is refused with a message."""
    with rolled_back():
        draft = _draft(sam)
        client.force_login(sam)

        tested = client.post(reverse("profile-backtest", args=[draft.version]), junk)
        applied = client.post(reverse("profile-go-live", args=[draft.version]), junk, follow=True)
        again = client.post(reverse("profile-go-live", args=[draft.version]), junk, follow=True)

        for response in (tested, applied, again):
            assert_answered(response)
        assert draft.backtests.count() == 1
        assert draft.rollouts.count() == 1
        assert 'class="error"' in again.content.decode()
