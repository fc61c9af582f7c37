"""A database error's reason, as logs, dead letters and headers carry it, holds none of the data it failed on."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from orderdesk_shared.errors import describe_error, logged_error

pytestmark = pytest.mark.integration


async def test_a_database_error_is_told_by_its_sqlstate_without_the_statement_or_the_values(harness):
    with pytest.raises(DBAPIError) as raised:
        async with harness.database.engine.connect() as connection:
            await connection.execute(sa.text("SELECT CAST(:tax_id AS integer)"), {"tax_id": "36-4182275 Jane Doe"})

    raw_text = str(raised.value)
    assert "Jane Doe" in raw_text.split("[SQL:")[0]  # the driver quotes the value it could not use
    assert "Jane Doe" not in raw_text.split("[SQL:")[1]  # hide_parameters: the bound values are not listed
    assert describe_error(raised.value) == "database error SQLSTATE 22000 (DataError)"
    assert "Jane Doe" not in logged_error(raised.value)


async def test_a_constraint_violation_names_the_constraint_and_not_the_key(harness):
    dead_letters = harness.database.tables.dead_letters
    row = {
        "consumer": "c",
        "topic": "t",
        "partition": 0,
        "offset": 1,
        "key": "k",
        "headers": {},
        "payload": b"jane.doe@example.com",
        "error_class": "E",
        "reason": "r",
    }
    with pytest.raises(DBAPIError) as raised:
        async with harness.database.engine.begin() as connection:
            await connection.execute(sa.insert(dead_letters), [row, row])

    reason = describe_error(raised.value)
    assert reason.startswith("database error SQLSTATE 23505 (UniqueViolationError) on constraint ")
    assert "jane.doe" not in reason
