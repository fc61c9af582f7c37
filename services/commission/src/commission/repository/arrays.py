"""Many rows inserted in one statement, one array per column: compiled once whatever the number of rows."""

import json
from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB

_QUOTE = postgresql.dialect().identifier_preparer


def insert_arrays(table: sa.Table, columns: Sequence[str], *, on_conflict: str, returning: str) -> sa.TextClause:
    """INSERT of rows given as one array per column (`as_arrays`): one statement for any number of rows, compiled
    once."""
    return sa.text(insert_arrays_sql(table, columns, on_conflict=on_conflict, returning=returning)).bindparams(
        *array_parameters(table, columns)
    )


def insert_arrays_sql(table: sa.Table, columns: Sequence[str], *, on_conflict: str, returning: str) -> str:
    """`insert_arrays`' SQL. JSONB values travel as text, as an array of JSONB would be an array of one JSON
    document."""
    jsonb = _jsonb_columns(table, columns)
    names = ", ".join(map(_QUOTE.quote, columns))
    arrays = ", ".join(
        f"CAST(:{name} AS {'TEXT' if name in jsonb else table.c[name].type.compile(dialect=postgresql.dialect())}[])"
        for name in columns
    )
    selected = ", ".join(
        f"CAST({_QUOTE.quote(name)} AS JSONB)" if name in jsonb else _QUOTE.quote(name) for name in columns
    )
    return (
        f"INSERT INTO {table.fullname} ({names}) SELECT {selected} FROM unnest({arrays}) AS given({names}) "
        f"ON CONFLICT {on_conflict} RETURNING {returning}"
    )


def array_parameters(table: sa.Table, columns: Sequence[str]) -> list[sa.BindParameter]:
    jsonb = _jsonb_columns(table, columns)
    return [
        sa.bindparam(name, type_=postgresql.ARRAY(sa.Text if name in jsonb else table.c[name].type)) for name in columns
    ]


def _jsonb_columns(table: sa.Table, columns: Sequence[str]) -> set[str]:
    return {name for name in columns if isinstance(table.c[name].type, JSONB)}


def as_arrays(rows: Sequence[Mapping[str, object]]) -> dict[str, list]:
    """Rows (same columns) as one array per column, for `insert_arrays`; dicts and lists as JSON text."""
    return {
        name: [json.dumps(row[name]) if isinstance(row[name], dict | list) else row[name] for row in rows]
        for name in rows[0]
    }
