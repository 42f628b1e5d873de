"""Every page and fragment refuses whoever does not belong there, built from the URL
configuration itself: a new URL without a rule here fails the suite until someone decides who
may use it.

Each URL is sent what it takes (the methods it accepts, with a valid body where it writes) by
the people allowed, who get exactly the answer a working page gives, and by everyone else, who
get exactly their refusal and change nothing. A view that refused everyone, or let anyone
through, fails here.
"""

import io
import itertools
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, NamedTuple

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.db.models import Q
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from relationships.capture import services as capture_services
from relationships.capture.models import CapturedItem
from relationships.capture.parsing import Window, parse_calendar
from relationships.csv_bundle import formats
from relationships.models import AuditEntry, ContactRole, SignalCategory, SignalType
from relationships.services import interaction_delete, interaction_version
from scoring import services as scoring_services
from scoring.engine import flatten
from scoring.selectors import profile_active
from scoring.tuning.forms import field_name
from tests.capture.conftest import days_ago, eml, ics, vevent
from tests.factories import AccountFactory, ContactFactory, InteractionFactory
from webhooks import services as webhook_services

# The calendar feed is public to whoever holds its private address (tests/reminders checks
# that an unknown or revoked one is a 404); the worker's health is for monitors.
PUBLIC = {"login", "logout", "healthz", "healthz-worker", "calendar-feed"}
ANY_SIGNED_IN = {
    "home",
    "password_change",
    "password_change_done",
    "reminder-settings",
    "api-tokens",
    # Each person's own review list and sources (tests/capture: nobody sees another's).
    "capture-review",
    "capture-sources",
}
# URL name -> (who may use it, and what each of the others gets: 404 where they may not even
# see the account, as if it did not exist; 403 where they see it but may not act). alice owns
# the account and logged its entries; bob is another manager; lena the sales lead; sam the
# scoring admin.
MANAGER_ONLY = {"bob": 404, "lena": 403, "sam": 403}
PORTFOLIO = {"alice": 403, "bob": 403}
SCORING_ADMIN_ONLY = {"alice": 403, "bob": 403, "lena": 403}
# Captured meetings and their calendars are their owner's alone: to anyone else, a sales lead
# included, they do not exist. Everyone brings in their own.
OWNER_ONLY = {"bob": 404, "lena": 404, "sam": 404}
EVERYONE: tuple[set[str], dict[str, int]] = ({"alice", "bob", "lena", "sam"}, {})
RULES = {
    "account-detail": ({"alice", "lena", "sam"}, {"bob": 404}),
    "account-facts": ({"alice"}, MANAGER_ONLY),
    "assessment-new": ({"alice"}, MANAGER_ONLY),
    "contact-new": ({"alice"}, MANAGER_ONLY),
    "contact-left": ({"alice"}, MANAGER_ONLY),
    "interaction-new": ({"alice"}, MANAGER_ONLY),
    "interaction-edit": ({"alice"}, MANAGER_ONLY),
    "interaction-delete": ({"alice"}, MANAGER_ONLY),
    "interaction-undo": ({"alice"}, MANAGER_ONLY),
    "account-team": ({"lena"}, {"alice": 403, "bob": 404, "sam": 403}),
    "account-owner": ({"lena"}, {"alice": 403, "bob": 404, "sam": 403}),
    "account-sharing": ({"lena"}, {"alice": 403, "bob": 404, "sam": 403}),
    "account-reopen": ({"lena"}, {"alice": 403, "bob": 404, "sam": 403}),
    "account-new": ({"lena"}, PORTFOLIO | {"sam": 403}),
    "account-details": ({"alice", "lena"}, {"bob": 404, "sam": 403}),
    "account-lost": ({"lena"}, {"alice": 403, "bob": 404, "sam": 403}),
    "account-archive": ({"lena"}, {"alice": 403, "bob": 404, "sam": 403}),
    "contact-edit": ({"alice"}, MANAGER_ONLY),
    "dashboard": ({"lena", "sam"}, PORTFOLIO),
    "dashboard-export": ({"lena", "sam"}, PORTFOLIO),
    "portfolio-import": ({"lena", "sam"}, PORTFOLIO),
    "portfolio-export": ({"lena", "sam"}, PORTFOLIO),
    "signal-catalog": ({"sam"}, SCORING_ADMIN_ONLY),
    "signal-type-edit": ({"sam"}, SCORING_ADMIN_ONLY),
    "signal-type-toggle": ({"sam"}, SCORING_ADMIN_ONLY),
    "tuning": ({"sam"}, SCORING_ADMIN_ONLY),
    "profile-draft-new": ({"sam"}, SCORING_ADMIN_ONLY),
    "profile-draft": ({"sam"}, SCORING_ADMIN_ONLY),
    "profile-preview": ({"sam"}, SCORING_ADMIN_ONLY),
    "profile-go-live": ({"sam"}, SCORING_ADMIN_ONLY),
    "rollout-progress": ({"sam"}, SCORING_ADMIN_ONLY),
    "profile-backtest": ({"sam"}, SCORING_ADMIN_ONLY),
    "webhook-list": ({"sam"}, SCORING_ADMIN_ONLY),
    "webhook-endpoint": ({"sam"}, SCORING_ADMIN_ONLY),
    "webhook-enable": ({"sam"}, SCORING_ADMIN_ONLY),
    "webhook-test": ({"sam"}, SCORING_ADMIN_ONLY),
    "webhook-delete": ({"sam"}, SCORING_ADMIN_ONLY),
    # Each person marks only their own reminders; the account has no next step, which reminds
    # its sales lead, and nobody else.
    "reminder-mark": ({"lena"}, {"alice": 404, "bob": 404, "sam": 404}),
    "capture-calendar-upload": EVERYONE,
    "capture-mail-upload": EVERYONE,
    "capture-caldav": EVERYONE,
    "capture-source-sync": ({"alice"}, OWNER_ONLY),
    "capture-source-change": ({"alice"}, OWNER_ONLY),
    "capture-source-remove": ({"alice"}, OWNER_ONLY),
    # Confirming also needs the right to write to the matched account: tests/capture refuses
    # it once the account changed hands.
    "capture-item-confirm": ({"alice"}, OWNER_ONLY),
    "capture-item-discard": ({"alice"}, OWNER_ONLY),
    "capture-item-assign": ({"alice"}, OWNER_ONLY),
}


