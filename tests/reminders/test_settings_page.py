"""Each person's reminder settings: how often the digest comes and at what hour."""

from __future__ import annotations

from django.urls import reverse

from reminders.models import ReminderPreference


def test_the_page_shows_the_default_and_saves_a_choice(client, alice):
    client.force_login(alice)
    html = client.get(reverse("reminder-settings")).content.decode()
    assert 'value="daily" id="id_frequency_0" required checked' in html
    assert '<option value="7" selected>07:00</option>' in html
    assert "Make my calendar address" in html

    response = client.post(reverse("reminder-settings"), {"frequency": "weekly", "hour": "18"})

    assert response.status_code == 302
    preference = ReminderPreference.objects.get(user=alice)
    assert (preference.frequency, preference.hour) == ("weekly", 18)
    assert "Saved." in client.get(response.url).content.decode()


def test_a_bad_hour_is_explained_next_to_the_field_and_nothing_is_saved(client, alice):
    client.force_login(alice)
    response = client.post(reverse("reminder-settings"), {"frequency": "daily", "hour": "24"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_hour_error"' in html and "Select a valid choice" in html
    assert not ReminderPreference.objects.exists()


def test_signed_out_people_are_sent_to_sign_in(client, db):
    response = client.get(reverse("reminder-settings"))
    assert response.status_code == 302 and "/login/" in response.url


def test_the_page_says_where_the_digest_goes_or_that_it_cannot(client, alice):
    client.force_login(alice)
    assert (
        "It goes to alice@example.com." in client.get(reverse("reminder-settings")).content.decode()
    )
    alice.email = ""
    alice.save()
    assert 'data-testid="no-email"' in client.get(reverse("reminder-settings")).content.decode()
