"""Checks a server makes before it answers its first request."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def refuse_public_secret_key() -> None:
    """Refuse to serve with DEBUG off on the development key settings.py falls back to.

    The key signs sessions, password-change links and messages; the fallback is in the
    source code, so anyone could forge them. Development (DJANGO_DEBUG=1), the tests and
    management commands keep the fallback.
    """
    if not settings.DEBUG and settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set, and the server will not start on the public "
            "development key with DJANGO_DEBUG off. Set DJANGO_SECRET_KEY to a long random "
            "value, the same for every web process, for example the output of: "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