class Send(NamedTuple):
    """One request and the answer the allowed get: a status, where a redirect leads (a
    function of the objects), and whether it writes (the refused must write nothing)."""

    method: str
    status: int
    body: Callable[[Any], dict] | None = None
    location: Callable[[Any], str] | None = None
    writes: bool = False


def _page(o) -> str:
    return reverse("account-detail", args=[o.account.pk])


def _today() -> str:
    return timezone.localdate().isoformat()


def _draft_form(o) -> dict:
    """What the draft page posts: every parameter as shown."""
    data = {"revision": o.draft.revision}
    for path, value in flatten(o.draft.params).items():
        data[field_name(path)] = ", ".join(value) if isinstance(value, list) else value
    return data


def _endpoint_page(o) -> str:
    return reverse("webhook-endpoint", args=[o.endpoint.pk])


def _endpoint_form(o) -> dict:
    """A different address at each post, so that each allowed person changes something."""
    return {"url": f"https://bi.example/hooks/{next(EDITS)}", "events": ["account.lost"]}


def _bundle(o) -> dict:
    header = ",".join(formats.COLUMNS[formats.ACCOUNTS])
    files = {
        "accounts": io.BytesIO(f"{header}\nN1,Harbour Lines,Shipping,alice,1,,,\n".encode()),
        "interactions": io.BytesIO(",".join(formats.COLUMNS[formats.INTERACTIONS]).encode()),
    }
    for name, handle in files.items():
        handle.name = f"{name}.csv"
    return {**files, "dry_run": "on"}


