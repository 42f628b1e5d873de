"""Accent-blind search: typing "Elodie" finds "Élodie", and "Muller" finds "Müller".

Names of people and companies carry accents their colleagues often leave out when they type.
A search compares both sides with their accents folded away, by the database's `unaccent`:
PostgreSQL's extension of that name (created by migration accounts 0008), and on SQLite the
same function defined in Python for every new connection. Each side is folded by the same
function, so a search matches alike whichever folding the database does.
"""

from __future__ import annotations

import functools
import unicodedata

from django.db.backends.signals import connection_created
from django.db.models import Func, Q, TextField, Value
from django.db.models.lookups import IContains
from django.dispatch import receiver

# Latin letters that carry no separable accent in Unicode but that PostgreSQL's unaccent folds.
_WHOLE_LETTERS = str.maketrans(
    {"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss", "đ": "d",
     "Đ": "D", "ł": "l", "Ł": "L", "ı": "i", "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH"}
)  # fmt: skip


@functools.lru_cache(maxsize=4096)
def _folded_letter(char: str) -> str:
    """A Latin letter with accents as its plain letter; any other character as it is (the
    marks of other scripts are part of their letters: й is not и)."""
    decomposed = unicodedata.normalize("NFD", char)
    return decomposed[0] if decomposed[0].isascii() and len(decomposed) > 1 else char


def fold(text: str | None) -> str | None:
    """`text` with the accents of its Latin letters taken off ("Élodie Ørsted" gives
    "Elodie Orsted")."""
    if text is None:
        return None
    return "".join(map(_folded_letter, text.translate(_WHOLE_LETTERS)))


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
