"""Many rows inserted in one statement, one array per column: compiled once whatever the number of rows, and executed
once (an executemany runs the statement once per row, each a bind and an execution, on the client and the server)."""

from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from orderdesk_shared.db.json_columns import json_text

_QUOTE = postgresql.dialect().identifier_preparer


def insert_arrays(
    table: sa.Table, columns: Sequence[str], *, on_conflict: str | None, returning: str | None = None
) -> sa.TextClause:
    """INSERT of rows given as one array per column (`as_arrays`): one statement for any number of rows, compiled
    once."""
    return sa.text(insert_arrays_sql(table, columns, on_conflict=on_conflict, returning=returning)).bindparams(
        *array_parameters(table, columns)
    )


def insert_arrays_sql(
    table: sa.Table, columns: Sequence[str], *, on_conflict: str | None, returning: str | None = None
) -> str:
    """`insert_arrays`' SQL. JSONB values and arrays travel as JSON text, as an array of JSONB would be an array of one
    JSON document, and arrays of arrays must all have one length. `on_conflict` None: a row already there is an
    error."""
    as_json = _json_columns(table, columns)
    names = ", ".join(map(_QUOTE.quote, columns))
    arrays = ", ".join(
        f"CAST(:{name} AS {'TEXT' if name in as_json else table.c[name].type.compile(dialect=postgresql.dialect())}[])"
        for name in columns
    )
    return (
        f"INSERT INTO {table.fullname} ({names}) SELECT {', '.join(_selected(table, name) for name in columns)} "
        f"FROM unnest({arrays}) AS given({names})"
        + (f" ON CONFLICT {on_conflict}" if on_conflict else "")
        + (f" RETURNING {returning}" if returning else "")
    )


def _selected(table: sa.Table, name: str) -> str:
    column = _QUOTE.quote(name)
    if isinstance(table.c[name].type, JSONB):
        return f"CAST({column} AS JSONB)"
    if isinstance(table.c[name].type, ARRAY):
        return f"ARRAY(SELECT jsonb_array_elements_text(CAST({column} AS JSONB)))"
    return column


def array_parameters(table: sa.Table, columns: Sequence[str]) -> list[sa.BindParameter]:
    as_json = _json_columns(table, columns)
    return [
        sa.bindparam(name, type_=postgresql.ARRAY(sa.Text if name in as_json else table.c[name].type))
        for name in columns
    ]


def _json_columns(table: sa.Table, columns: Sequence[str]) -> set[str]:
    return {name for name in columns if isinstance(table.c[name].type, JSONB | ARRAY)}


def as_arrays(rows: Sequence[Mapping[str, object]]) -> dict[str, list]:
    """Rows (same columns) as one array per column, for `insert_arrays`; dicts and lists as JSON text."""
    return {
        name: [json_text(row[name]) if isinstance(row[name], dict | list) else row[name] for row in rows]
        for name in rows[0]
    }