def _review(o) -> str:
    return reverse("capture-review")


def _sources(o) -> str:
    return reverse("capture-sources")


def _calendar_file(o) -> dict:
    meeting = vevent("review@northwind", days_ago(1), attendees=[o.contact.email])
    handle = io.BytesIO(ics(meeting))
    handle.name = "calendar.ics"
    return {"calendar": handle}


def _mail_files(o) -> dict:
    message = eml(
        sender=o.contact.email,
        to=["alice@example.com"],
        day=days_ago(1),
        subject="Rates for May",
        message_id="rates@northwind.example",
    )
    handle = io.BytesIO(message)
    handle.name = "rates.eml"
    return {"messages": [handle]}


POST_ONLY = Send("get", 405)
# A different industry at each post, so that each allowed person changes something.
EDITS = itertools.count()
# What each URL is sent, in order; a URL that takes GET and POST gets both.
REQUESTS: dict[str, list[Send]] = {
    "account-detail": [Send("get", 200)],
    "account-facts": [
        Send("get", 200),
        Send(
            "post",
            302,
            lambda o: {"mission": "Move freight", "partnership_potential": "unknown"},
            _page,
            writes=True,
        ),
    ],
    "assessment-new": [
        Send("get", 200),
        Send("post", 302, lambda o: {"relevance": "4"}, _page, writes=True),
    ],
    "contact-new": [
        Send("get", 200),
        Send("post", 302, lambda o: {"name": "Dana", "role": ContactRole.USER}, _page, True),
    ],
    "contact-left": [POST_ONLY, Send("post", 302, lambda o: {"left_on": _today()}, _page, True)],
    "interaction-new": [
        Send("get", 200),
        Send("post", 302, lambda o: {"occurred_on": _today(), "kind": "meeting"}, _page, True),
    ],
    "interaction-edit": [
        Send("get", 200),
        Send(
            "post",
            302,
            lambda o: {
                "occurred_on": "2026-03-02",
                "kind": "call",
                "version": interaction_version(o.interaction),
            },
            _page,
            writes=True,
        ),
    ],
    "interaction-delete": [Send("get", 200), Send("post", 302, None, _page, writes=True)],
    "interaction-undo": [POST_ONLY, Send("post", 302, None, _page, writes=True)],
    # Without htmx, a search of the team goes back to the account page.
    "account-team": [Send("get", 302), Send("post", 405)],
    "account-owner": [
        POST_ONLY,
        Send("post", 302, lambda o: {"owner": o.bob.pk}, _page, writes=True),
    ],
    "account-sharing": [
        POST_ONLY,
        Send("post", 302, lambda o: {"shared_with": [o.bob.pk]}, _page, writes=True),
    ],
    # The account is active: reopening it changes nothing and says so on its page
    # (tests/accounts/test_team.py reopens a lost one).
    "account-reopen": [POST_ONLY, Send("post", 302, None, _page)],
    "account-new": [
        Send("get", 200),
        Send(
            "post",
            302,
            lambda o: {
                "name": "Harbour Lines",
                "owner": o.alice.pk,
                "annual_revenue": "10",
                "partnership_potential": "unknown",
            },
            writes=True,
        ),
    ],
    # Each allowed person changes something (the industry differs at each post).
    "account-details": [
        Send("get", 200),
        Send(
            "post",
            302,
            lambda o: {
                "name": "Northwind",
                "industry": f"Freight {next(EDITS)}",
                "owner": o.alice.pk,
                "annual_revenue": "10",
                "partnership_potential": "unknown",
            },
            _page,
            writes=True,
        ),
    ],
    "account-lost": [
        Send("get", 200),
        Send("post", 302, lambda o: {"lost_on": _today(), "reason": "price"}, _page, True),
    ],
    "account-archive": [POST_ONLY, Send("post", 302, None, _page, writes=True)],
    "contact-edit": [
        Send("get", 200),
        Send("post", 302, lambda o: {"name": "Dana", "role": "user", "title": "CFO"}, None, True),
    ],
    "dashboard": [Send("get", 200)],
    "dashboard-export": [Send("get", 200)],
    "portfolio-import": [Send("get", 200), Send("post", 200, _bundle)],  # a dry run
    "portfolio-export": [Send("get", 200)],
    "signal-catalog": [
        Send("get", 200),
        Send(
            "post",
            302,
            lambda o: {
                "name": "Asked for references",
                "slug": "asked_for_references",
                "category": SignalCategory.OPENNESS,
                "polarity": "1",
            },
            lambda o: reverse("signal-catalog"),
            writes=True,
        ),
    ],
    "signal-type-edit": [
        Send("get", 200),
        Send(
            "post",
            302,
            lambda o: {"name": "Renamed", "description": "A new hint"},
            lambda o: reverse("signal-catalog"),
            writes=True,
        ),
    ],
    "signal-type-toggle": [
        POST_ONLY,
        Send("post", 302, None, lambda o: reverse("signal-catalog"), writes=True),
    ],
    "tuning": [Send("get", 200)],
    "profile-draft-new": [
        POST_ONLY,
        Send(
            "post",
            302,
            lambda o: {"source": "1"},
            lambda o: reverse("profile-draft", args=[o.draft.version + 1]),
            writes=True,
        ),
    ],
    "profile-draft": [
        Send("get", 200),
        Send(
            "post",
            302,
            _draft_form,
            lambda o: reverse("profile-draft", args=[o.draft.version]),
            writes=True,
        ),
    ],
    "profile-preview": [Send("get", 200), Send("post", 200, _draft_form)],  # saves nothing
    "profile-go-live": [
        POST_ONLY,
        Send("post", 302, None, lambda o: reverse("tuning"), writes=True),
    ],
    "rollout-progress": [Send("get", 200)],
    "webhook-list": [Send("get", 200), Send("post", 302, _endpoint_form, writes=True)],
    "webhook-endpoint": [
        Send("get", 200),
        Send("post", 302, _endpoint_form, _endpoint_page, writes=True),
    ],
    "webhook-enable": [
        POST_ONLY,
        Send("post", 302, lambda o: {"enabled": "0"}, _endpoint_page, writes=True),
    ],
    "webhook-test": [POST_ONLY, Send("post", 302, None, _endpoint_page, writes=True)],
    "webhook-delete": [
        POST_ONLY,
        Send("post", 302, None, lambda o: reverse("webhook-list"), writes=True),
    ],
    "reminder-mark": [
        POST_ONLY,
        Send(
            "post",
            302,
            lambda o: {
                "key": f"no_next_step:{o.account.pk}:none:"
                f"{timezone.localtime(o.account.updated_at).date().isoformat()}",
                "action": "dismiss",
            },
            lambda o: reverse("home"),
            writes=True,
        ),
    ],
    "profile-backtest": [
        Send("get", 200),
        Send(
            "post",
            302,
            None,
            lambda o: reverse("profile-draft", args=[o.draft.version]),
            writes=True,
        ),
    ],
    # Each upload or connected calendar is a new source of its own, queued to sync.
    "capture-calendar-upload": [POST_ONLY, Send("post", 302, _calendar_file, _review, True)],
    "capture-mail-upload": [POST_ONLY, Send("post", 302, _mail_files, _review, True)],
    "capture-caldav": [
        POST_ONLY,
        Send(
            "post",
            302,
            lambda o: {
                "url": "https://calendar.example/dav/work/",
                "username": "me",
                "password": "app-password",
            },
            _sources,
            writes=True,
        ),
    ],
    "capture-source-sync": [POST_ONLY, Send("post", 302, None, _sources, writes=True)],
    "capture-source-change": [
        Send("get", 200),
        Send(
            "post",
            302,
            lambda o: {
                "url": "https://calendar.example/dav/home/",
                "username": "me",
                "password": "app-password",
            },
            _sources,
            writes=True,
        ),
    ],
    "capture-source-remove": [POST_ONLY, Send("post", 302, None, _sources, writes=True)],
    "capture-item-confirm": [
        Send("get", 200),
        Send("post", 302, lambda o: {"account": o.item.account_id}, _review, writes=True),
    ],
    "capture-item-discard": [POST_ONLY, Send("post", 302, None, _review, writes=True)],
    # The item is matched already: assigning it is choosing its account for good.
    "capture-item-assign": [
        POST_ONLY,
        Send(
            "post",
            302,
            lambda o: {"account": o.account.pk},
            lambda o: reverse("capture-review") + "#matched",
            writes=True,
        ),
    ],
}


