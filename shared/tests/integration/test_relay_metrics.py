"""What the relay tells Prometheus: whether it leads, when it last finished a cycle, how many dead letters wait."""

import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY

from orderdesk_shared.db import Database
from orderdesk_shared.relay import OutboxRelay
from orderdesk_stack.testing import eventually, running

pytestmark = pytest.mark.integration


def _metric(name: str, service: str = "runtime-test") -> float | None:
    """The figure /metrics shows for the service (None: no such series)."""
    return REGISTRY.get_sample_value(name, {"service": service})


async def test_the_leading_relay_stamps_each_cycle_and_stops_leading_when_it_stops(harness, producer):
    relay = harness.relay(producer)
    started = time.time()

    async def stamped_after(moment: float) -> float | None:
        stamp = _metric("orderdesk_relay_last_cycle_timestamp_seconds")
        return stamp if stamp is not None and stamp > moment else None

    async with running(relay.run()) as [relaying]:
        first = await eventually(lambda: stamped_after(started))
        assert _metric("orderdesk_relay_leader") == 1
        # Nothing to publish: the idle relay still finishes a cycle each poll, so a stale stamp means it is stuck.
        await eventually(lambda: stamped_after(first))
        relay.stop()
        await relaying
    assert _metric("orderdesk_relay_leader") == 0


async def test_every_replica_counts_the_services_open_dead_letters_leading_or_not(harness, producer):
    dead_letters = harness.database.tables.dead_letters
    async with harness.database.engine.begin() as connection:
        await connection.execute(
            sa.insert(dead_letters),
            [
                # The first one an SRE replayed already: no longer open.
                harness.dead_letter(
                    offset,
                    resolution="replayed" if offset == 0 else None,
                    resolved_at=datetime.now(UTC) if offset == 0 else None,
                )
                for offset in range(4)
            ],
        )
    # The second replica under its own name, so that its figures are told apart from the first's in one process.
    standby_database = Database(
        url=harness.database.engine.url.render_as_string(hide_password=False),
        tables=harness.database.tables,
        source="runtime-test-standby",
    )
    standby = OutboxRelay(database=standby_database, producer=producer, batch_size=100, poll_seconds=0.5)
    leader = harness.relay(producer)
    try:
        async with running(leader.run()):
            await eventually(lambda: _async(leader.is_leader))
            async with running(standby.run()):

                async def counted() -> tuple[float | None, float | None]:
                    figures = (
                        _metric("orderdesk_dead_letters_open"),
                        _metric("orderdesk_dead_letters_open", "runtime-test-standby"),
                    )
                    return figures if figures == (3, 3) else None

                await eventually(counted)
                assert _metric("orderdesk_relay_leader", "runtime-test-standby") == 0
    finally:
        await standby_database.dispose()


async def _async(value):
    return value
