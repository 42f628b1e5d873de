"""Personal API tokens from the command line: make one for a person (for a service account,
say), list them, revoke one. The settings page does the same for each person."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import ApiToken
from accounts.selectors import api_tokens_of
from accounts.services import api_token_create, api_token_revoke


def _user(username: str) -> User:
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist:
        raise CommandError(f"No user is called {username!r}.") from None


def _token_id(text: str) -> int:
    """A token id as `list` prints it: ASCII digits only (int() alone would also take "٣",
    " 3" or "3_0")."""
    if not (text.isascii() and text.isdigit()):
        raise CommandError(f"A token id is a number, as `list` shows it, not {text!r}.")
    return int(text)


class Command(BaseCommand):
    help = (
        "Personal API tokens: `create USERNAME [--read-only] [--name NAME]` prints the new "
        "token as its last line, once (only its hash is kept); `list [USERNAME]`; `revoke ID`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="make a token; it is printed once")
        create.add_argument("username")
        create.add_argument("--name", default="Command line", help="what the token is for")
        create.add_argument(
            "--read-only", action="store_true", help="reads only: every write answers 403"
        )
        listing = actions.add_parser("list", help="tokens with their prefix and last use")
        listing.add_argument("username", nargs="?")
        revoke = actions.add_parser("revoke", help="revoke a token by its id (see `list`)")
        revoke.add_argument("id")

    def handle(self, *args, **options) -> None:
        action = options["action"]
        if action == "create":
            self._create(options)
        elif action == "list":
            self._list(options["username"])
        else:
            self._revoke(_token_id(options["id"]))

    def _create(self, options: dict) -> None:
        user = _user(options["username"])
        try:
            row, token = api_token_create(
                user=user, name=options["name"], read_only=options["read_only"]
            )
        except ValidationError as error:
            raise CommandError(f"{' '.join(error.messages)} (--name)") from None
        scope = "read-only" if row.read_only else "read-write"
        self.stdout.write(
            f"Made {scope} token {row.pk} ({row.name}) for {user.username}. "
            "It is shown once, below; only its hash is kept."
        )
        self.stdout.write(token)

    def _list(self, username: str | None) -> None:
        tokens = api_tokens_of(_user(username)) if username else ApiToken.objects.all()
        for row in tokens.select_related("user"):
            state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "live"
            used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never"
            scope = "read-only" if row.read_only else "read-write"
            self.stdout.write(
                f"{row.pk}\t{row.user.username}\t{row.prefix}…\t{row.name}\t{scope}\t"
                f"last used {used}\t{state}"
            )

    def _revoke(self, token_id: int) -> None:
        row = ApiToken.objects.filter(pk=token_id).first()
        if row is None:
            raise CommandError(f"No token has the id {token_id}.")
        if not api_token_revoke(token=row):
            raise CommandError(f"Token {token_id} was already revoked.")
        self.stdout.write(f"Revoked token {token_id} ({row.name}) of {row.user.username}.")
