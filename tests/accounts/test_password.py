from django.urls import reverse

PASSWORD = "correct horse battery staple"  # the factories' password


def _change_password(client, old: str, new: str, **extra):
    return client.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": new, "new_password2": new},
        **extra,
    )


def test_a_wrong_current_password_is_shown_by_its_field(client, alice):
    client.force_login(alice)
    response = _change_password(client, "not it", "a fresh long passphrase")
    html = response.content.decode()
    assert "Your old password was entered incorrectly" in html
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_a_password_change_takes_effect_and_keeps_me_signed_in(client, alice):
    client.force_login(alice)
    response = _change_password(client, PASSWORD, "a fresh long passphrase", follow=True)
    assert "Password changed" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password("a fresh long passphrase")
    assert client.get(reverse("home")).status_code == 200


def test_only_staff_reach_the_admin(client, alice):
    client.force_login(alice)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_a_short_password_is_refused_by_its_field(client, alice):
    client.force_login(alice)
    response = _change_password(client, PASSWORD, "Tr0ub4dor&3")
    assert "This password is too short. It must contain at least 12 characters." in (
        response.content.decode()
    )
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
