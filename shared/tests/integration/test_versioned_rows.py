"""A service keeps one row per order: a later version of the order replaces it, an earlier one never does."""

import pytest
import sqlalchemy as sa

from orderdesk_shared.db import insert_or_supersede

pytestmark = pytest.mark.integration


@pytest.fixture
async def decisions(harness) -> sa.Table:
    table = sa.Table(
        "decisions",
        sa.MetaData(schema=harness.database.tables.schema),
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("order_version", sa.Integer, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
    )
    async with harness.database.engine.begin() as connection:
        await connection.run_sync(table.create)
    return table


async def test_a_later_version_supersedes_and_an_earlier_or_repeated_one_does_not(harness, decisions):
    async def store(version: int, outcome: str) -> bool:
        async with harness.database.unit_of_work() as uow:
            return await insert_or_supersede(
                uow.connection, decisions, order_id="PO-1", order_version=version, outcome=outcome
            )

    assert await store(1, "priced at 25%")
    assert await store(2, "priced at 5%")
    assert not await store(2, "priced at 5% (redelivered)")
    assert not await store(1, "priced at 25% (late)")

    async with harness.database.engine.connect() as connection:
        rows = (await connection.execute(sa.select(decisions))).all()
    assert rows == [("PO-1", 2, "priced at 5%")]
