"""Every form a person can submit, fed hostile input: it answers, explains, and writes all or
nothing.

Each test starts from a submission the form accepts and lets hypothesis replace some of its
fields with what people (and scripts) really send: NUL bytes, 10,000 characters, right-to-left
text and emoji, "1e309", "NaN", "9" * 40, impossible dates, a field posted twice, a field left
out. Whatever arrives, the app answers without a server error; a refusal names what is wrong
on the page; and a refused submission changes no row anywhere.

Each example runs in a savepoint that is rolled back afterwards, so examples do not see each
other's writes.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import re
from collections.abc import Iterator
from typing import Any, Literal
from urllib.parse import urlsplit

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.html import escape
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from accounts import roles
from accounts.models import Account
from pages.views.account import PANELS
from relationships.csv_bundle import formats
from relationships.models import (
    EARLIEST_EVIDENCE,
    Assessment,
    AuditEntry,
    Contact,
    ExternalPressure,
    Interaction,
    SignalType,
    TrustSignal,
)
from relationships.services import interaction_version
from scoring import services
from scoring.engine import DEFAULTS, flatten
from scoring.models import ProfileChange, ScoreSnapshot, ScoringProfile
from scoring.selectors import profile_active
from scoring.tuning.forms import ProfileForm, field_name
from tests.factories import ContactFactory, InteractionFactory, UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
PASSWORD = "correct horse battery staple"

# What hostile input looks like ----------------------------------------------------------------

# Surrogates cannot be encoded into a request at all, so they are left out.
SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
TEXT = st.text(alphabet=st.characters(blacklist_categories=SURROGATES), max_size=40)
NASTY = st.sampled_from(
    [
        "",
        " ",
        " \t\n ",
        "\x00",
        "a\x00b",
        "x" * 10_000,
        "€" * 10_000,
        "\u202eRTL override\u202c",
        "עברית ومرحبا",
        "😀👍🏽🇪🇺",
        "\u200b",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "%s %(x)s {0} {{ x }}",
        "1e309",
        "-1e309",
        "NaN",
        "nan",
        "inf",
        "-inf",
        "-0",
        "0",
        "-1",
        "1.5",
        "9" * 40,
        "-" + "9" * 40,
        "0x10",
        "1_000",
        "0000-00-00",
        "0001-01-01",
        "1900-01-01",
        "9999-12-31",
        "2026-02-30",
        "2026-13-01",
        "31/12/2025",
        "true",
        "on",
        "null",
        "[]",
        "{}",
    ]
)
SCALAR = st.one_of(
    NASTY,
    TEXT,
    st.integers().map(str),
    st.floats().map(str),
    st.dates().map(datetime.date.isoformat),
    # Dates around the edges of what the app accepts: 1970, and today.
    st.dates(datetime.date(1960, 1, 1), datetime.date(2030, 12, 31)).map(datetime.date.isoformat),
)


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()
# A field's value: one hostile string, the same key posted two or three times, or no field.
VALUE = st.one_of(SCALAR, SCALAR, st.lists(SCALAR, min_size=2, max_size=3), st.just(MISSING))


def fuzz(*fields: str, values: st.SearchStrategy = VALUE) -> st.SearchStrategy[dict[str, Any]]:
    """Replacements for one or several of `fields`."""
    return st.dictionaries(st.sampled_from(fields), values, min_size=1, max_size=len(fields))


def _payload(valid: dict[str, Any], changes: dict[str, Any], refs: dict[str, Any] | None = None):
    """`valid` with `changes` applied; a value naming one of `refs` becomes that value."""
    data = dict(valid)
    for name, value in changes.items():
        if value is MISSING:
            data.pop(name, None)
        elif isinstance(value, str) and refs and value in refs:
            data[name] = refs[value]
        else:
            data[name] = value
    return data


def _sent(data: dict[str, Any], name: str) -> str:
    """The value a form reads for `name`: the last one posted, or "" when none was."""
    value = data.get(name, "")
    return str(value[-1] if isinstance(value, list) else value)


def _as_posted(data: dict[str, Any]) -> MultiValueDict:
    """`data` as a form reads it from the request."""
    return MultiValueDict(
        {
            name: [str(v) for v in value] if isinstance(value, list) else [str(value)]
            for name, value in data.items()
        }
    )


def _with_refs(*names: str) -> st.SearchStrategy:
    """Hostile values, or one of the named ids the test knows (another account's contact, a
    user who is not a manager...)."""
    return st.one_of(VALUE, st.sampled_from(names), st.lists(st.sampled_from(names), max_size=3))


# The inputs that break forms most often; every test tries each in each of its fields.
CLASSICS = ["\x00", "a\x00b", "x" * 10_000, "9" * 40, "1e309", "NaN", "0001-01-01", "", MISSING]


def classic_cases(*fields: str, **fixed: Any):
    """Always try the valid submission, and each classic input in each of `fields` (with
    `fixed` for the other arguments), besides what hypothesis generates."""

    def decorate(test):
        test = example(changes={}, **fixed)(test)
        for name in fields:
            for value in CLASSICS:
                test = example(changes={name: value}, **fixed)(test)
        return test

    return decorate


FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# What every answer must do ------------------------------------------------------------------


@contextlib.contextmanager
def rolled_back() -> Iterator[None]:
    """One example's writes, undone when it ends."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def rows(*models) -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in models}


