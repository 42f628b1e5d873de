"""A small scored portfolio and a token for each persona: Alice and Bob manage an account
each, Bob shares a second one with Alice; Lena leads them; Sam keeps the scoring."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from accounts.services import api_token_create
from relationships.models import SignalType
from scoring.services import account_rescore
from tests.factories import AccountFactory, ContactFactory, InteractionFactory, TrustSignalFactory


def scored(account, *, weeks_ago=(3, 1), signal="delivered_as_promised"):
    """Give the account some recent evidence and score it."""
    today = timezone.localdate()
    for weeks in weeks_ago:
        day = today - datetime.timedelta(weeks=weeks)
        interaction = InteractionFactory(account=account, occurred_on=day)
        TrustSignalFactory(
            account=account,
            interaction=interaction,
            observed_on=day,
            signal_type=SignalType.objects.get(slug=signal),
        )
    account_rescore(account_id=account.pk)
    return account


@pytest.fixture
def book(alice, bob):
    north = scored(AccountFactory(name="Northwind Freight", owner=alice, industry="Logistics"))
    blue = scored(AccountFactory(name="Bluepeak Foods", owner=bob, industry="Food"))
    shared = scored(AccountFactory(name="Cedar Analytics", owner=bob, industry="Software"))
    shared.shared_with.add(alice)
    ContactFactory(account=north, name="Maria Lopez", email="maria@northwind.example")
    return {"north": north, "blue": blue, "shared": shared}


class Api:
    """The test client speaking to /api/v1/ with one token."""

    def __init__(self, token: str | None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, params: dict | None = None):
        return self.client.get(f"/api/v1{path}", params or {}, headers=self.headers)

    def post(self, path: str, body: dict):
        return self.client.post(
            f"/api/v1{path}", body, content_type="application/json", headers=self.headers
        )


def api_for(user, *, read_only: bool = False) -> Api:
    _, token = api_token_create(user=user, name="Tests", read_only=read_only)
    return Api(token)


@pytest.fixture
def as_alice(alice):
    return api_for(alice)


@pytest.fixture
def as_bob(bob):
    return api_for(bob)


@pytest.fixture
def as_lena(lena):
    return api_for(lena)


@pytest.fixture
def as_sam(sam):
    return api_for(sam)
