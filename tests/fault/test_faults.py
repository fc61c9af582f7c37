"""One bounded chaos run per fault on a three-broker stack: a dozen orders of every kind flow (corrections,
cancels, resends, duplicates, approvals, surveys, billing codes, installs and failures) while the fault strikes;
then the invariant checker must find no order lost, no effect doubled, no state moved backwards, every order
accounted for, and nothing left to drain; and the stack must be whole again. Where a fault must leave a trace (a
dead letter, a crash recovery), the test looks for it."""

import asyncio
import io
from collections.abc import Awaitable, Callable

import asyncpg
import pytest
from rich.console import Console

from orderdesk_shared.relay import RELAY_DEAD_LETTER_CONSUMER
from orderdesk_stack.chaos import run_chaos
from orderdesk_stack.faults import FAULTS, Dose
from orderdesk_stack.provision import DATABASE, asyncpg_dsn
from orderdesk_stack.services import SERVICES
from orderdesk_stack.stack import Stack

pytestmark = pytest.mark.e2e

ORDERS = 12
# Short enough for CI, long enough to hurt. The slow handler's lock waits for the dead letter, 300 s at most: in the
# test stacks intake's handler timeout is 5 s, times its attempts (3), with the order's other records timing out on
# the lock in between.
TEST_DOSE = Dose(
    broker_down_seconds=3.0,
    broker_pause_seconds=8.0,
    postgres_outage_seconds=8.0,
    service_down_seconds=0.5,
    churn_seconds=4.0,
    churn_services=2,
    lock_seconds=300.0,
    backlog_rows=2_000,
    disk_full_seconds=4.0,
)


def dead_letters(schema: str, condition: str) -> Callable[[Stack], Awaitable[int]]:
    async def count(stack: Stack) -> int:
        connection = await asyncpg.connect(asyncpg_dsn(stack.admin_database_url, database=DATABASE))
        try:
            return await connection.fetchval(f"SELECT count(*) FROM {schema}.dead_letters WHERE {condition}")
        finally:
            await connection.close()

    return count


async def crash_recoveries(stack: Stack) -> int:
    return stack.log_path("postgres").read_text().count("automatic recovery in progress")


# What a fault must leave behind: a count that grows.
TRACES: dict[str, Callable[[Stack], Awaitable[int]]] = {
    "slow-handler": dead_letters("intake", "reason ILIKE '%timed out%'"),
    "poison-record": dead_letters("serviceability", "key LIKE 'POISON-%'"),
    "poison-outbox-row": dead_letters(
        "intake", f"consumer = '{RELAY_DEAD_LETTER_CONSUMER}' AND reason LIKE 'unpublishable%'"
    ),
    "postgres-restart": crash_recoveries,
}


def not_whole(stack: Stack) -> list[str]:
    """What is still broken: a program not running, an added instance left, a partition short of replicas, the
    disk's ballast."""
    expected = {"postgres", *stack.kafka_programs, *stack.mail_sink_programs, *(service.name for service in SERVICES)}
    running = {status.name: status.state for status in stack.status()}
    return [
        *(f"{name} is {state}" for name, state in running.items() if name in expected and state != "RUNNING"),
        *(f"{name} is left over" for name in running if name not in expected),
        *stack.under_replicated_partitions(),
        *(["the ballast still fills the disk"] if stack.postgres_volume.ballast.exists() else []),
    ]


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_no_order_is_lost_or_doubled_when(cluster_stack, fault):
    trace = TRACES.get(fault)
    traces_before = await trace(cluster_stack) if trace else 0

    result = await run_chaos(
        cluster_stack,
        orders=ORDERS,
        faults=[fault],
        seed=sum(map(ord, fault)),
        dose=TEST_DOSE,
        timeout=300.0,
        drain_timeout=120.0,
        console=Console(file=io.StringIO()),
    )

    [outcome] = result.outcomes
    assert not outcome.failed, outcome.did
    assert not outcome.missed, outcome.did
    report = result.report
    assert report.lost == [], report.problems()
    assert report.duplicated == [], report.problems()
    assert report.regressions == [], report.problems()
    assert report.undrained == [], report.problems()
    assert set(report.accounts) == set(result.order_ids), "the checker does not know every order the desk sent"
    assert result.settled, "orders still moving, or people still acting on them, when the run ended"
    assert outcome.seconds_to_drain is not None, f"not drained after the fault: {outcome.left_undrained}"
    assert await asyncio.to_thread(not_whole, cluster_stack) == []
    if trace:
        assert await trace(cluster_stack) > traces_before, f"{fault} left no trace"