EVIDENCE = (Interaction, TrustSignal, AuditEntry, Contact, Assessment, ExternalPressure, Account)


def accepted(response) -> bool:
    """A redirect after a plain POST, or an htmx answer that tells the page what changed."""
    ok = response.status_code in (302, 303) or "HX-Trigger" in response
    # How often each path ran shows with --hypothesis-show-statistics.
    event("accepted" if ok else "refused")
    return ok


def assert_answered(response, *also: int) -> None:
    assert response.status_code != 500
    assert response.status_code in (200, 302, 303, *also), response.status_code


def assert_explained(response, form) -> None:
    """A refused form is back on the page with every one of its errors shown."""
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error"' in html, "refused without a message"
    assert form.errors, "refused although the form is valid"
    for errors in form.errors.values():
        for error in errors:
            assert escape(error) in html, f"error not shown: {error!r}"


def _context(response, key: str):
    return response.context[key] if response.context and key in response.context else None


# People and things ------------------------------------------------------------------------


@pytest.fixture
def sam(migrated_rows):
    user = UserFactory(username="sam")
    user.groups.add(Group.objects.get(name=roles.SCORING_ADMIN))
    return user


@pytest.fixture
def contact(alices_account):
    return ContactFactory(account=alices_account, name="Dana Reyes")


@pytest.fixture
def bobs_contact(bobs_account):
    return ContactFactory(account=bobs_account, name="Omar Haddad")


def _signal_ids(*slugs: str) -> list[int]:
    return list(SignalType.objects.filter(slug__in=slugs).values_list("pk", flat=True))


def _days_ago(days: int) -> str:
    return (timezone.localdate() - datetime.timedelta(days=days)).isoformat()


# Signing in and the password --------------------------------------------------------------


@FUZZ
@classic_cases("username", "password", "next")
@given(changes=fuzz("username", "password", "next"))
def test_signing_in_with_any_credentials_answers_and_explains_a_refusal(client, alice, changes):
    """Sign-in either lets Alice in with her real password or says why not."""
    data = _payload({"username": "alice", "password": PASSWORD, "next": "/dashboard/"}, changes)
    with rolled_back():
        response = client.post(reverse("login"), data)

        assert_answered(response, 403, 429)
        signed_in = "_auth_user_id" in client.session
        if response.status_code == 302:
            assert signed_in
            assert (_sent(data, "username"), _sent(data, "password")) == ("alice", PASSWORD)
            target = urlsplit(response["Location"])
            assert (target.scheme, target.netloc) == ("", "")  # never off to another site
        else:
            assert not signed_in
            if response.status_code == 200:
                assert_explained(response, response.context["form"])
        client.logout()


