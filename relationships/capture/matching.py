"""Which account a meeting or message belongs to, among those its manager may write to.

An address that is a contact's (in any capitals) names that contact's account; an address at
a domain an account holds (its email domains, one active holder each) names that account. Our
own domains are never the client. When several accounts are named, the one with the most
people named wins (a known contact counts twice a bare domain), then the lowest id, so the
same meeting always lands on the same account.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models.functions import Lower

from accounts.access import accounts_editable_by
from accounts.models import AccountDomain, AccountStatus
from relationships.models import Contact

# SQLite allows 32,766 parameters a query; stay far below.
CHUNK = 2000


def own_domains_for(user: User) -> set[str]:
    """Our domains: OWN_EMAIL_DOMAINS, or else the domain of the user's own address."""
    if settings.OWN_EMAIL_DOMAINS:
        return set(settings.OWN_EMAIL_DOMAINS)
    address = (user.email or "").lower()
    return {address.rsplit("@", 1)[1]} if "@" in address else set()


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[-1]


@dataclass(frozen=True)
class Match:
    account_id: int | None
    contact_ids: tuple[int, ...] = ()


def _chunks(values: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), CHUNK):
        yield list(values[start : start + CHUNK])


class Matcher:
    """Matches many items of one manager with two queries, asked once for all their
    addresses."""

    def __init__(self, *, owner: User, addresses: Iterable[str]) -> None:
        self.own_domains = own_domains_for(owner)
        self.own_address = (owner.email or "").lower()
        theirs = sorted({a for a in addresses if self._is_theirs(a)})
        writable = accounts_editable_by(owner).filter(status=AccountStatus.ACTIVE).values("pk")
        self.contacts: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for chunk in _chunks(theirs):
            rows = (
                Contact.objects.filter(account__in=writable)
                .annotate(address=Lower("email"))
                .filter(address__in=chunk)
                .values_list("address", "pk", "account_id")
            )
            for address, contact_id, account_id in rows:
                self.contacts[address].append((contact_id, account_id))
        self.domains: dict[str, int] = {}
        for chunk in _chunks(sorted({domain_of(a) for a in theirs})):
            self.domains.update(
                AccountDomain.objects.filter(claimed=True, domain__in=chunk, account__in=writable)
                .values_list("domain", "account_id")
                .iterator()
            )

    def _is_theirs(self, address: str) -> bool:
        return address != self.own_address and domain_of(address) not in self.own_domains

    def theirs(self, addresses: Iterable[str]) -> list[str]:
        """The other side's addresses among `addresses`."""
        return [a for a in addresses if self._is_theirs(a)]

    def match(self, addresses: Iterable[str], *, account_id: int | None = None) -> Match:
        """The account the addresses name (or, given `account_id`, the people of that one)."""
        weight: Counter[int] = Counter()
        people: dict[int, list[int]] = defaultdict(list)
        for address in self.theirs(addresses):
            known = self.contacts.get(address, [])
            for contact_id, holder in known:
                weight[holder] += 2
                people[holder].append(contact_id)
            holder_of_domain = self.domains.get(domain_of(address))
            if holder_of_domain is not None and not any(h == holder_of_domain for _, h in known):
                weight[holder_of_domain] += 1
        if account_id is None:
            if not weight:
                return Match(None)
            account_id = min(weight, key=lambda holder: (-weight[holder], holder))
        return Match(account_id, tuple(sorted(set(people.get(account_id, [])))))
