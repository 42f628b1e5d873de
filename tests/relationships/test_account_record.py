"""Opening, editing, losing, winning back and archiving accounts in the app; contacts with
their email, phone and manager; undoing each change; finding people from the account list."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, AccountDomain, AccountStatus
from relationships import account_record
from relationships.models import AuditAction, AuditEntry, Contact
from relationships.services import UndoUnavailable
from tests.factories import AccountFactory, ContactFactory, InteractionFactory

TODAY = timezone.localdate()
LOST_ON = TODAY - datetime.timedelta(days=3)


def _new_account(client, **changes):
    data = {
        "name": "Harbour Lines",
        "industry": "Shipping",
        "annual_revenue": "250000",
        "partnership_potential": "could_partner",
        "external_id": "CRM-7",
        "domains": "Harbour.example, @mail.harbour.example\nharbour.example",
        **changes,
    }
    return client.post(reverse("account-new"), data)


def test_a_sales_lead_opens_an_account_for_a_manager(client, lena, alice):
    client.force_login(lena)
    assert "New account" in client.get(reverse("home")).content.decode()

    response = _new_account(client, owner=alice.pk)

    account = Account.objects.get(name="Harbour Lines")
    assert response["Location"] == reverse("account-detail", args=[account.pk])
    assert (account.owner, account.status, account.external_id) == (alice, "active", "CRM-7")
    assert sorted(account.domains.values_list("domain", "claimed")) == [
        ("harbour.example", True),
        ("mail.harbour.example", True),
    ]
    entry = AuditEntry.objects.get(account=account)
    assert (entry.action, entry.actor) == (AuditAction.CREATED, lena)
    assert entry.summary == "Account opened: Harbour Lines, managed by Alice"
    assert entry.changes["email domains"] == ["", "harbour.example, mail.harbour.example"]


def test_the_new_account_form_explains_bad_input_next_to_the_field(client, lena, alice):
    taken = AccountFactory(owner=alice, name="Northwind Freight", external_id="CRM-7")
    AccountDomain.objects.create(account=taken, domain="harbour.example")
    client.force_login(lena)

    page = _new_account(client, owner=alice.pk, external_id="").content.decode()
    assert "harbour.example is already the domain of Northwind Freight." in page
    assert 'id="id_domains_error"' in page

    page = _new_account(client, owner=alice.pk, domains="").content.decode()
    assert "Another account already has this external id." in page
    assert 'id="id_external_id_error"' in page

    page = _new_account(
        client, owner=lena.pk, name="  ", annual_revenue="-1", domains="not a domain"
    ).content.decode()
    assert "Give the account a name." in page or "This field is required." in page
    assert "Ensure this value is greater than or equal to 0." in page
    assert "“not” is not" not in page and "is not an email domain" in page
    assert "Select a valid choice" in page  # lena is no account manager
    assert Account.objects.count() == 1


def test_a_manager_edits_the_details_of_their_account_but_not_its_owner(
    client, alice, bob, alices_account
):
    client.force_login(alice)
    form = client.get(reverse("account-details", args=[alices_account.pk])).content.decode()
    assert 'name="owner"' not in form

    response = client.post(
        reverse("account-details", args=[alices_account.pk]),
        {
            "name": "Northwind Freight AB",
            "industry": "Logistics",
            "owner": bob.pk,  # not on her form: ignored
            "annual_revenue": "300000",
            "partnership_potential": "strategic",
            "domains": "northwind.example",
        },
    )

    assert response.status_code == 302
    alices_account.refresh_from_db()
    assert (alices_account.name, alices_account.owner, str(alices_account.annual_revenue)) == (
        "Northwind Freight AB",
        alice,
        "300000.00",
    )
    entry = AuditEntry.objects.get(account=alices_account)
    assert entry.summary == (
        "Account details: name, annual revenue, partnership potential, email domains changed"
    )
    assert entry.changes["partnership potential"] == ["Unknown", "Strategic target"]


def test_a_sales_lead_changes_the_owner_from_the_details_form(client, lena, bob, alices_account):
    client.force_login(lena)
    data = {"name": "Northwind", "owner": bob.pk, "annual_revenue": "1"}
    client.post(
        reverse("account-details", args=[alices_account.pk]),
        {**data, "partnership_potential": "unknown"},
    )
    alices_account.refresh_from_db()
    assert alices_account.owner == bob
    assert AuditEntry.objects.get(account=alices_account).changes["owner"] == ["Alice", "Bob"]


def _lose(client, account, **changes):
    return client.post(
        reverse("account-lost", args=[account.pk]),
        {"lost_on": LOST_ON.isoformat(), "reason": "competitor", "note": "Re-tendered.", **changes},
    )


def test_a_lost_account_leaves_the_active_views_and_lets_its_domains_go(
    client, lena, alice, alices_account, bobs_account
):
    AccountDomain.objects.create(account=alices_account, domain="northwind.example")
    InteractionFactory(account=alices_account, occurred_on=LOST_ON - datetime.timedelta(days=9))
    client.force_login(lena)
    page = client.get(reverse("account-detail", args=[alices_account.pk])).content.decode()
    assert "Mark lost" in page

    response = _lose(client, alices_account)

    assert response.status_code == 302
    alices_account.refresh_from_db()
    assert (alices_account.status, alices_account.lost_on) == ("lost", LOST_ON)
    assert (alices_account.lost_reason, alices_account.lost_note) == ("competitor", "Re-tendered.")
    page = client.get(reverse("account-detail", args=[alices_account.pk])).content.decode()
    assert "was lost on" in page and "(went to a competitor): Re-tendered." in page
    home = client.get(reverse("home")).content.decode()
    assert "Northwind Freight" not in home and "Bluepeak Foods" in home
    assert "Northwind Freight" in client.get(reverse("home"), {"closed": "1"}).content.decode()
    assert "Northwind Freight" not in client.get(reverse("dashboard")).content.decode()
    # Another account may take the domain now.
    AccountDomain.objects.create(account=bobs_account, domain="northwind.example")
    entry = AuditEntry.objects.filter(account=alices_account).latest("pk")
    assert entry.summary == f"Marked lost on {LOST_ON:%d %b %Y}: Went to a competitor"


def test_the_loss_form_refuses_what_it_cannot_record(client, lena, alices_account):
    client.force_login(lena)
    tomorrow = (TODAY + datetime.timedelta(days=1)).isoformat()
    page = _lose(client, alices_account, lost_on=tomorrow, reason="whim").content.decode()
    assert "That date is in the future." in page
    assert "Select a valid choice. whim is not one of the available choices." in page
    alices_account.refresh_from_db()
    assert alices_account.status == "active"
    assert not AuditEntry.objects.exists()


def test_winning_back_takes_the_domains_nobody_took(client, lena, alices_account, bobs_account):
    AccountDomain.objects.create(account=alices_account, domain="northwind.example")
    AccountDomain.objects.create(account=alices_account, domain="nw.example")
    client.force_login(lena)
    _lose(client, alices_account)
    AccountDomain.objects.create(account=bobs_account, domain="nw.example")

    response = client.post(reverse("account-reopen", args=[alices_account.pk]), follow=True)

    assert "Another account now has nw.example, so it was let go." in response.content.decode()
    alices_account.refresh_from_db()
    assert alices_account.status == "active" and alices_account.lost_reason == ""
    assert list(alices_account.domains.values_list("domain", "claimed")) == [
        ("northwind.example", True)
    ]


def test_an_archived_account_keeps_its_loss_and_comes_back_as_it_was(client, lena, alices_account):
    client.force_login(lena)
    _lose(client, alices_account)
    client.post(reverse("account-archive", args=[alices_account.pk]))
    alices_account.refresh_from_db()
    assert (alices_account.status, alices_account.lost_on) == (AccountStatus.ARCHIVED, LOST_ON)
    page = client.get(reverse("account-detail", args=[alices_account.pk])).content.decode()
    assert "archived, lost" in page and "Unarchive" in page

    client.post(reverse("account-archive", args=[alices_account.pk]))
    alices_account.refresh_from_db()
    assert (alices_account.status, alices_account.lost_reason) == ("lost", "competitor")


def test_archived_accounts_drop_out_of_what_filters_on_active(alice, lena, alices_account):
    account_record.account_archive(account=alices_account, actor=lena)
    assert not Account.objects.filter(status=AccountStatus.ACTIVE).exists()


def test_nothing_is_logged_on_an_archived_account(client, alice, lena, alices_account):
    account_record.account_archive(account=alices_account, actor=lena)
    client.force_login(alice)
    response = client.post(
        reverse("interaction-new", args=[alices_account.pk]),
        {"occurred_on": TODAY.isoformat(), "kind": "call"},
        follow=True,
    )
    assert "Northwind Freight is archived" in response.content.decode()
    assert not alices_account.interactions.exists()


def test_the_database_holds_a_domain_with_one_active_account(alice, alices_account, bobs_account):
    AccountDomain.objects.create(account=alices_account, domain="northwind.example")
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountDomain.objects.create(account=bobs_account, domain="northwind.example")
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountDomain.objects.create(account=bobs_account, domain="Upper.Example")


def test_an_account_change_is_undone_by_its_author_only_and_only_while_current(
    client, alice, bob, lena, alices_account
):
    details = account_record.AccountDetails(
        name="Northwind AB",
        industry="",
        owner=alice,
        annual_revenue=alices_account.annual_revenue,
        partnership_potential="unknown",
        domains=("northwind.example",),
    )
    account_record.account_details_update(account=alices_account, actor=alice, details=details)
    entry = AuditEntry.objects.get(account=alices_account)
    with pytest.raises(UndoUnavailable):
        account_record.account_change_undo(entry=entry, actor=lena)

    client.force_login(alice)
    page = client.get(reverse("account-detail", args=[alices_account.pk])).content.decode()
    assert "Undo" in page
    response = client.post(reverse("interaction-undo", args=[entry.pk]), follow=True)
    assert "Undone: Account details" in response.content.decode()
    alices_account.refresh_from_db()
    assert alices_account.name == "Northwind Freight"
    assert not alices_account.domains.exists()
    restored = AuditEntry.objects.filter(account=alices_account).latest("pk")
    assert restored.action == AuditAction.RESTORED

    # Once undone, or after a later change, it cannot be undone again.
    with pytest.raises(UndoUnavailable):
        account_record.account_change_undo(entry=entry, actor=alice)


def test_a_loss_is_undone_by_the_lead_who_recorded_it(client, lena, alices_account):
    client.force_login(lena)
    _lose(client, alices_account)
    entry = AuditEntry.objects.get(account=alices_account)
    client.post(reverse("interaction-undo", args=[entry.pk]))
    alices_account.refresh_from_db()
    assert (alices_account.status, alices_account.lost_on, alices_account.lost_note) == (
        "active",
        None,
        "",
    )


def test_a_later_change_stops_the_undo_of_an_earlier_one(alice, alices_account):
    for name in ("First", "Second"):
        account_record.account_details_update(
            account=alices_account,
            actor=alice,
            details=account_record.AccountDetails(
                name=name,
                industry="",
                owner=alice,
                annual_revenue=1,
                partnership_potential="unknown",
            ),
        )
    first = AuditEntry.objects.filter(account=alices_account).earliest("pk")
    with pytest.raises(UndoUnavailable, match="changed since"):
        account_record.account_change_undo(entry=first, actor=alice)


# Contacts ------------------------------------------------------------------------------------


def test_a_manager_adds_a_contact_with_email_phone_and_manager(client, alice, alices_account):
    boss = ContactFactory(account=alices_account, name="Dana Reyes", email="dana@northwind.example")
    client.force_login(alice)
    client.post(
        reverse("contact-new", args=[alices_account.pk]),
        {
            "name": "Ola Berg",
            "email": "ola@northwind.example",
            "phone": "+46 8 123 45",
            "role": "blocker",
            "reports_to": boss.pk,
        },
    )
    ola = Contact.objects.get(name="Ola Berg")
    assert (ola.email, ola.phone, ola.role, ola.reports_to) == (
        "ola@northwind.example",
        "+46 8 123 45",
        "blocker",
        boss,
    )
    page = client.get(reverse("account-detail", args=[alices_account.pk])).content.decode()
    assert "reports to Dana Reyes" in page and 'href="mailto:ola@northwind.example"' in page


def test_a_duplicate_email_at_the_client_is_refused_by_the_field(client, alice, alices_account):
    ContactFactory(account=alices_account, name="Dana Reyes", email="dana@northwind.example")
    client.force_login(alice)
    response = client.post(
        reverse("contact-new", args=[alices_account.pk]),
        {"name": "Dana R.", "email": "DANA@northwind.example", "role": "user"},
    )
    page = response.content.decode()
    assert "Someone at this client already has this email address." in page
    assert Contact.objects.count() == 1
    # The database refuses it on every other path.
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(account=alices_account, name="X", email="Dana@Northwind.example")


def test_reports_to_offers_only_people_of_the_same_account(
    client, alice, alices_account, bobs_account
):
    stranger = ContactFactory(account=bobs_account, name="Omar Haddad")
    client.force_login(alice)
    page = client.post(
        reverse("contact-new", args=[alices_account.pk]),
        {"name": "Ola", "role": "user", "reports_to": stranger.pk},
    ).content.decode()
    assert "Select a valid choice" in page
    assert not Contact.objects.filter(name="Ola").exists()


def test_two_people_cannot_report_to_each_other_even_through_a_third(client, alice, alices_account):
    dana = ContactFactory(account=alices_account, name="Dana Reyes")
    ola = ContactFactory(account=alices_account, name="Ola Berg", reports_to=dana)
    kim = ContactFactory(account=alices_account, name="Kim Park", reports_to=ola)
    client.force_login(alice)

    for manager in (ola, kim):
        page = client.post(
            reverse("contact-edit", args=[dana.pk]),
            {"name": "Dana Reyes", "role": "decision_maker", "reports_to": manager.pk},
        ).content.decode()
        assert "already report to this person" in page
        dana.refresh_from_db()
        assert dana.reports_to is None

    # Someone outside Dana's line is fine.
    lee = ContactFactory(account=alices_account, name="Lee Chan")
    client.post(
        reverse("contact-edit", args=[dana.pk]),
        {"name": "Dana Reyes", "role": "decision_maker", "reports_to": lee.pk},
    )
    dana.refresh_from_db()
    assert dana.reports_to == lee


def test_the_database_keeps_a_manager_within_the_client(alices_account, bobs_account):
    dana = ContactFactory(account=alices_account, name="Dana Reyes")
    omar = ContactFactory(account=bobs_account, name="Omar Haddad")
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(account=alices_account, name="Ola", reports_to=omar)
    ola = Contact.objects.create(account=alices_account, name="Ola", reports_to=dana)
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.filter(pk=ola.pk).update(reports_to=omar)
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.filter(pk=dana.pk).update(account=bobs_account)


def test_a_contact_is_edited_and_the_edit_undone(client, alice, alices_account):
    dana = ContactFactory(account=alices_account, name="Dana Reyes", title="COO")
    client.force_login(alice)
    form = client.get(reverse("contact-edit", args=[dana.pk])).content.decode()
    assert 'value="Dana Reyes"' in form

    client.post(
        reverse("contact-edit", args=[dana.pk]),
        {"name": "Dana Reyes", "title": "CEO", "email": "dana@northwind.example", "role": "user"},
    )
    dana.refresh_from_db()
    assert (dana.title, dana.email, dana.role) == ("CEO", "dana@northwind.example", "user")
    entry = AuditEntry.objects.get(subject="contact")
    assert entry.changes["title"] == ["COO", "CEO"]

    client.post(reverse("interaction-undo", args=[entry.pk]))
    dana.refresh_from_db()
    assert (dana.title, dana.email, dana.role) == ("COO", "", "decision_maker")


def test_a_person_is_found_by_name_or_email_from_the_account_list(
    client, alice, alices_account, bobs_account
):
    ContactFactory(account=alices_account, name="Dana Reyes", email="dana@northwind.example")
    ContactFactory(account=bobs_account, name="Omar Haddad", email="omar@bluepeak.example")
    client.force_login(alice)
    for term in ("reyes", "DANA@north"):
        page = client.get(reverse("home"), {"q": term}).content.decode()
        assert "Northwind Freight" in page and "contact: Dana Reyes" in page, term
    # Bob's client is not alice's to find.
    assert "Bluepeak" not in client.get(reverse("home"), {"q": "omar"}).content.decode()


def test_the_account_list_search_ignores_accents_either_way(client, alice, alices_account):
    """Typed without the accents a name carries, or with accents it does not carry."""
    alices_account.name, alices_account.industry = "Société Générale Øresund", "Logistique"
    alices_account.save()
    ContactFactory(account=alices_account, name="Zoë Müller")
    client.force_login(alice)
    for term in ("societe generale", "ORESUND", "lógistique"):
        page = client.get(reverse("home"), {"q": term}).content.decode()
        assert "Société Générale Øresund" in page, term
    page = client.get(reverse("home"), {"q": "zoe muller"}).content.decode()
    assert "contact: Zoë Müller" in page
    assert "Société" not in client.get(reverse("home"), {"q": "societa"}).content.decode()


# What the new pages cost -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "url", "queries"),
    [
        # The session, the user, their roles, then the page's own reads; a savepoint and its
        # release around each request (ATOMIC_REQUESTS) count too.
        ("lena", "account-new", 6),
        ("alice", "account-details", 7),
        ("lena", "account-details", 8),  # with the owner's list
        ("lena", "account-lost", 6),
        ("alice", "contact-edit", 8),
    ],
)
def test_the_account_record_pages_cost_a_fixed_number_of_queries(
    client, request, alices_account, user, url, queries
):
    for n in range(5):
        ContactFactory(account=alices_account)
        AccountDomain.objects.create(account=alices_account, domain=f"d{n}.example")
    contact = ContactFactory(account=alices_account)
    client.force_login(request.getfixturevalue(user))
    args = (
        [contact.pk]
        if url == "contact-edit"
        else []
        if url == "account-new"
        else [alices_account.pk]
    )
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(url, args=args))
    assert response.status_code == 200
    assert len(captured) == queries, [q["sql"] for q in captured]


def test_a_contact_added_by_mistake_is_taken_out_again_until_they_are_in_the_history(
    client, alice, alices_account
):
    client.force_login(alice)
    for name in ("Dana Reyes", "Ola Berg"):
        client.post(
            reverse("contact-new", args=[alices_account.pk]), {"name": name, "role": "user"}
        )
    dana_added, ola_added = AuditEntry.objects.filter(subject="contact").order_by("pk")
    InteractionFactory(account=alices_account).participants.add(
        Contact.objects.get(name="Ola Berg")
    )

    client.post(reverse("interaction-undo", args=[dana_added.pk]))
    response = client.post(reverse("interaction-undo", args=[ola_added.pk]), follow=True)

    assert list(Contact.objects.values_list("name", flat=True)) == ["Ola Berg"]
    assert "Ola Berg is in the account&#x27;s history now" in response.content.decode()
    undone = AuditEntry.objects.filter(action=AuditAction.RESTORED).get()
    assert undone.summary == "Undone: Contact added: Dana Reyes"