def _app_urls(patterns=None, prefix=""):
    """(name, pattern) of every URL outside Django admin and the API (which takes tokens, not
    sessions: tests/api/test_access.py holds each endpoint to the same rules)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if not str(pattern.pattern).startswith(("admin/", "api/")):
                yield from _app_urls(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield pattern.name, prefix + str(pattern.pattern)


def _admin_paths():
    """Every admin URL, with 1 for any object id."""
    from django.contrib import admin

    def walk(patterns, prefix):
        for pattern in patterns:
            text = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, text)
            else:
                yield text

    for path in walk(admin.site.urls[0], "/admin/"):
        if path in ("/admin/login/", "/admin/logout/"):
            continue  # the way in, and out
        if "<" in path:
            path = path.split("<")[0] + "1/" + path.split(">", 1)[1].lstrip("/")
        yield path


@pytest.fixture
def people(alice, bob, lena, sam):
    return {"alice": alice, "bob": bob, "lena": lena, "sam": sam}


def _captured_meeting(*, owner, contact) -> CapturedItem:
    """A CalDAV calendar of the owner's, synced once: yesterday's meeting with the contact,
    waiting to be confirmed on the contact's account."""
    calendar = capture_services.caldav_source_connect(
        owner=owner, url="https://calendar.example/dav/alice/", username="alice", password="pw"
    )
    window = Window.around(timezone.localdate())
    meeting = vevent("weekly@northwind", days_ago(1), attendees=[contact.email])
    capture_services.capture_store(
        owner=owner,
        source=calendar,
        parsed=parse_calendar(ics(meeting), window=window, href="/dav/alice/weekly.ics"),
        stale=capture_services.Stale(where=Q(source=calendar)),
        window=window,
    )
    return CapturedItem.objects.select_related("source").get(
        source=calendar, account=contact.account
    )


