"""A refused or missing page is one of the app's own pages: the header, the way back, and the
reason in words where there is one to give."""

from django.urls import reverse

from tests.factories import AccountFactory


def test_a_missing_page_is_an_app_page_that_says_nothing_of_what_exists(client, alice, bob):
    bobs = AccountFactory(owner=bob, name="Bluepeak Foods")
    client.force_login(alice)

    for path in (reverse("account-detail", args=[bobs.pk]), "/no/such/page/"):
        response = client.get(path)
        html = response.content.decode()
        assert response.status_code == 404
        assert "<title>Not found · Relationship tracker</title>" in html
        assert '<main id="main"' in html and 'href="#main"' in html  # the skip link too
        assert "Back to your accounts" in html
        assert "Bluepeak" not in html


def test_a_refused_page_says_why_in_the_views_words(client, alice):
    client.force_login(alice)
    response = client.get(reverse("dashboard"))
    html = response.content.decode()
    assert response.status_code == 403
    assert "<h1>Not allowed</h1>" in html
    assert "The portfolio dashboard is for sales leads." in html


def test_signed_out_visitors_get_the_sign_in_link(client):
    html = client.get("/no/such/page/").content.decode()
    assert 'href="/login/"' in html and "Back to your accounts" not in html
