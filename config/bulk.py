"""Fast bulk inserts: COPY on PostgreSQL, one executemany elsewhere; and many ids in as few
statements as the database allows.

Used where thousands of rows are written at once (the demo portfolio, score snapshots). The
rows bypass model `save()` and signals on purpose; callers validate what they write.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import connection, models


class JsonText(str):
    """A JSON value already encoded as text: written as it is, not encoded again."""


def id_chunks(ids: Sequence[int], *, spare: int = 0) -> Iterator[Sequence[int]]:
    """`ids` in pieces small enough for one statement's parameters beside `spare` others
    (SQLite limits them; PostgreSQL takes them all in one piece)."""
    limit = connection.features.max_query_params
    step = limit - spare if limit else max(len(ids), 1)
    for start in range(0, len(ids), step):
        yield ids[start : start + step]


def _column(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """The field of one of `model`'s columns (a relation's reverse side has none)."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field), f"{model._meta.label}.{name} is not a column"
    return field


def insert_rows(
    model: type[models.Model], field_names: Sequence[str], rows: Iterable[tuple]
) -> None:
    """Insert `rows` (tuples in `field_names` order; JSON fields as Python objects, or as
    JsonText when the caller has encoded them already)."""
    opts = model._meta
    fields = [_column(model, name) for name in field_names]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(opts.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            json_columns = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                row: tuple[Any, ...] | list[Any]
                for row in rows:
                    if json_columns:
                        # COPY's text input parses JSON text into jsonb.
                        row = list(row)
                        for index in json_columns:
                            if not isinstance(row[index], JsonText):
                                row[index] = json.dumps(row[index])
                    copy.write_row(row)
            return
        prepared = (
            tuple(
                value if isinstance(value, JsonText) else f.get_db_prep_save(value, connection)
                for f, value in zip(fields, row, strict=True)
            )
            for row in rows
        )
        placeholders = ", ".join(["%s"] * len(fields))
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",
            # Any iterable of rows will do (Django allows for an iterator); the stubs ask for a
            # sequence, which would hold every prepared row in memory at once.
            prepared,  # type: ignore[arg-type]
        )


def copy_text(model: type[models.Model], field_names: Sequence[str], chunks: Iterable[str]) -> None:
    """PostgreSQL only: stream rows already formatted as COPY text lines into `model`'s table."""
    opts = model._meta
    columns = ", ".join(connection.ops.quote_name(_column(model, f).column) for f in field_names)
    table = connection.ops.quote_name(opts.db_table)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for chunk in chunks:
            copy.write(chunk)