@pytest.fixture
def objects(people, settings):
    """What the URLs reach: alice's account, a contact, an entry she logged, one she deleted
    (its undo), a signal type, a draft of the scoring profile (v2), a webhook endpoint, and
    her connected calendar with a meeting on that account waiting to be confirmed."""
    settings.CAPTURE_CREDENTIALS_KEY = Fernet.generate_key().decode()
    alice = people["alice"]
    account = AccountFactory(owner=alice)
    contact = ContactFactory(account=account, email="dana@northwind.example")
    item = _captured_meeting(owner=alice, contact=contact)
    interaction = InteractionFactory(account=account, logged_by=alice)
    removed = InteractionFactory(account=account, logged_by=alice)
    interaction_delete(interaction=removed, actor=alice)
    return SimpleNamespace(
        **people,
        account=account,
        contact=contact,
        interaction=interaction,
        entry=AuditEntry.objects.filter(account=account).latest("pk"),
        signal_type=SignalType.objects.first(),
        draft=scoring_services.profile_draft(source=profile_active(), actor=people["sam"]),
        endpoint=webhook_services.endpoint_create(
            url="https://bi.example/hooks", events=["account.lost"], actor=people["sam"]
        ),
        source=item.source,
        item=item,
    )


@pytest.fixture
def paths(objects):
    """A path for every URL name, reaching the objects."""
    o = objects
    kwargs = {
        "account_id": o.account.pk,
        "contact_id": o.contact.pk,
        "interaction_id": o.interaction.pk,
        "entry_id": o.entry.pk,
        "signal_type_id": o.signal_type.pk,
        "version": o.draft.version,
        "endpoint_id": o.endpoint.pk,
        "source_id": o.source.pk,
        "item_id": o.item.pk,
        "token": "not-a-feed-token",
    }
    result = {}
    for name, pattern in _app_urls():
        needed = {key: value for key, value in kwargs.items() if f":{key}>" in pattern}
        result[name] = reverse(name, kwargs=needed)
    return result


