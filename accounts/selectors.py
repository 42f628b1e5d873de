"""Reads of accounts. Who may see which account is decided in accounts/access.py."""

from __future__ import annotations

from collections.abc import Collection

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import CharField, F, Func, QuerySet

from accounts.folding import contains_folded
from accounts.models import AccountDomain, ApiToken
from accounts.roles import ACCOUNT_MANAGER
from accounts.services import token_hash


class ShownName(Func):
    """A person's name as the app shows it, in SQL, in lower case: first and last name
    (`get_full_name()`), or the user name when both are empty. The team is sorted by it
    (`by_name`), on the index migration 0010 makes of the same expression; lower case, so that
    "mallory" sorts between "Alice" and "Zoe" whatever the database's collation. Its constants
    are written into the SQL, not passed as parameters: SQLite uses an index of an expression
    only for that very text."""

    output_field = CharField()

    def __init__(self) -> None:
        super().__init__(F("first_name"), F("last_name"), F("username"))

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None, **extra):
        (first, first_params), (last, last_params), (user, user_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        sql = f"LOWER(COALESCE(NULLIF(TRIM({first} || ' ' || {last}), ''), {user}))"
        return sql, (*first_params, *last_params, *user_params)


def by_name(people: QuerySet[User]) -> QuerySet[User]:
    """`people` in the order the app lists a team: by the name shown, namesakes by user
    name; someone known only by a user name sorts under it, not before everyone named."""
    return people.order_by(ShownName(), "username")


def account_managers() -> QuerySet[User]:
    """Who may own an account or have one shared with them: active account managers. The
    team form on the account page offers these, and the CSV import accepts only these."""
    return by_name(get_user_model().objects.filter(is_active=True, groups__name=ACCOUNT_MANAGER))


def managers_matching(
    words: str, *, limit: int, among: QuerySet[User] | None = None
) -> tuple[list[User], bool]:
    """Up to `limit` account managers (of `among`, by default `account_managers()`) whose
    first, last or user name or email holds every word of `words` (ignoring case and
    accents), and whether more match than that."""
    managers = account_managers() if among is None else among
    for word in words.split():
        managers = managers.filter(
            contains_folded("first_name", word)
            | contains_folded("last_name", word)
            | contains_folded("username", word)
            | contains_folded("email", word)
        )
    found = list(managers[: limit + 1])
    return found[:limit], len(found) > limit


def domains_claimed_elsewhere(
    domains: Collection[str], *, account_id: int | None = None
) -> list[tuple[str, str]]:
    """Which of `domains` an active account other than `account_id` holds: (domain, the
    account's name) pairs, one query."""
    if not domains:
        return []
    claimed = AccountDomain.objects.filter(domain__in=domains, claimed=True)
    if account_id is not None:
        claimed = claimed.exclude(account_id=account_id)
    return list(claimed.order_by("domain").values_list("domain", "account__name"))


def api_token_live(token: str) -> ApiToken | None:
    """The live token (not revoked, of an active user) that `token` is, with its user; None
    for anything else. One query."""
    if not token or len(token) > 200:
        return None
    return (
        ApiToken.objects.filter(
            token_hash=token_hash(token), revoked_at__isnull=True, user__is_active=True
        )
        .select_related("user")
        .first()
    )


def api_tokens_of(user: User) -> QuerySet[ApiToken]:
    """The person's tokens, live and revoked, newest first."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")
