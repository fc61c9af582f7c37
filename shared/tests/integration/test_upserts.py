"""A service keeps one row per order: a later version of the order replaces it, an earlier one never does;
facts that must stay as first recorded keep their first value."""

import pytest
import sqlalchemy as sa

from orderdesk_shared.db import insert_or_supersede, insert_or_update

pytestmark = pytest.mark.integration


async def _created(harness, name: str, *columns: sa.Column) -> sa.Table:
    """A table of one row per order (`order_id` its key), created in the test's schema."""
    table = sa.Table(
        name,
        sa.MetaData(schema=harness.database.tables.schema),
        sa.Column("order_id", sa.Text, primary_key=True),
        *columns,
    )
    async with harness.database.engine.begin() as connection:
        await connection.run_sync(table.create)
    return table


@pytest.fixture
async def decisions(harness) -> sa.Table:
    return await _created(
        harness,
        "decisions",
        sa.Column("order_version", sa.Integer, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
    )


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


@pytest.fixture
async def progress(harness) -> sa.Table:
    return await _created(harness, "progress", sa.Column("installed_on", sa.Text), sa.Column("status", sa.Text))


async def test_an_update_replaces_values_but_a_first_recorded_fact_stays(harness, progress):
    async def record(**facts: object) -> None:
        async with harness.database.unit_of_work() as uow:
            await insert_or_update(uow.connection, progress, keep_first=("installed_on",), order_id="PO-1", **facts)

    await record(status="scheduled")
    await record(installed_on="2026-11-02", status="installed")
    await record(installed_on="2026-11-09", status="installed again")

    async with harness.database.engine.connect() as connection:
        rows = (await connection.execute(sa.select(progress))).all()
    assert rows == [("PO-1", "2026-11-02", "installed again")]
