import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from accounts.models import Account
from relationships.models import (
    Assessment,
    Contact,
    ContactRole,
    Interaction,
    InteractionKind,
    SignalType,
    TrustSignal,
)


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.LazyAttribute(lambda user: user.username.title())
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class AccountFactory(factory.django.DjangoModelFactory[Account]):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Client {n}")
    industry = "Logistics"
    owner = factory.SubFactory(UserFactory)
    annual_revenue = Decimal("250000")


class ContactFactory(factory.django.DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    role = ContactRole.DECISION_MAKER


class AssessmentFactory(factory.django.DjangoModelFactory[Assessment]):
    class Meta:
        model = Assessment

    account = factory.SubFactory(AccountFactory)
    assessed_on = datetime.date(2026, 1, 15)
    relevance = 4


class InteractionFactory(factory.django.DjangoModelFactory[Interaction]):
    class Meta:
        model = Interaction

    account = factory.SubFactory(AccountFactory)
    occurred_on = datetime.date(2026, 3, 2)
    kind = InteractionKind.MEETING
    logged_by = factory.SelfAttribute("account.owner")


class TrustSignalFactory(factory.django.DjangoModelFactory[TrustSignal]):
    class Meta:
        model = TrustSignal

    account = factory.SubFactory(AccountFactory)
    signal_type = factory.LazyFunction(lambda: SignalType.objects.get(slug="delivered_as_promised"))
    observed_on = datetime.date(2026, 3, 2)
