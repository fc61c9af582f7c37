"""The rep roster in force is announced on roster.published, once per version."""

import pytest
import sqlalchemy as sa

from commission.publication import publish_roster
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.events.commission import RosterPublished
from services.commission.tests.integration.conftest import RULES

pytestmark = pytest.mark.integration


async def test_the_roster_is_announced_once_per_version_with_every_rep(database):
    await publish_roster(database, ServiceContext(rules=RULES))
    await publish_roster(database, ServiceContext(rules=RULES))  # a restart with the same roster

    outbox = database.tables.outbox
    async with database.engine.connect() as connection:
        rows = (
            await connection.execute(sa.select(outbox.c.payload).where(outbox.c.type == RosterPublished.event_type))
        ).all()
    [published] = [RosterPublished.model_validate_json(row.payload) for row in rows]
    roster = RULES.roster
    assert published.version == roster.version
    assert {rep.id: rep for rep in published.reps} == roster.reps