def _everything_stored() -> list:
    """Every row of the project's own tables and of the task queue, to compare."""
    stored = []
    apps_stored = ("accounts", "webhooks", "relationships", "scoring", "reminders")
    for label in (*apps_stored, "django_tasks_database"):
        for model in apps.get_app_config(label).get_models():
            stored.append((model._meta.label, list(model._default_manager.order_by("pk").values())))
    return stored


def _send(client, path: str, send: Send, o) -> Any:
    body = send.body(o) if send.body else {}
    return getattr(client, send.method)(path, body)


def test_every_url_has_a_rule():
    names = {name for name, _ in _app_urls()}
    assert None not in names, "every URL needs a name to have a rule"
    forgotten = names - PUBLIC - ANY_SIGNED_IN - set(RULES)
    assert not forgotten, f"decide who may use these URLs: {sorted(forgotten)}"
    assert not (set(RULES) | PUBLIC | ANY_SIGNED_IN) - names, "rules for URLs that are gone"


def test_anonymous_visitors_are_sent_to_sign_in_everywhere_but_the_public_pages(client, paths):
    login = reverse("login")
    for name, path in paths.items():
        if name in PUBLIC:
            continue
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code == 302, (name, method.__name__, response.status_code)
            assert response["Location"].startswith(f"{login}?next="), (name, response["Location"])


def test_every_url_with_a_rule_says_what_it_is_sent():
    assert set(REQUESTS) == set(RULES)
    for name, (allowed, refused) in RULES.items():
        assert allowed | set(refused) == {"alice", "bob", "lena", "sam"}, name


@pytest.mark.parametrize("name", sorted(RULES))
def test_the_wrong_role_is_refused_and_the_right_one_is_let_in(client, objects, paths, name):
    allowed, refused = RULES[name]
    path = paths[name]
    # Refused first, while everything the requests reach still exists.
    for username, status in refused.items():
        client.force_login(getattr(objects, username))
        before = _everything_stored()
        for send in REQUESTS[name]:
            response = _send(client, path, send, objects)
            expected = 405 if send.status == 405 else status
            assert response.status_code == expected, (username, send.method)
        assert _everything_stored() == before, (username, "changed something")

    for username in sorted(allowed):
        client.force_login(getattr(objects, username))
        for send in REQUESTS[name]:
            before = _everything_stored() if send.writes else None
            response = _send(client, path, send, objects)
            assert response.status_code == send.status, (username, send.method)
            if send.location:
                assert response["Location"] == send.location(objects), username
            if send.writes:
                assert _everything_stored() != before, (username, send.method, "wrote nothing")


def test_every_signed_in_role_reaches_its_own_pages(client, people, paths):
    for name in ANY_SIGNED_IN:
        for person in people.values():
            client.force_login(person)
            assert client.get(paths[name]).status_code == 200, (name, person.username)


def test_django_admin_is_for_staff_only(client, people):
    paths = list(_admin_paths())
    assert len(paths) > 20  # every registered model's pages
    for person in (None, people["alice"], people["lena"]):
        if person is not None:
            client.force_login(person)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 302, (path, person, response.status_code)
            assert response["Location"].startswith("/admin/login/"), path
