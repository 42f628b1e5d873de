"""Every page and fragment refuses whoever does not belong there, built from the URL
configuration itself: a new URL without a rule here fails the suite until someone decides who
may use it."""

import pytest
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts import roles
from relationships.models import AuditEntry, SignalType
from relationships.services import interaction_delete
from tests.factories import AccountFactory, ContactFactory, InteractionFactory, UserFactory

PUBLIC = {"login", "logout", "healthz"}
ANY_SIGNED_IN = {"home", "password_change", "password_change_done"}
# URL name -> (who may use it, who is refused). alice owns the account and logged its
# entries; bob is another manager; lena a sales lead; sam a scoring admin.
RULES = {
    "account-detail": ({"alice", "lena", "sam"}, {"bob"}),
    "account-facts": ({"alice"}, {"bob", "lena", "sam"}),
    "assessment-new": ({"alice"}, {"bob", "lena", "sam"}),
    "contact-new": ({"alice"}, {"bob", "lena", "sam"}),
    "contact-left": ({"alice"}, {"bob", "lena", "sam"}),
    "interaction-new": ({"alice"}, {"bob", "lena", "sam"}),
    "interaction-edit": ({"alice"}, {"bob", "lena", "sam"}),
    "interaction-delete": ({"alice"}, {"bob", "lena", "sam"}),
    "interaction-undo": ({"alice"}, {"bob", "lena", "sam"}),
    "account-owner": ({"lena"}, {"alice", "bob", "sam"}),
    "account-sharing": ({"lena"}, {"alice", "bob", "sam"}),
    "dashboard": ({"lena", "sam"}, {"alice", "bob"}),
    "dashboard-export": ({"lena", "sam"}, {"alice", "bob"}),
    "portfolio-import": ({"lena", "sam"}, {"alice", "bob"}),
    "portfolio-export": ({"lena", "sam"}, {"alice", "bob"}),
    "signal-catalog": ({"sam"}, {"alice", "bob", "lena"}),
    "signal-type-edit": ({"sam"}, {"alice", "bob", "lena"}),
    "signal-type-toggle": ({"sam"}, {"alice", "bob", "lena"}),
    "tuning": ({"sam"}, {"alice", "bob", "lena"}),
    "profile-draft-new": ({"sam"}, {"alice", "bob", "lena"}),
    "profile-draft": ({"sam"}, {"alice", "bob", "lena"}),
    "profile-preview": ({"sam"}, {"alice", "bob", "lena"}),
    "profile-go-live": ({"sam"}, {"alice", "bob", "lena"}),
    "rollout-progress": ({"sam"}, {"alice", "bob", "lena"}),
    "profile-backtest": ({"sam"}, {"alice", "bob", "lena"}),
}


def _app_urls(patterns=None, prefix=""):
    """(name, pattern) of every URL outside Django admin."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if not str(pattern.pattern).startswith("admin/"):
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
def people(alice, bob, lena, migrated_rows):
    sam = UserFactory(username="sam")
    sam.groups.add(Group.objects.get(name=roles.SCORING_ADMIN))
    return {"alice": alice, "bob": bob, "lena": lena, "sam": sam}


@pytest.fixture
def paths(people):
    """A path for every URL name, reaching objects alice owns."""
    alice = people["alice"]
    account = AccountFactory(owner=alice)
    contact = ContactFactory(account=account)
    interaction = InteractionFactory(account=account)
    removed = InteractionFactory(account=account)
    interaction_delete(interaction=removed, actor=alice)
    entry = AuditEntry.objects.filter(account=account).latest("pk")
    kwargs = {
        "account_id": account.pk,
        "contact_id": contact.pk,
        "interaction_id": interaction.pk,
        "entry_id": entry.pk,
        "signal_type_id": SignalType.objects.first().pk,
        "version": 1,
    }
    result = {}
    for name, pattern in _app_urls():
        needed = {key: value for key, value in kwargs.items() if f":{key}>" in pattern}
        result[name] = reverse(name, kwargs=needed)
    return result


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


def test_the_wrong_role_is_refused_and_the_right_one_is_let_in(client, people, paths):
    for name, (allowed, refused) in RULES.items():
        for username in allowed:
            client.force_login(people[username])
            status = client.get(paths[name]).status_code
            # Views that only take POST answer GET with 405: the user got past the checks.
            assert status in (200, 302, 405), (name, username, status)
        post_only = client.get(paths[name]).status_code == 405
        for username in refused:
            client.force_login(people[username])
            status = client.post(paths[name]).status_code
            assert status in (403, 404), (name, username, "post", status)
            status = client.get(paths[name]).status_code
            assert status in ((405,) if post_only else (403, 404)), (name, username, "get", status)


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
