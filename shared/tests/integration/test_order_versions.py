"""A service remembers an order's corrections and its cancel, so late work on a dead version is refused."""

import pytest
import sqlalchemy as sa

from orderdesk_shared.order_versions import note_cancelled, note_version, order_versions_table, refusal

pytestmark = pytest.mark.integration


@pytest.fixture
async def versions(harness) -> sa.Table:
    table = order_versions_table(sa.MetaData(schema=harness.database.tables.schema))
    async with harness.database.engine.begin() as connection:
        await connection.run_sync(table.create)
    return table


async def test_a_correction_refuses_work_on_earlier_versions_and_a_late_notice_does_not_undo_it(harness, versions):
    async with harness.database.unit_of_work() as uow:
        assert await refusal(uow.connection, versions, order_id="PO-1", version=1) is None
        await note_version(uow.connection, versions, order_id="PO-1", version=3)
        await note_version(uow.connection, versions, order_id="PO-1", version=2)  # delivered late

    async with harness.database.engine.connect() as connection:
        assert await refusal(connection, versions, order_id="PO-1", version=3) is None
        assert await refusal(connection, versions, order_id="PO-1", version=2) == (
            "order PO-1 was corrected: version 3 replaces version 2"
        )


async def test_a_cancel_refuses_work_on_every_version_and_keeps_its_first_reason(harness, versions):
    async with harness.database.unit_of_work() as uow:
        await note_cancelled(uow.connection, versions, order_id="PO-2", version=1, reason="customer went elsewhere")
        await note_cancelled(uow.connection, versions, order_id="PO-2", version=1, reason="(redelivered)")
        await note_version(uow.connection, versions, order_id="PO-2", version=2)

    async with harness.database.engine.connect() as connection:
        assert await refusal(connection, versions, order_id="PO-2", version=2) == (
            "order PO-2 was cancelled: customer went elsewhere"
        )
        assert (await connection.execute(sa.select(sa.func.count()).select_from(versions))).scalar_one() == 1