@FUZZ
@classic_cases("old_password", "new_password1")
@given(changes=fuzz("old_password", "new_password1", "new_password2"))
def test_a_password_change_takes_any_input_and_keeps_the_old_password_when_refused(
    client, alice, changes
):
    """A refused password change shows why and leaves the password as it was."""
    new = "a fresh long passphrase"
    valid = {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    data = _payload(valid, changes)
    with rolled_back():
        alice.refresh_from_db()  # an earlier example's change was rolled back
        client.force_login(alice)
        response = client.post(reverse("password_change"), data)

        assert_answered(response)
        alice.refresh_from_db()
        if response.status_code == 302:
            assert response["Location"] == reverse("password_change_done")
            assert alice.check_password(_sent(data, "new_password1"))
        else:
            assert_explained(response, response.context["form"])
            assert alice.check_password(PASSWORD)


# Logging and editing interactions ---------------------------------------------------------

INTERACTION_FIELDS = (
    "occurred_on",
    "kind",
    "initiated_by_client",
    "notes",
    "sentiment",
    "participants",
    "new_contact_name",
    "new_contact_title",
    "signals",
)


def _interaction_payload(contact: Contact) -> dict[str, Any]:
    return {
        "occurred_on": _days_ago(3),
        "kind": "meeting",
        "initiated_by_client": "on",
        "notes": "Quarterly plan",
        "sentiment": "1",
        "participants": [contact.pk],
        "new_contact_name": "",
        "new_contact_title": "",
        "signals": _signal_ids("invited_to_planning", "early_notice_of_plans"),
    }


def _interaction_refs(bobs_contact: Contact) -> dict[str, Any]:
    """Ids a tampered form might send: another account's contact, a retired signal type (it
    retires one), and a signal type on offer."""
    retired = SignalType.objects.get(slug="excluded_from_planning")
    SignalType.objects.filter(pk=retired.pk).update(is_active=False)
    return {
        "other account's contact": str(bobs_contact.pk),
        "retired signal": str(retired.pk),
        "a signal": str(_signal_ids("delivery_miss")[0]),
    }


@FUZZ
@classic_cases(*INTERACTION_FIELDS, htmx=True)
@given(
    changes=fuzz(
        *INTERACTION_FIELDS,
        values=_with_refs("other account's contact", "retired signal", "a signal"),
    ),
    htmx=st.booleans(),
)
def test_logging_a_meeting_with_any_input_logs_it_whole_or_explains_and_writes_nothing(
    client, alice, alices_account, contact, bobs_contact, changes, htmx
):
    """A logged meeting comes with its audit entry; a refused one leaves no trace (not even
    the new contact it named)."""
    with rolled_back():
        data = _payload(_interaction_payload(contact), changes, _interaction_refs(bobs_contact))
        client.force_login(alice)
        before = rows(*EVIDENCE)

        response = client.post(
            reverse("interaction-new", args=[alices_account.pk]), data, **(HTMX if htmx else {})
        )

        assert_answered(response)
        after = rows(*EVIDENCE)
        if accepted(response):
            assert after["Interaction"] == before["Interaction"] + 1
            assert after["AuditEntry"] == before["AuditEntry"] + 1
            logged = Interaction.objects.latest("pk")
            assert logged.account == alices_account and logged.logged_by == alice
            # No mistyped year stretches the account's history over centuries.
            assert logged.occurred_on >= EARLIEST_EVIDENCE
            assert ScoreSnapshot.objects.filter(account=alices_account, is_latest=True).exists()
        else:
            assert_explained(response, response.context["form"])
            assert after == before


def _interaction_state(interaction: Interaction) -> tuple:
    interaction.refresh_from_db()
    return (
        interaction.occurred_on,
        interaction.kind,
        interaction.initiated_by_client,
        interaction.notes,
        interaction.sentiment,
        sorted(interaction.participants.values_list("pk", flat=True)),
        sorted(interaction.signals.values_list("signal_type_id", flat=True)),
    )


@FUZZ
@classic_cases(*INTERACTION_FIELDS, "version", htmx=False)
@given(
    changes=fuzz(
        *INTERACTION_FIELDS,
        "version",
        values=_with_refs("other account's contact", "retired signal", "a signal"),
    ),
    htmx=st.booleans(),
)
def test_editing_an_entry_with_any_input_saves_it_whole_or_explains_and_keeps_it(
    client, alice, alices_account, contact, bobs_contact, changes, htmx
):
    """An edit is saved with its audit entry, or refused with a message and the entry as it
    was."""
    with rolled_back():
        meeting = InteractionFactory(account=alices_account, occurred_on=timezone.localdate())
        meeting.participants.add(contact)
        valid = {**_interaction_payload(contact), "version": interaction_version(meeting)}
        data = _payload(valid, changes, _interaction_refs(bobs_contact))
        client.force_login(alice)
        before = rows(*EVIDENCE)
        state = _interaction_state(meeting)

        response = client.post(
            reverse("interaction-edit", args=[meeting.pk]), data, **(HTMX if htmx else {})
        )

        assert_answered(response)
        after = rows(*EVIDENCE)
        if accepted(response):
            assert after["AuditEntry"] == before["AuditEntry"] + 1
            assert after["Interaction"] == before["Interaction"]
        else:
            assert_explained(response, response.context["form"])
            assert after == before
            assert _interaction_state(meeting) == state


@FUZZ
@given(
    junk=st.dictionaries(TEXT, VALUE.filter(lambda v: v is not MISSING), max_size=3),
    htmx=st.booleans(),
)
def test_deleting_and_undoing_ignore_stray_fields_and_put_everything_back(
    client, alice, alices_account, contact, junk, htmx
):
    """Delete takes the entry and its signals away; undo brings back the same rows, whatever
    else the request carries."""
    headers = HTMX if htmx else {}
    with rolled_back():
        meeting = InteractionFactory(account=alices_account, occurred_on=timezone.localdate())
        meeting.participants.add(contact)
        TrustSignal.objects.create(
            account=alices_account,
            interaction=meeting,
            signal_type=SignalType.objects.get(slug="invited_to_planning"),
            observed_on=meeting.occurred_on,
        )
        client.force_login(alice)
        state = _interaction_state(meeting)

        deleted = client.post(reverse("interaction-delete", args=[meeting.pk]), junk, **headers)

        assert_answered(deleted)
        assert accepted(deleted)
        assert not Interaction.objects.filter(pk=meeting.pk).exists()
        assert not TrustSignal.objects.filter(interaction_id=meeting.pk).exists()
        entry = AuditEntry.objects.get(action="deleted", subject_id=meeting.pk)

        undone = client.post(reverse("interaction-undo", args=[entry.pk]), junk, **headers)

        assert_answered(undone)
        assert accepted(undone)
        assert _interaction_state(meeting) == state

        again = client.post(reverse("interaction-undo", args=[entry.pk]), junk, **headers)

        assert_answered(again)
        if htmx:
            assert 'class="error"' in again.content.decode()
        else:
            page = client.get(again["Location"]).content.decode()
            assert "There is nothing to undo here." in page
        assert _interaction_state(meeting) == state


# The account's facts, assessments and contacts --------------------------------------------


FACT_FIELDS = (
    "mission",
    "partnership_potential",
    "pressures",
    "objective",
    "next_step",
    "next_step_due",
)


def _facts_state(account: Account) -> tuple:
    account.refresh_from_db()
    pressures = list(account.pressures.values_list("description", flat=True))
    plan = (account.objective, account.next_step, account.next_step_due)
    return account.mission, account.partnership_potential, pressures, plan


@FUZZ
@classic_cases(*FACT_FIELDS, htmx=True)
@given(changes=fuzz(*FACT_FIELDS), htmx=st.booleans())
def test_account_facts_take_any_input_and_save_all_of_it_or_none(
    client, alice, alices_account, changes, htmx
):
    """Facts and the plan are saved together, or refused with a message and left as they
    were."""
    valid = {
        "mission": "Move freight carbon-free by 2030",
        "partnership_potential": "could_partner",
        "pressures": "Fuel prices\nNew EU rules",
        "objective": "Join their planning cycle",
        "next_step": "Share the fuel-price outlook",
        "next_step_due": _days_ago(-7),
    }
    data = _payload(valid, changes)
    with rolled_back():
        client.force_login(alice)
        before, state = rows(*EVIDENCE), _facts_state(alices_account)

        response = client.post(
            reverse("account-facts", args=[alices_account.pk]), data, **(HTMX if htmx else {})
        )

        assert_answered(response)
        if accepted(response):
            mission, potential, pressures, plan = _facts_state(alices_account)
            assert mission == _sent(data, "mission").strip()
            assert potential == _sent(data, "partnership_potential")
            assert all(0 < len(p) <= 200 for p in pressures)
            objective, next_step, due = plan
            assert objective == _sent(data, "objective").strip()
            assert next_step == _sent(data, "next_step").strip()
            assert due is None or next_step
        else:
            assert_explained(response, response.context["facts_form"])
            assert rows(*EVIDENCE) == before
            assert _facts_state(alices_account) == state


@FUZZ
@classic_cases("relevance", "client_perceived_stage", "note", htmx=True)
@given(changes=fuzz("relevance", "client_perceived_stage", "note"), htmx=st.booleans())
def test_an_assessment_with_any_input_is_recorded_or_explained_and_not_written(
    client, alice, alices_account, changes, htmx
):
    """An assessment is recorded with its audit entry, or refused and not written."""
    valid = {"relevance": "4", "client_perceived_stage": "confidant", "note": "Said so at lunch"}
    data = _payload(valid, changes)
    with rolled_back():
        client.force_login(alice)
        before = rows(*EVIDENCE)

        response = client.post(
            reverse("assessment-new", args=[alices_account.pk]), data, **(HTMX if htmx else {})
        )

        assert_answered(response)
        after = rows(*EVIDENCE)
        if accepted(response):
            assessment = Assessment.objects.get(account=alices_account)
            assert 1 <= assessment.relevance <= 5
            assert after["AuditEntry"] == before["AuditEntry"] + 1
        else:
            assert_explained(response, response.context["assessment_form"])
            assert after == before


@FUZZ
@classic_cases("name", "title", "role", htmx=True)
@given(changes=fuzz("name", "title", "role", "is_champion"), htmx=st.booleans())
def test_adding_a_contact_with_any_input_adds_one_or_explains_and_adds_none(
    client, alice, alices_account, changes, htmx
):
    """A contact is added with its audit entry, or refused with a message and not added."""
    valid = {"name": "Dana Reyes", "title": "COO", "role": "decision_maker", "is_champion": "on"}
    data = _payload(valid, changes)
    with rolled_back():
        client.force_login(alice)
        before = rows(*EVIDENCE)

        response = client.post(
            reverse("contact-new", args=[alices_account.pk]), data, **(HTMX if htmx else {})
        )

        assert_answered(response)
        after = rows(*EVIDENCE)
        if accepted(response):
            assert after["Contact"] == before["Contact"] + 1
            assert after["AuditEntry"] == before["AuditEntry"] + 1
            assert Contact.objects.latest("pk").name.strip()
        else:
            assert_explained(response, response.context["contact_form"])
            assert after == before


@FUZZ
@classic_cases("left_on", htmx=True)
@given(changes=fuzz("left_on"), htmx=st.booleans())
def test_a_contact_leaving_on_any_date_is_recorded_or_explained_and_not_written(
    client, alice, contact, changes, htmx
):
    """A leaving date is recorded with its audit entry, or refused next to the contact."""
    data = _payload({"left_on": _days_ago(2)}, changes)
    with rolled_back():
        client.force_login(alice)
        before = rows(*EVIDENCE)

        response = client.post(
            reverse("contact-left", args=[contact.pk]), data, **(HTMX if htmx else {})
        )

        assert_answered(response)
        after = rows(*EVIDENCE)
        contact.refresh_from_db()
        if accepted(response):
            assert contact.left_on is not None and contact.left_on <= timezone.localdate()
            assert after["AuditEntry"] == before["AuditEntry"] + 1
        else:
            assert response.status_code == 200
            shown = re.search(r'<p class="error">([^<]+)</p>', response.content.decode())
            assert shown, "refused without a message"
            assert contact.left_on is None
            assert after == before


# Owner and sharing (sales lead) -----------------------------------------------------------


@FUZZ
@classic_cases("owner", htmx=True)
@given(changes=fuzz("owner", values=_with_refs("bob", "lena", "alice")), htmx=st.booleans())
def test_reassigning_to_any_value_hands_the_account_to_a_manager_or_explains(
    client, alice, bob, lena, alices_account, changes, htmx
):
    """Only an account manager can receive the account; anything else is explained and the
    owner stays."""
    data = _payload({"owner": bob.pk}, changes, {"bob": bob.pk, "lena": lena.pk, "alice": alice.pk})
    with rolled_back():
        client.force_login(lena)
        before = rows(*EVIDENCE)

        response = client.post(
            reverse("account-owner", args=[alices_account.pk]), data, **(HTMX if htmx else {})
        )

        assert_answered(response)
        alices_account.refresh_from_db()
        if accepted(response):
            assert alices_account.owner in (alice, bob)
        else:
            assert_explained(response, response.context["owner_form"])
            assert alices_account.owner == alice
            assert rows(*EVIDENCE) == before


@FUZZ
@classic_cases("shared_with", htmx=True)
@given(changes=fuzz("shared_with", values=_with_refs("bob", "lena", "alice")), htmx=st.booleans())
def test_sharing_with_any_value_shares_with_managers_or_explains(
    client, alice, bob, lena, alices_account, changes, htmx
):
    """An account is shared with account managers only; anything else is explained and the
    sharing stays."""
    data = _payload(
        {"shared_with": [bob.pk]}, changes, {"bob": bob.pk, "lena": lena.pk, "alice": alice.pk}
    )
    with rolled_back():
        client.force_login(lena)
        before = rows(*EVIDENCE)

        response = client.post(
            reverse("account-sharing", args=[alices_account.pk]), data, **(HTMX if htmx else {})
        )

        assert_answered(response)
        shared = set(alices_account.shared_with.all())
        if accepted(response):
            assert shared <= {bob}
        else:
            assert_explained(response, response.context["sharing_form"])
            assert shared == set()
            assert rows(*EVIDENCE) == before


# The signal catalog (scoring admin) -------------------------------------------------------

CATALOG_ROWS = (SignalType, LogEntry)


@FUZZ
@classic_cases("name", "slug", "category", "polarity", "description")
@given(changes=fuzz("name", "slug", "category", "polarity", "description"))
def test_adding_a_signal_type_with_any_input_adds_it_or_explains(client, sam, changes):
    """A new type lands in the catalog with its history line, or is refused and not added."""
    valid = {
        "name": "Asked for references",
        "slug": "asked_for_references",
        "category": "advisory",
        "polarity": "1",
        "description": "They asked us to vouch for a partner of theirs.",
    }
    data = _payload(valid, changes)
    with rolled_back():
        client.force_login(sam)
        before = rows(*CATALOG_ROWS)

        response = client.post(reverse("signal-catalog"), data)

        assert_answered(response)
        after = rows(*CATALOG_ROWS)
        if accepted(response):
            added = SignalType.objects.get(slug=_sent(data, "slug").strip())
            assert added.name.strip() and added.is_active
            assert after == {
                "SignalType": before["SignalType"] + 1,
                "LogEntry": before["LogEntry"] + 1,
            }
        else:
            assert_explained(response, response.context["form"])
            assert after == before


@FUZZ
@classic_cases("name", "description", htmx=False)
@given(changes=fuzz("name", "description"), htmx=st.booleans())
def test_renaming_a_signal_type_with_any_input_renames_it_or_explains(client, sam, changes, htmx):
    """A rename keeps the slug; a refused one keeps the name and writes no history."""
    planning = SignalType.objects.get(slug="invited_to_planning")
    valid = {"name": "Invited into their planning", "description": "Clearer words."}
    data = _payload(valid, changes)
    with rolled_back():
        client.force_login(sam)
        before = rows(*CATALOG_ROWS)

        response = client.post(
            reverse("signal-type-edit", args=[planning.pk]), data, **(HTMX if htmx else {})
        )

        assert_answered(response)
        current = SignalType.objects.get(pk=planning.pk)
        assert current.slug == "invited_to_planning"
        form = _context(response, "edit_form")
        if response.status_code == 302 or (htmx and form is None):
            assert current.name.strip()
        else:
            assert_explained(response, form)
            assert (current.name, current.description) == (planning.name, planning.description)
            assert rows(*CATALOG_ROWS) == before


@FUZZ
@given(junk=st.dictionaries(TEXT, VALUE.filter(lambda v: v is not MISSING), max_size=3))
def test_retiring_a_signal_type_ignores_stray_fields(client, sam, junk):
    """Retire and bring back flip one type, whatever else the request carries."""
    planning = SignalType.objects.get(slug="invited_to_planning")
    with rolled_back():
        client.force_login(sam)
        retire = client.post(reverse("signal-type-toggle", args=[planning.pk]), junk)
        assert_answered(retire)
        assert not SignalType.objects.get(pk=planning.pk).is_active
        back = client.post(reverse("signal-type-toggle", args=[planning.pk]), junk)
        assert_answered(back)
        assert SignalType.objects.get(pk=planning.pk).is_active


# Tuning (scoring admin) -------------------------------------------------------------------


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
        data = _payload(_profile_payload(draft), changes)
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
    data = _payload(_profile_payload(live), changes)
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
        data = _payload(_profile_payload(draft), changes)
        client.force_login(sam)
        before = rows(ScoringProfile, ProfileChange)

        response = client.post(reverse("profile-preview", args=[draft.version]), data, **HTMX)

        assert_answered(response)
        assert response.status_code == 200
        html = response.content.decode()
        form = ProfileForm(
            _as_posted(data),
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
    data = _payload({"source": str(profile_active().version)}, changes)
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


# Pages with GET forms ---------------------------------------------------------------------

DASHBOARD_FIELDS = (
    "manager",
    "industry",
    "stage",
    "potential",
    "risk_band",
    "revenue_min",
    "revenue_max",
    "period",
    "trails",
)


@FUZZ
@classic_cases(*DASHBOARD_FIELDS)
@given(changes=fuzz(*DASHBOARD_FIELDS, values=_with_refs("alice", "lena")))
def test_the_dashboard_takes_any_filter_and_explains_the_ones_it_ignores(
    client, alice, lena, alices_account, changes
):
    """Every filter value gets the dashboard (and its export); a bad one is explained by its
    field."""
    valid = {
        "manager": alice.pk,
        "industry": "Logistics",
        "stage": "vendor",
        "potential": "unknown",
        "risk_band": "low",
        "revenue_min": "0",
        "revenue_max": "1000000",
        "period": "90",
        "trails": "on",
    }
    data = _payload(valid, changes, {"alice": alice.pk, "lena": lena.pk})
    with rolled_back():
        client.force_login(lena)

        response = client.get(reverse("dashboard"), data)

        assert response.status_code == 200
        form = response.context["form"]
        if form.errors:
            assert_explained(response, form)
        export = client.get(reverse("dashboard-export"), data)
        assert export.status_code == 200
        assert export.content.decode().startswith("external_id,")


@FUZZ
@classic_cases("q", "sort", "page", htmx=False)
@given(changes=fuzz("q", "sort", "page"), htmx=st.booleans())
def test_the_account_list_takes_any_search_sort_and_page(
    client, alice, alices_account, changes, htmx
):
    """Any search, sort or page answers with the list, the search shown as typed."""
    data = _payload({"q": "north", "sort": "-score", "page": "1"}, changes)
    with rolled_back():
        client.force_login(alice)

        response = client.get(reverse("home"), data, **(HTMX if htmx else {}))

        assert response.status_code == 200
        html = response.content.decode()
        assert 'id="account-table"' in html
        if not htmx:  # the whole page, with the search box as it was typed
            search = response.context["search"]
            assert len(search) <= 100
            assert f'name="q" value="{escape(search)}"' in html


@FUZZ
@classic_cases("page", "panel")
@given(changes=fuzz("page", "panel"))
def test_the_account_page_takes_any_timeline_page(client, alice, alices_account, changes):
    """Scrolling the timeline with any page number answers with that page (empty past the
    end); only a panel the page does not have is a 404."""
    data = _payload({"panel": "timeline-items", "page": "2"}, changes)
    with rolled_back():
        InteractionFactory(account=alices_account, occurred_on=timezone.localdate())
        client.force_login(alice)

        response = client.get(reverse("account-detail", args=[alices_account.pk]), data, **HTMX)

        panel = _sent(data, "panel")
        assert response.status_code == (200 if not panel or panel in PANELS else 404)


# The CSV upload ---------------------------------------------------------------------------

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
