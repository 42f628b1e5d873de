import datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import F
from django.urls import reverse

from accounts.models import Account, AccountStatus
from relationships.models import Assessment, Contact, Interaction, TrustSignal
from tests.factories import AccountFactory

AS_OF = "2026-11-22"


def _seed(*args: str) -> str:
    out = StringIO()
    call_command(
        "seed_demo", "--accounts", "12", "--years", "2", "--as-of", AS_OF, *args, stdout=out
    )
    return out.getvalue()


def _fingerprint() -> list[tuple]:
    """The portfolio's content, independent of database ids."""
    rows = []
    for s in TrustSignal.objects.select_related(
        "account__owner", "signal_type", "interaction"
    ).prefetch_related("interaction__participants"):
        assert s.interaction is not None  # every demo signal is observed in an interaction
        rows.append(
            (
                s.account.external_id,
                s.account.name,
                s.account.owner.username,
                str(s.account.annual_revenue),
                s.observed_on,
                s.signal_type.slug,
                s.interaction.kind,
                tuple(sorted(c.name for c in s.interaction.participants.all())),
            )
        )
    return sorted(rows)


@pytest.mark.django_db
def test_it_loads_a_portfolio_and_prints_the_logins():
    output = _seed()
    assert Account.objects.count() == 12
    assert Interaction.objects.count() > 12 * 20
    assert TrustSignal.objects.count() > 12 * 10
    assert "Loaded 12 demo accounts" in output
    for username in ["alice", "bob", "lena", "sam"]:
        assert username in output


@pytest.mark.django_db
def test_demo_users_hold_the_three_roles_and_can_sign_in(client):
    _seed()
    users = get_user_model().objects
    assert users.get(username="alice").groups.get().name == "Account manager"
    assert users.get(username="lena").groups.get().name == "Sales lead"
    sam = users.get(username="sam")
    assert sam.groups.get().name == "Scoring admin" and sam.is_staff
    signed_in = client.post(reverse("login"), {"username": "alice", "password": "demo"})
    assert signed_in.status_code == 302
    assert "Account" in client.get(reverse("home")).content.decode()
    assert Account.objects.filter(owner__username="alice").exists()


@pytest.mark.django_db
def test_the_same_seed_loads_the_same_portfolio():
    _seed("--seed", "3")
    first = _fingerprint()
    _seed("--seed", "3")
    assert _fingerprint() == first
    assert Account.objects.count() == 12  # replaced, not added


@pytest.mark.django_db
def test_another_seed_loads_another_portfolio():
    _seed("--seed", "3")
    first = _fingerprint()
    _seed("--seed", "4")
    assert _fingerprint() != first


@pytest.mark.django_db
def test_the_portfolio_contains_each_story():
    _seed()
    lost = Account.objects.filter(status=AccountStatus.LOST)
    assert lost.exists() and all(a.lost_on and a.lost_note for a in lost)
    assert Contact.objects.filter(is_champion=True, left_on__isnull=False).exists()
    assert TrustSignal.objects.filter(signal_type__slug="champion_left").exists()
    assert TrustSignal.objects.filter(signal_type__slug="retender_or_competitive_bid").exists()
    assert TrustSignal.objects.filter(signal_type__slug="consulted_on_major_decision").exists()
    # The fading consultant: some account's latest relevance fell to 2 or below from 5.
    assert any(
        list(a.assessments.order_by("assessed_on").values_list("relevance", flat=True))[::-1][0]
        <= 2
        and a.assessments.filter(relevance=5).exists()
        for a in Account.objects.all()
    )
    # A transactional account: a regular customer with no planning or advisory evidence.
    assert (
        Account.objects.filter(partnership_potential="regular")
        .exclude(signals__signal_type__category__in=["inclusion", "advisory", "reliance"])
        .exists()
    )
    revenues = sorted(Account.objects.values_list("annual_revenue", flat=True))
    assert revenues[-1] / sum(revenues) > 0.25


@pytest.mark.django_db
def test_it_refuses_to_mix_with_real_data(alice):
    AccountFactory(owner=alice, name="Real Client")
    with pytest.raises(CommandError, match="not demo data"):
        _seed()
    assert Account.objects.count() == 1


@pytest.mark.django_db
def test_force_loads_next_to_real_data_and_keeps_it(alice):
    AccountFactory(owner=alice, name="Real Client")
    _seed("--force")
    _seed("--force")
    assert Account.objects.count() == 13
    assert Account.objects.filter(name="Real Client").exists()


@pytest.mark.django_db
def test_if_empty_leaves_an_existing_portfolio_alone():
    _seed()
    before = _fingerprint()
    output = _seed("--if-empty", "--seed", "9")
    assert "no demo loaded" in output
    assert _fingerprint() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--accounts", "0"], "--accounts must be at least 1"),
        (["--years", "0"], "--years must be more than 0"),
        (["--as-of", "22/11/2026"], "--as-of must be a date like 2026-01-31"),
    ],
)
def test_bad_arguments_get_a_clear_message(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("seed_demo", *args, stdout=StringIO())
    assert not Account.objects.exists()


@pytest.mark.django_db
def test_a_failed_load_writes_nothing(monkeypatch):
    import relationships.demo.writer as writer

    def broken_insert(model, field_names, rows):
        if model is TrustSignal:
            raise RuntimeError("disk full")
        original(model, field_names, rows)

    original = writer.insert_rows
    monkeypatch.setattr(writer, "insert_rows", broken_insert)
    with pytest.raises(RuntimeError):
        _seed()
    assert not Account.objects.exists()
    assert not Interaction.objects.exists()
    assert not Assessment.objects.exists()


@pytest.mark.django_db
def test_evidence_never_crosses_accounts():
    _seed()
    assert not TrustSignal.objects.exclude(interaction__account=F("account")).exists()
    assert not Interaction.participants.through.objects.exclude(
        contact__account=F("interaction__account")
    ).exists()
    assert not Interaction.objects.filter(
        occurred_on__gt=datetime.date.fromisoformat(AS_OF)
    ).exists()


@pytest.mark.django_db
def test_the_demo_gives_each_account_an_email_domain_and_each_person_an_address():
    """So that the search by email and the domains have something to show; seeding again
    replaces them."""
    _seed()
    _seed()
    for account in Account.objects.prefetch_related("domains", "contacts"):
        (domain,) = account.domains.all()
        assert domain.claimed == (account.status == "active")
        addresses = [contact.email for contact in account.contacts.all()]
        assert all(address.endswith(f"@{domain.domain}") for address in addresses)
        assert len(set(addresses)) == len(addresses)
