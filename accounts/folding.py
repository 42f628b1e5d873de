"""Accent-blind search: typing "Elodie" finds "Élodie", and "Muller" finds "Müller".

Names of people and companies carry accents their colleagues often leave out when they type.
A search compares both sides with their accents folded away, by the database's `unaccent`:
PostgreSQL's extension of that name (created by migration accounts 0008), and on SQLite the
same function defined in Python for every new connection. Each side is folded by the same
function, so a search matches alike whichever folding the database does.
"""

from __future__ import annotations

import unicodedata

from django.db.backends.signals import connection_created
from django.db.models import Func, Q, TextField, Value
from django.db.models.lookups import IContains
from django.dispatch import receiver

# Letters that carry no separable accent in Unicode but are folded by PostgreSQL's unaccent.
_WHOLE_LETTERS = str.maketrans(
    {"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss", "đ": "d",
     "Đ": "D", "ł": "l", "Ł": "L", "ı": "i"}
)  # fmt: skip


def fold(text: str | None) -> str | None:
    """`text` with its accents taken off ("Élodie Ørsted" gives "Elodie Orsted")."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text.translate(_WHOLE_LETTERS))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


class Unaccent(Func):
    function = "unaccent"
    output_field = TextField()


def contains_folded(field: str, text: str) -> Q:
    """`field` holds `text`, ignoring case and accents."""
    return Q(IContains(Unaccent(field), Unaccent(Value(text))))


@receiver(connection_created)
def _define_unaccent_on_sqlite(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("unaccent", 1, fold, deterministic=True)
