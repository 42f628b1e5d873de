"""App passwords of CalDAV calendars, encrypted at rest.

Fernet (AES-128-CBC with an HMAC-SHA256, from the `cryptography` package) with the key in
CAPTURE_CREDENTIALS_KEY, never in the database: a copy of the database alone gives no
password. Several keys, separated by commas, rotate: the first encrypts, any of them decrypts
(MultiFernet). Without the setting, a development run (DJANGO_DEBUG=1, `make run`) derives a
key from the secret key (settings.py); a production server refuses to store a password.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class CredentialsUnavailable(Exception):
    """No key to encrypt with, or one that cannot read what was stored; says what to do."""


def _keys() -> MultiFernet:
    configured = [key.strip() for key in settings.CAPTURE_CREDENTIALS_KEY.split(",")]
    configured = [key for key in configured if key]
    if not configured:
        raise CredentialsUnavailable(
            "Connecting a calendar needs CAPTURE_CREDENTIALS_KEY set on the server (README, "
            "Capture); ask whoever runs it."
        )
    try:
        return MultiFernet([Fernet(key.encode()) for key in configured])
    except ValueError:
        raise CredentialsUnavailable(
            "CAPTURE_CREDENTIALS_KEY is not a Fernet key: make one with `python -c "
            "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
        ) from None


def password_encrypt(password: str) -> str:
    return _keys().encrypt(password.encode("utf-8")).decode("ascii")


def password_decrypt(token: str) -> str:
    try:
        return _keys().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise CredentialsUnavailable(
            "The stored password can no longer be read (the server's key changed): enter it again "
            "with Change."
        ) from None
