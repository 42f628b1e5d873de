"""Without DATABASE_REPLICA_URL (every run but the replica's own tests) the router changes
nothing: one database, and no read-your-writes cookie unless pages are kept for a few
seconds (pages/kept.py), which whoever wrote must not be shown."""

from django.db import router
from django.urls import reverse

from accounts.models import Account
from config.db_router import PRIMARY_COOKIE, replica_reads


def test_without_a_replica_every_read_and_write_goes_to_the_one_database(
    client, lena, alice, settings
):
    settings.DASHBOARD_CACHE_SECONDS = 0
    client.force_login(lena)
    response = client.post(
        reverse("account-new"),
        {
            "name": "Harbour Lines",
            "owner": alice.pk,
            "industry": "Shipping",
            "annual_revenue": "250000",
            "partnership_potential": "could_partner",
        },
    )
    assert response.status_code == 302
    assert PRIMARY_COOKIE not in response.cookies
    assert client.get(reverse("dashboard")).status_code == 200
    with replica_reads():
        assert router.db_for_read(Account) == "default"
        assert router.db_for_write(Account) == "default"
